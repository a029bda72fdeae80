//! The console in a real browser: headless Chromium driven over WebDriver (Debian's chromium and
//! chromium-driver; `.ci/run` installs them). A member signs in, books a slice through the calendar, sees
//! it under My bookings, cancels it, and sees why a booking is refused; an admin looks at every page.
//! Screenshots of each page go to `target/console-screenshots/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::Harness;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The flags that matter on a machine without internet access, and a laptop-sized window.
const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--window-size=1280,800",
];

/// chromedriver on a free port, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The driver, or `None` (the test is skipped) when Chromium is not installed outside CI.
pub(crate) fn driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium and chromium-driver (.ci/run does)");
        eprintln!("skipped: no {CHROMEDRIVER}; apt-get install chromium chromium-driver");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver { child, port })
}

/// A browser with a fresh profile (no cookies); the profile lives as long as the returned folder.
pub(crate) async fn session(d: &Driver) -> (Client, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = CHROME_ARGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let caps = serde_json::json!({ "goog:chromeOptions": { "binary": CHROMIUM, "args": args } });
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("a WebDriver session");
    (client, profile)
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/console-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

pub(crate) async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    // htmx may swap the element between finding it and reading it (a stale reference): find it again.
    let mut last = None;
    for _ in 0..50 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.text().await {
                Ok(t) => return t,
                Err(err) => last = Some(err),
            },
            Err(err) => last = Some(err),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: {last:?}")
}

/// What the Content-Security-Policy refused on the current page since it loaded (none, for every page).
pub(crate) async fn csp_violations(c: &Client) -> Vec<String> {
    let script = r#"
        var done = arguments[arguments.length - 1], seen = [];
        var note = function (rs) {
            rs.forEach(function (r) { seen.push(r.body.effectiveDirective + " " + r.body.blockedURL); });
        };
        var o = new ReportingObserver(note, { types: ["csp-violation"], buffered: true });
        o.observe();
        setTimeout(function () { note(o.takeRecords()); done(seen); }, 300);
    "#;
    serde_json::from_value(c.execute_async(script, vec![]).await.expect("the script runs")).unwrap()
}

