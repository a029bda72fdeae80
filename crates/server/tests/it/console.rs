//! The console over plain HTTP: sessions, CSRF, who sees what, and that every page is self-contained (no
//! address outside the server), so it works air-gapped. The browser tests (`browser.rs`) drive it.

use crate::{Harness, at};

/// A cookie-carrying client that does not follow redirects.
pub(crate) struct Browser {
    root: String,
    cookie: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

impl Browser {
    pub(crate) fn signed_in(h: &Harness, token: &str) -> Browser {
        Browser { root: h.url.clone(), cookie: format!("gpubook_session={token}") }
    }

    pub(crate) fn anonymous(h: &Harness) -> Browser {
        Browser { root: h.url.clone(), cookie: String::new() }
    }

    /// (status, Location header, body).
    pub(crate) fn get(&self, path: &str) -> (u16, String, String) {
        let resp = agent().get(format!("{}{path}", self.root)).header("Cookie", &self.cookie).call();
        answer(resp)
    }

    pub(crate) fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        let resp = agent()
            .post(format!("{}{path}", self.root))
            .header("Cookie", &self.cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.join("&"));
        answer(resp)
    }

    /// The CSRF token the pages of this session carry.
    pub(crate) fn csrf(&self) -> String {
        let (_, _, page) = self.get("/console/bookings");
        let marker = r#"name="csrf" value=""#;
        let at = page.find(marker).expect("a form with a CSRF token") + marker.len();
        page[at..at + 32].to_string()
    }
}

fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, String, String) {
    let mut resp = resp.expect("the server answers");
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (resp.status().as_u16(), location, resp.body_mut().read_to_string().unwrap())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn pages_need_a_session_and_a_good_token() {
    let h = Harness::start("sqlite");
    let anon = Browser::anonymous(&h);
    let (status, location, _) = anon.get("/console/bookings");
    assert_eq!((status, location.as_str()), (303, "/console/sign-in?next=/console/bookings"));
    let (status, _, page) = anon.post("/console/sign-in", &[("token", "gpb_not-a-token"), ("next", "/console")]);
    assert_eq!(status, 401);
    assert!(page.contains("That token is not valid"), "{page}");
    // A good token sets an HttpOnly, SameSite=Strict session cookie and follows `next` within the console only.
    let resp = agent()
        .post(format!("{}/console/sign-in", h.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("token={}&next=https%3A%2F%2Fevil.example%2F", h.admin))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/console");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let (status, _, _) = Browser::signed_in(&h, "gpb_revoked-or-made-up").get("/console");
    assert_eq!(status, 303);
}

#[test]
fn forms_without_the_sessions_csrf_token_change_nothing() {
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let b = Browser::signed_in(&h, &alice.token);
    let form = |csrf: &'static str| {
        [
            ("csrf", csrf),
            ("project", "team-a"),
            ("tier", "size:gpu-small"),
            ("count", "1"),
            ("start", "2026-11-23T10:00"),
            ("end", "2026-11-23T11:00"),
        ]
    };
    let (status, _, _) = b.post("/console/book", &form("0123456789abcdef0123456789abcdef"));
    assert_eq!(status, 403);
    assert_eq!(alice.get("/bookings").1.as_array().unwrap().len(), 0);
    let csrf = b.csrf();
    let mut good = form("");
    good[0].1 = &csrf;
    let (status, location, _) = b.post("/console/book", &good);
    assert_eq!(status, 303, "booking with the right token works");
    assert!(location.starts_with("/console/bookings?booked=b"), "{location}");
    assert_eq!(alice.get("/bookings").1.as_array().unwrap().len(), 1);
}

#[test]
fn tenants_see_and_cancel_only_their_own() {
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let bob = h.token("bob", "member", &["team-b"]);
    let (status, booked) = bob.book("team-b", "size=gpu-small", 1, 2.0, 4.0, "reserved");
    assert_eq!(status, 201, "{booked}");
    let id = booked["id"].as_str().unwrap().to_string();
    let a = Browser::signed_in(&h, &alice.token);
    let (_, _, page) = a.get("/console/bookings");
    assert!(
        !page.contains(&format!("booking-{id}")) && !page.contains("team-b"),
        "alice sees none of team-b's bookings"
    );
    let (_, _, page) = a.get("/console/projects");
    assert!(page.contains("team-a") && !page.contains(r#"id="p-team-b""#), "alice sees only her projects");
    let (status, _, _) = a.post(&format!("/console/bookings/{id}/cancel"), &[("csrf", &a.csrf())]);
    assert_eq!(status, 404, "another project's booking is not there for alice");
    assert_eq!(bob.get(&format!("/bookings/{id}")).1["status"], "confirmed");
    let (status, _, _) = a.get("/console/fleet");
    assert_eq!(status, 403, "the fleet view is for admins");
    let (status, _, page) = Browser::signed_in(&h, &h.admin).get("/console/fleet");
    assert_eq!(status, 200);
    assert!(page.contains(&format!("{id} · team-b")), "the admin's fleet timeline shows the booking");
    let (_, _, page) = Browser::signed_in(&h, &bob.token).get("/console/bookings");
    assert!(
        page.contains(&format!("queue <code>gpubook-{id}</code> in <code>team-b</code>")),
        "bob sees which Kueue queue his booking is"
    );
}

#[test]
fn the_calendar_counts_what_booking_would_give() {
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let b = Browser::signed_in(&h, &alice.token);
    let (status, _, page) = b.get("/console?project=team-a&tier=shape%3AH100-80GB%2Ffull&date=2026-11-23");
    assert_eq!(status, 200);
    // team-a may hold 2 H100s reserved (nominal) and borrow 1 more; the 10:00 cell of Monday says so.
    let cell = page.find(r#"data-start="2026-11-23T10:00""#).expect("Monday 10:00");
    let count: String = page[cell..].split('>').nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
    let shown: u32 = count.parse().unwrap();
    let body = serde_json::json!({"project": "team-a", "shape": "H100-80GB/full", "count": shown, "start": at(2.0), "end": at(3.0)});
    assert_eq!(alice.post("/bookings?dry_run=true", &body).1["verdict"], "fits");
    let body = serde_json::json!({"project": "team-a", "shape": "H100-80GB/full", "count": shown + 1, "start": at(2.0), "end": at(3.0)});
    assert_ne!(alice.post("/bookings?dry_run=true", &body).1["verdict"], "fits");
}

#[test]
fn every_page_is_served_from_the_binary() {
    let h = Harness::start("sqlite");
    let b = Browser::signed_in(&h, &h.admin);
    for path in [
        "/console",
        "/console?view=day",
        "/console/bookings",
        "/console/fleet",
        "/console/projects",
        "/console/usage",
        "/console/sign-in",
    ] {
        let (status, _, page) = b.get(path);
        assert_eq!(status, 200, "{path}");
        for attr in ["src=\"http", "href=\"http", "url(http", "//cdn"] {
            assert!(!page.contains(attr), "{path} refers outside the server: {attr}");
        }
    }
    for (asset, mime) in
        [("htmx.min.js", "text/javascript"), ("console.js", "text/javascript"), ("console.css", "text/css")]
    {
        let resp = agent().get(format!("{}/console/assets/{asset}", h.url)).call().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers()["content-type"], mime);
    }
    assert_eq!(agent().get(format!("{}/console/assets/nope.js", h.url)).call().unwrap().status().as_u16(), 404);
}
