//! "What will you run?" in a real browser: a member picks a model, sees the tiers that fit it marked and
//! the smallest preselected, and books it; the booking page works on a phone and passes axe-core's WCAG 2
//! A/AA rules (axe-core from npm, which `.ci/run` installs under `target/axe`).

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};

use super::browser::{csp_violations, driver, session, shot, sign_in, text};
use crate::Harness;

/// axe-core's script, or `None` (that check is skipped) when it is not installed outside CI.
pub(crate) fn axe_source() -> Option<String> {
    let path = std::env::var_os("GPUBOOK_AXE_JS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/axe/node_modules/axe-core/axe.min.js"))
    });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "CI must install axe-core ({}): {e}", path.display());
            eprintln!("axe-core skipped: {}: {e}; npm install --prefix target/axe axe-core", path.display());
            None
        }
    }
}

/// axe-core's WCAG 2 A and AA violations on the current page, as "rule: target" lines.
pub(crate) async fn axe_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let script = r#"
        var done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
          .then(function (r) {
            done(r.violations.map(function (v) {
              return v.id + ": " + v.nodes.map(function (n) { return n.target.join(" "); }).join(", ");
            }));
          }, function (e) { done(["axe failed: " + e]); });
    "#;
    serde_json::from_value(c.execute_async(script, vec![]).await.expect("axe-core runs")).unwrap()
}

/// Waits until `script` returns true.
pub(crate) async fn until(c: &Client, what: &str, script: &str) {
    for _ in 0..100 {
        if c.execute(script, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: never true: {script}");
}

pub(crate) async fn choose(c: &Client, id: &str, value: &str) {
    let script = format!(
        r#"var s = document.getElementById("{id}"); s.value = {value:?};
           s.dispatchEvent(new Event("change", {{bubbles: true}}));"#
    );
    c.execute(&script, vec![]).await.unwrap();
}

#[test]
fn a_member_picks_a_model_and_the_smallest_size_that_fits_is_chosen() {
    let Some(d) = driver() else { return };
    let axe = axe_source();
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let url = h.url.clone();
    h.rt.block_on(async {
        let (c, _profile) = session(&d).await;
        sign_in(&c, &url, &alice.token).await;
        c.goto(&format!("{url}/console?project=team-a&tier=size%3Agpu-small&date=2026-11-23")).await.unwrap();
        let cell = Locator::Css(r#"button.slot[data-start="2026-11-23T10:00"]"#);
        c.wait().for_element(cell).await.unwrap();
        c.find(cell).await.unwrap().click().await.unwrap();
        assert_eq!(text(&c, "#verdict .badge").await.to_lowercase(), "fits");

        // Llama 3.1 8B: 15 GiB of weights. gpu-small's 20 GB slices are too small, every gpu-medium shape
        // (40 GB and up) holds it, and so do whole GPUs.
        choose(&c, "f-model", "meta-llama/Llama-3.1-8B-Instruct").await;
        until(&c, "the tiers are marked", r#"return !!document.querySelector('#f-tier option[data-fits]')"#).await;
        let tier = c.find(Locator::Id("f-tier")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(tier.as_deref(), Some("size:gpu-medium"), "the smallest size that fits is preselected");
        let marked = |key: &str| {
            format!(r#"return document.querySelector('#f-tier option[value="{key}"]').dataset.fits || "none""#)
        };
        for (key, fits) in [("size:gpu-small", "false"), ("size:gpu-medium", "true"), ("size:gpu-large", "true")] {
            let v = c.execute(&marked(key), vec![]).await.unwrap();
            assert_eq!(v, fits, "{key}");
        }
        let label = text(&c, r#"#f-tier option[value="size:gpu-medium"]"#).await;
        assert!(label.contains("✓ fits"), "{label}");
        assert!(text(&c, "#fit-note").await.contains("Picked the smallest that fits"), "the note says so");
        assert!(text(&c, "#fit-note code").await.contains("--max-model-len 8192"), "and gives vLLM's arguments");
        shot(&c, "11-what-will-you-run").await;
        assert_eq!(csp_violations(&c).await, Vec::<String>::new(), "the calendar after the fit");

        // A context longer than the model's is said, naming the field.
        let ctx = c.find(Locator::Id("f-context")).await.unwrap();
        ctx.send_keys("999999").await.unwrap();
        choose(&c, "f-context", "999999").await;
        until(
            &c,
            "the note says why",
            r#"return document.getElementById("fit-note").textContent.includes("context:")"#,
        )
        .await;
        choose(&c, "f-context", "8192").await;
        until(&c, "marked again", r#"return document.getElementById("f-tier").value === "size:gpu-medium""#).await;

        // Booking it books gpu-medium.
        c.find(Locator::Id("book-submit")).await.unwrap().click().await.unwrap();
        let notice = text(&c, ".notice").await;
        assert!(notice.contains("Booked b1"), "{notice}");
        assert!(text(&c, "#booking-b1").await.contains("1 × gpu-medium"));

        // On a phone: one column, nothing wider than the screen, and axe-core finds nothing on the page.
        c.set_window_size(390, 844).await.unwrap();
        c.goto(&format!("{url}/console?project=team-a&tier=size%3Agpu-small&date=2026-11-23")).await.unwrap();
        c.wait().for_element(Locator::Id("f-model")).await.unwrap();
        choose(&c, "f-model", "Qwen/Qwen2.5-7B-Instruct").await;
        until(&c, "marked on a phone", r#"return !!document.querySelector('#f-tier option[data-fits]')"#).await;
        let wide = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await.unwrap();
        let widest = c
            .execute(
                r#"return Array.from(document.querySelectorAll("body *"))
                     .filter(function (e) { return e.getBoundingClientRect().right > window.innerWidth + 1; })
                     .slice(0, 5).map(function (e) { return e.tagName + "." + e.className + " id=" + e.id; })"#,
                vec![],
            )
            .await
            .unwrap();
        assert!(wide.as_i64().unwrap() <= 0, "the page is {wide} px wider than the phone: {widest}");
        c.execute(r#"document.getElementById("f-model").scrollIntoView()"#, vec![]).await.unwrap();
        shot(&c, "12-what-will-you-run-phone").await;
        if let Some(axe) = &axe {
            assert_eq!(axe_violations(&c, axe).await, Vec::<String>::new(), "axe-core on the booking page");
        }
        c.close().await.unwrap();
    });
}
