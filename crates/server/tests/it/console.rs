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

/// What signing in answered: status, `Location`, the session cookie's value (if one was set), the page.
pub(crate) struct SignedIn {
    pub(crate) status: u16,
    pub(crate) location: String,
    pub(crate) session: Option<String>,
    pub(crate) page: String,
}

/// The value a `Set-Cookie` header of `resp` gives the cookie `name`, unless it clears it.
fn set_cookie(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// The sign-in page's one-time value, which it sets both as a cookie and in its form.
pub(crate) fn sign_in_value(h: &Harness) -> String {
    let resp = agent().get(format!("{}/console/sign-in", h.url)).call().unwrap();
    let value = set_cookie(&resp, "gpubook_sign_in").expect("the sign-in page sets its cookie");
    let page = resp.into_body().read_to_string().unwrap();
    assert!(page.contains(&format!(r#"name="csrf" value="{value}""#)), "the form carries it too");
    value
}

/// POSTs the sign-in form with these fields and headers, as a browser would.
pub(crate) fn post_sign_in(h: &Harness, form: &[(&str, &str)], headers: &[(&str, &str)]) -> SignedIn {
    let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let mut req =
        agent().post(format!("{}/console/sign-in", h.url)).header("Content-Type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(body.join("&")).expect("the server answers");
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let session = set_cookie(&resp, "gpubook_session");
    SignedIn { status: resp.status().as_u16(), location, session, page: resp.body_mut().read_to_string().unwrap() }
}

/// Signs in with `token` through the sign-in page, as a browser on this server's own page does.
pub(crate) fn sign_in(h: &Harness, token: &str, next: &str) -> SignedIn {
    let value = sign_in_value(h);
    let cookie = format!("gpubook_sign_in={value}");
    post_sign_in(
        h,
        &[("token", token), ("next", next), ("csrf", &value)],
        &[("Cookie", &cookie), ("Origin", &h.url), ("Sec-Fetch-Site", "same-origin")],
    )
}

impl Browser {
    pub(crate) fn signed_in(h: &Harness, token: &str) -> Browser {
        let signed = sign_in(h, token, "/console");
        assert_eq!(signed.status, 303, "signing in: {}", signed.page);
        let session = signed.session.expect("a session cookie");
        Browser { root: h.url.clone(), cookie: format!("gpubook_session={session}") }
    }

    /// A browser that presents this session cookie.
    pub(crate) fn with_session(h: &Harness, session: &str) -> Browser {
        Browser { root: h.url.clone(), cookie: format!("gpubook_session={session}") }
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
    let bad = sign_in(&h, "gpb_not-a-token", "/console");
    assert_eq!(bad.status, 401);
    assert!(bad.page.contains("That token is not valid") && bad.session.is_none(), "{}", bad.page);
    // A good token starts a session (an HttpOnly, SameSite=Strict cookie that is not the token) and follows
    // `next` within the console only.
    let value = sign_in_value(&h);
    let resp = agent()
        .post(format!("{}/console/sign-in", h.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", format!("gpubook_sign_in={value}"))
        .send(format!("token={}&csrf={value}&next=https%3A%2F%2Fevil.example%2F", h.admin))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/console");
    let cookie = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect::<Vec<_>>();
    let session = cookie.iter().find(|c| c.starts_with("gpubook_session=")).expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains(&h.admin[4..]), "the cookie is not the token: {session}");
    let (status, _, _) = Browser::with_session(&h, "made-up").get("/console");
    assert_eq!(status, 303);
    let (status, _, _) = Browser::with_session(&h, &h.admin).get("/console");
    assert_eq!(status, 303, "a token is no session");
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

#[test]
fn signing_out_ends_the_session_for_good() {
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let signed = sign_in(&h, &alice.token, "/console/bookings");
    assert_eq!((signed.status, signed.location.as_str()), (303, "/console/bookings"));
    let session = signed.session.unwrap();
    assert!(!session.contains(&alice.token[4..]), "the cookie holds a session id, not the token");
    assert_eq!(session.len(), 64, "256 random bits, hex");
    let b = Browser::with_session(&h, &session);
    assert_eq!(b.get("/console/bookings").0, 200);
    let (status, location, _) = b.post("/console/sign-out", &[("csrf", &b.csrf())]);
    assert_eq!((status, location.as_str()), (303, "/console/sign-in"));
    // Replaying the old cookie (as someone who copied it would) no longer works.
    let (status, location, _) = b.get("/console/bookings");
    assert_eq!((status, location.as_str()), (303, "/console/sign-in?next=/console/bookings"));
    // The token itself still works, for the API and a new session.
    assert_eq!(alice.get("/whoami").0, 200);
    assert_eq!(Browser::signed_in(&h, &alice.token).get("/console/bookings").0, 200);
}

#[test]
fn revoking_a_token_ends_its_sessions() {
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let b = Browser::signed_in(&h, &alice.token);
    assert_eq!(b.get("/console/bookings").0, 200);
    let id = alice.get("/whoami").1["token_id"].as_str().unwrap().to_string();
    assert_eq!(h.admin().delete(&format!("/tokens/{id}")).0, 204);
    assert_eq!(b.get("/console/bookings").0, 303, "the session died with its token");
}

#[test]
fn sign_in_from_another_site_is_refused() {
    let h = Harness::start("sqlite");
    let mallory = h.token("mallory", "member", &["team-b"]);
    let value = sign_in_value(&h);
    let cookie = format!("gpubook_sign_in={value}");
    let form = [("token", mallory.token.as_str()), ("next", "/console"), ("csrf", value.as_str())];
    let refused = |headers: &[(&str, &str)], why: &str| {
        let answer = post_sign_in(&h, &form, headers);
        assert_eq!(answer.status, 403, "{why}: {}", answer.page);
        assert!(answer.session.is_none(), "{why}: no session");
        assert!(answer.page.contains("another site"), "{why}: a readable page");
    };
    // A page on another site auto-posting the attacker's token: the browser names that site.
    refused(&[("Cookie", &cookie), ("Origin", "https://evil.example")], "foreign Origin");
    refused(&[("Cookie", &cookie), ("Origin", "null")], "opaque Origin");
    refused(&[("Cookie", &cookie), ("Referer", "https://evil.example/login-csrf.html")], "foreign Referer");
    refused(&[("Cookie", &cookie), ("Origin", &h.url), ("Sec-Fetch-Site", "cross-site")], "Sec-Fetch-Site");
    // Another site cannot read the sign-in page's value, and its post carries no SameSite=Strict cookie.
    refused(&[("Origin", &h.url)], "no double-submit cookie");
    let other = sign_in_value(&h);
    refused(&[("Cookie", &format!("gpubook_sign_in={other}")), ("Origin", &h.url)], "a different value");
    // From the server's own page, the same form signs in.
    let referer = format!("{}/console/sign-in?next=/console", h.url);
    for headers in [
        vec![("Cookie", cookie.as_str()), ("Origin", h.url.as_str()), ("Sec-Fetch-Site", "same-origin")],
        vec![("Cookie", cookie.as_str()), ("Referer", referer.as_str())],
    ] {
        let answer = post_sign_in(&h, &form, &headers);
        assert_eq!((answer.status, answer.session.is_some()), (303, true), "{headers:?}: {}", answer.page);
    }
}

#[test]
fn a_bad_next_leads_to_the_console_never_to_an_error() {
    let h = Harness::start("sqlite");
    let long = format!("/console?{}", "a".repeat(5000));
    for next in
        ["/console\u{1}", "/console\r\nSet-Cookie: x=y", "//evil.example/", "/\\evil.example", "/console\\x", &long]
    {
        let answer = sign_in(&h, &h.admin, next);
        assert_eq!((answer.status, answer.location.as_str()), (303, "/console"), "{next:?}: {}", answer.page);
        let (status, _, page) = Browser::anonymous(&h).get(&format!("/console/sign-in?next={}", encode(next)));
        assert_eq!(status, 200, "{next:?}");
        assert!(page.contains(r#"name="next" value="/console""#), "{next:?}");
    }
    let answer = sign_in(&h, &h.admin, "/console/bookings?view=past");
    assert_eq!(answer.location, "/console/bookings?view=past", "a good `next` is followed");
}

#[test]
fn every_response_carries_the_security_headers() {
    let h = Harness::start("sqlite");
    for path in [
        "/console/sign-in",
        "/console",
        "/console/assets/console.css",
        "/api/v1/fleet",
        "/api/v1/openapi.json",
        "/api/docs/",
        "/healthz",
        "/no-such-page",
    ] {
        let resp = agent().get(format!("{}{path}", h.url)).call().unwrap();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        let csp = header("content-security-policy");
        for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp:?}");
        }
        assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{path}: {csp}");
        if path.starts_with("/console") {
            assert!(!csp.contains("unsafe-inline") && csp.contains("form-action 'self'"), "{path}: {csp}");
        }
    }
    // Signed-in pages too, and the console has no inline script or style for the policy to refuse.
    let b = Browser::signed_in(&h, &h.admin);
    for path in ["/console", "/console/bookings", "/console/fleet", "/console/projects", "/console/usage"] {
        let resp = agent().get(format!("{}{path}", h.url)).header("Cookie", &b.cookie).call().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert!(resp.headers().contains_key("content-security-policy"), "{path}");
        let page = resp.into_body().read_to_string().unwrap();
        for inline in ["<script>", "<style", " style=\"", "javascript:"] {
            assert!(!page.contains(inline), "{path} has {inline}");
        }
        let handler = page.match_indices(" on").map(|(i, _)| &page[i + 3..]).find(|rest| {
            let name = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            name > 0 && rest[name..].starts_with('=')
        });
        assert!(
            handler.is_none(),
            "{path} has an inline event handler: on{}",
            &handler.unwrap_or("")[..20.min(handler.unwrap_or("").len())]
        );
    }
}
