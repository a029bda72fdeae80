//! "Use this booking" in a real browser: a member opens My bookings, clicks "Use this booking", reads the
//! manifests (on the booking's Kueue queue), picks another model and kind, copies them; on a phone the page
//! fits the screen and axe-core finds no WCAG 2 A/AA violation.

use fantoccini::{Client, Locator};

use super::browser::{csp_violations, driver, session, shot, sign_in, text};
use super::browser_fit::{axe_source, axe_violations, choose, until};
use crate::Harness;

async fn manifest(c: &Client) -> String {
    let area = c.find(Locator::Id("manifest-yaml")).await.unwrap();
    area.prop("value").await.unwrap().unwrap_or_default()
}

async fn overflow(c: &Client) -> i64 {
    let wide = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await.unwrap();
    wide.as_i64().unwrap()
}

#[test]
fn a_member_clicks_use_this_booking_and_reads_the_manifests() {
    let Some(d) = driver() else { return };
    let axe = axe_source();
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let (status, booked) = alice.book("team-a", "size=gpu-medium", 1, 1.0, 3.0, "reserved");
    assert_eq!(status, 201, "{booked}");
    let id = booked["id"].as_str().unwrap().to_string();
    let url = h.url.clone();
    h.rt.block_on(async {
        let (c, _profile) = session(&d).await;
        sign_in(&c, &url, &alice.token).await;
        c.goto(&format!("{url}/console/bookings")).await.unwrap();
        let link = c.find(Locator::LinkText("Use this booking")).await.expect("a link on the upcoming booking");
        link.click().await.unwrap();
        c.wait().for_element(Locator::Id("manifest-yaml")).await.unwrap();
        assert_eq!(text(&c, "h1").await, format!("Use booking {id}"));
        let yaml = manifest(&c).await;
        assert!(yaml.contains(&format!("kueue.x-k8s.io/queue-name: gpubook-{id}")), "{yaml}");
        assert!(yaml.contains("kind: Deployment") && yaml.contains("kind: Service"), "vLLM by default: {yaml}");

        // Another model and a Job: htmx swaps the manifests in.
        choose(&c, "u-model", "meta-llama/Llama-3.1-8B-Instruct").await;
        until(
            &c,
            "the model is swapped in",
            r#"return document.getElementById("manifest-yaml").value.includes("Llama-3.1-8B")"#,
        )
        .await;
        choose(&c, "u-kind", "job").await;
        until(
            &c,
            "the Job is swapped in",
            r#"return document.getElementById("manifest-yaml").value.includes("kind: Job")"#,
        )
        .await;
        assert!(manifest(&c).await.contains(&format!("kueue.x-k8s.io/queue-name: gpubook-{id}")));
        assert!(c.current_url().await.unwrap().as_str().contains("kind=job"), "the URL says what is shown");

        // The copy button, shown by the script, copies (or selects, where the clipboard is refused).
        let copy = c.find(Locator::Css("button[data-copy]")).await.unwrap();
        assert!(copy.is_displayed().await.unwrap(), "the script shows the copy button");
        copy.click().await.unwrap();
        until(&c, "the copy is said", r#"return document.querySelector(".copied").textContent.length > 0"#).await;
        assert_eq!(csp_violations(&c).await, Vec::<String>::new(), "the use page");

        // On a phone: My bookings and the use page fit the screen, and axe-core finds nothing on either.
        c.set_window_size(390, 844).await.unwrap();
        c.goto(&format!("{url}/console/bookings")).await.unwrap();
        c.wait().for_element(Locator::LinkText("Use this booking")).await.unwrap();
        assert!(overflow(&c).await <= 0, "My bookings is wider than the phone");
        if let Some(axe) = &axe {
            assert_eq!(axe_violations(&c, axe).await, Vec::<String>::new(), "axe-core on My bookings");
        }
        c.find(Locator::LinkText("Use this booking")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Id("manifest-yaml")).await.unwrap();
        assert!(overflow(&c).await <= 0, "the use page is wider than the phone");
        shot(&c, "13-use-this-booking-phone").await;
        if let Some(axe) = &axe {
            assert_eq!(axe_violations(&c, axe).await, Vec::<String>::new(), "axe-core on the use page");
        }
        c.close().await.unwrap();
    });
}