pub(crate) async fn sign_in(c: &Client, url: &str, token: &str) {
    c.goto(&format!("{url}/console")).await.unwrap();
    c.wait().for_element(Locator::Id("token")).await.unwrap();
    c.find(Locator::Id("token")).await.unwrap().send_keys(token).await.unwrap();
    c.find(Locator::Css("main.sign-in button")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#grid, p.empty")).await.unwrap();
}

#[test]
fn a_member_books_a_slice_from_the_calendar_then_cancels_it() {
    let Some(d) = driver() else { return };
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    // Something to see on the other pages: team-b runs a whole H100 now and borrows tomorrow.
    assert_eq!(
        h.token("bob", "member", &["team-b"]).book("team-b", "shape=H100-80GB/full", 1, 0.0, 6.0, "reserved").0,
        201
    );
    assert_eq!(h.admin().book("team-b", "shape=H100-80GB/full", 2, 24.0, 30.0, "opportunistic").0, 201);
    let url = h.url.clone();
    h.rt.block_on(async {
        let (c, _profile) = session(&d).await;
        c.goto(&format!("{url}/console")).await.unwrap();
        c.wait().for_element(Locator::Id("token")).await.unwrap();
        shot(&c, "01-sign-in").await;
        assert_eq!(csp_violations(&c).await, Vec::<String>::new(), "the sign-in page");
        sign_in(&c, &url, &alice.token).await;

        // The calendar of gpu-small slices this week; Monday 10:00 to 12:00 by click and shift-click.
        c.goto(&format!("{url}/console?project=team-a&tier=size%3Agpu-small&date=2026-11-23")).await.unwrap();
        let cell =
            |t: &str| Locator::Css(Box::leak(format!(r#"button.slot[data-start="2026-11-23T{t}"]"#).into_boxed_str()));
        c.wait().for_element(cell("10:00")).await.unwrap();
        c.find(cell("10:00")).await.unwrap().click().await.unwrap();
        c.execute(
            r#"arguments[0].dispatchEvent(new MouseEvent("mousedown", {bubbles: true, shiftKey: true}));"#,
            vec![serde_json::to_value(c.find(cell("11:00")).await.unwrap()).unwrap()],
        )
        .await
        .unwrap();
        let start = c.find(Locator::Id("f-start")).await.unwrap().prop("value").await.unwrap();
        let end = c.find(Locator::Id("f-end")).await.unwrap().prop("value").await.unwrap();
        assert_eq!((start.as_deref(), end.as_deref()), (Some("2026-11-23T10:00"), Some("2026-11-23T12:00")));
        // The live verdict (htmx) says it fits and where, before anything is booked.
        let verdict = text(&c, "#verdict .badge").await;
        assert_eq!(verdict.to_lowercase(), "fits");
        assert!(text(&c, "#verdict ul.placements").await.contains("dgx-h100-a"), "placements are shown");
        shot(&c, "02-calendar-week").await;
        assert_eq!(csp_violations(&c).await, Vec::<String>::new(), "the calendar, after htmx's verdict");
        let color = c.execute("return getComputedStyle(document.querySelector('header.top')).backgroundColor", vec![]);
        let color = color.await.unwrap();
        assert_ne!(color, "rgba(0, 0, 0, 0)", "console.css applies");
        c.find(Locator::Id("book-submit")).await.unwrap().click().await.unwrap();

        // My bookings greets the new booking with its placements, under Upcoming.
        let notice = text(&c, ".notice").await;
        assert!(notice.contains("Booked b3") && notice.contains("dgx-h100-a GPU"), "{notice}");
        assert!(text(&c, "#booking-b3").await.to_lowercase().contains("confirmed"));
        shot(&c, "03-my-bookings").await;
        c.find(Locator::Css(r#"#booking-b3 button.danger"#)).await.unwrap().click().await.unwrap();
        assert!(text(&c, ".notice").await.contains("Cancelled b3"));
        assert!(text(&c, "#booking-b3").await.to_lowercase().contains("cancelled"));
        shot(&c, "04-cancelled").await;

        // Three whole H100s at once is beyond team-a's nominal 2 plus borrowing 1 while team-b holds one:
        // the verdict and the refused booking both say why.
        c.goto(&format!("{url}/console?project=team-a&tier=shape%3AH100-80GB%2Ffull&date=2026-11-23")).await.unwrap();
        c.wait().for_element(cell("10:00")).await.unwrap();
        let count = c.find(Locator::Id("f-count")).await.unwrap();
        count.clear().await.unwrap();
        count.send_keys("4").await.unwrap();
        c.find(cell("10:00")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("#verdict ul.reasons")).await.unwrap();
        c.find(Locator::Id("book-submit")).await.unwrap().click().await.unwrap();
        let refusal = text(&c, ".refusal").await;
        assert!(refusal.contains("cannot be booked") && refusal.contains("exceeds-nominal"), "{refusal}");
        assert!(text(&c, ".refusal ul.reasons").await.len() > 10, "the reasons are listed");
        shot(&c, "05-refused").await;
        // Changing a select shows that view at once.
        c.execute(
            r#"var s = document.querySelector('select[name="mode"]'); s.value = "opportunistic";
               s.dispatchEvent(new Event("change", {bubbles: true}));"#,
            vec![],
        )
        .await
        .unwrap();
        let mut reloaded = false;
        for _ in 0..50 {
            if c.current_url().await.unwrap().query().is_some_and(|q| q.contains("mode=opportunistic")) {
                reloaded = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(reloaded, "the calendar reloads with the chosen quota");
        c.close().await.unwrap();
    });

    // The admin's pages.
    h.rt.block_on(async {
        let (c, _profile) = session(&d).await;
        sign_in(&c, &url, &h.admin).await;
        for (path, name, css) in [
            ("/console?view=day&date=2026-11-23&project=team-b&mode=opportunistic", "06-calendar-day", "#grid"),
            ("/console/fleet", "07-fleet", "svg.layout"),
            ("/console/projects", "08-projects", "figure.chart"),
            ("/console/usage", "09-utilisation", "figure.chart"),
        ] {
            c.goto(&format!("{url}{path}")).await.unwrap();
            c.wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{path}: {e}"));
            // On the fleet, the node where the bookings are.
            c.execute(r#"document.querySelector('[aria-label="node dgx-h100-a"]')?.scrollIntoView()"#, vec![])
                .await
                .unwrap();
            shot(&c, name).await;
            assert_eq!(csp_violations(&c).await, Vec::<String>::new(), "{path}");
        }
        assert!(text(&c, "main").await.contains("H100-80GB"));
        // The API docs (Swagger UI) render under their policy.
        c.goto(&format!("{url}/api/docs/")).await.unwrap();
        // Swagger UI re-renders as it loads the spec: wait for the title to name the API.
        let mut title = String::new();
        for _ in 0..50 {
            if let Ok(t) = c.find(Locator::Css(".swagger-ui .info .title")).await {
                title = t.text().await.unwrap_or_default();
            }
            if title.contains("gpubook") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(title.contains("gpubook"), "Swagger UI shows the API: {title:?}");
        shot(&c, "10-api-docs").await;
        assert_eq!(csp_violations(&c).await, Vec::<String>::new(), "/api/docs/");
        // Signing out ends the session: the pages lead to the sign-in page again.
        c.goto(&format!("{url}/console/bookings")).await.unwrap();
        c.find(Locator::Css("div.who button")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Id("token")).await.unwrap();
        c.goto(&format!("{url}/console/bookings")).await.unwrap();
        c.wait().for_element(Locator::Id("token")).await.unwrap();
        c.close().await.unwrap();
    });
}
