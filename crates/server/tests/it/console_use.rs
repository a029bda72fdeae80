//! "Use this booking" without a browser: the page is plain HTML (the manifests in a text area, the pickers a
//! GET form), names the field at fault, and another project's booking is not there (404).

use super::console::Browser;
use crate::Harness;

#[test]
fn the_use_page_works_without_script_and_only_for_the_bookings_project() {
    let h = Harness::start("sqlite");
    let alice = h.token("alice", "member", &["team-a"]);
    let bob = h.token("bob", "member", &["team-b"]);
    let (status, booked) = alice.book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
    assert_eq!(status, 201, "{booked}");
    let id = booked["id"].as_str().unwrap().to_string();
    let a = Browser::signed_in(&h, &alice.token);
    let (_, _, list) = a.get("/console/bookings");
    assert!(list.contains(&format!(r#"href="/console/bookings/{id}/use""#)), "My bookings links to it");

    let (status, _, page) = a.get(&format!("/console/bookings/{id}/use"));
    assert_eq!(status, 200, "{page}");
    let area = page.split(r#"<textarea id="manifest-yaml""#).nth(1).expect("the manifests in a text area");
    assert!(area.contains(&format!("kueue.x-k8s.io/queue-name: gpubook-{id}")), "{area}");
    assert!(page.contains(r#"<form class="use-pick" method="get""#), "the pickers work without script");
    assert!(page.contains(r#"data-copy="manifest-yaml" hidden"#), "the copy button waits for the script");

    let model = "meta-llama/Llama-3.2-1B-Instruct";
    let (status, _, page) = a.get(&format!("/console/bookings/{id}/use?model={model}&kind=job"));
    assert_eq!(status, 200);
    assert!(page.contains("kind: Job"), "{page}");
    assert!(page.contains(&format!(r#"<option value="{model}" selected>"#)), "the model picker says what is shown");
    assert!(page.contains(r#"<option value="job" selected>"#), "the kind picker says what is shown");
    for (query, field) in [("model=acme/nothing", "model: "), ("kind=pod", "kind: ")] {
        let (status, _, page) = a.get(&format!("/console/bookings/{id}/use?{query}"));
        assert_eq!(status, 200, "{query}");
        let alert = page.split(r#"role="alert">"#).nth(1).unwrap_or_else(|| panic!("{query}: no alert: {page}"));
        assert!(alert.starts_with(field), "{query}: {alert}");
    }

    let (status, _, _) = Browser::signed_in(&h, &bob.token).get(&format!("/console/bookings/{id}/use"));
    assert_eq!(status, 404, "another project's booking is not there for bob");
    assert_eq!(a.get("/console/bookings/b999/use").0, 404);
    assert_eq!(a.get("/console/bookings/nonsense/use").0, 404);

    // A past booking cannot be used: it says so.
    assert_eq!(alice.delete(&format!("/bookings/{id}")).0, 200);
    let (status, _, page) = a.get(&format!("/console/bookings/{id}/use"));
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("only live and upcoming bookings can be used"));
}
