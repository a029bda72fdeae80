//! `serve --k8s-queues per-project`: the rendered queues are the project's, and the API, the manifests and
//! the console name the project's LocalQueue for a booking.

use super::console::Browser;
use crate::{Harness, at};

#[test]
fn per_project_queues_are_named_everywhere_a_booking_says_where_to_go() {
    let mut h = Harness::start("sqlite");
    h.k8s.queues = k8s::render::QueueMode::PerProject;
    h.restart();
    let alice = h.token("alice", "member", &["team-a"]);
    let (s, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let queue = "gpubook-team-a-reserved";
    assert_eq!(b["kubernetes"]["local_queue"], queue, "{b}");
    // The claim template and HardwareProfile of the project (and mode) and the booked shape.
    let placed = &b["placements"][0];
    let shape = format!("{}-{}", placed["model"].as_str().unwrap(), placed["profile"].as_str().unwrap())
        .to_lowercase()
        .replace('.', "-");
    let (template, profile) = (format!("gpubook-team-a-{shape}"), format!("gpubook-team-a-reserved-{shape}"));
    assert_eq!(b["kubernetes"]["resource_claim_template"], template.as_str(), "{b}");
    assert_eq!(b["kubernetes"]["hardware_profile"], profile.as_str(), "{b}");
    assert_eq!(alice.get(&format!("/bookings/{id}")).1["kubernetes"]["local_queue"], queue);
    assert_eq!(alice.get("/bookings").1[0]["kubernetes"]["local_queue"], queue);

    let model = "meta-llama/Llama-3.2-1B-Instruct";
    let (s, m) = alice.get(&format!("/bookings/{id}/manifests?model={model}"));
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["manifests"][0]["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], queue);
    let page = Browser::signed_in(&h, &alice.token).get(&format!("/console/bookings/{id}/use")).2;
    assert!(page.contains(&format!("kueue.x-k8s.io/queue-name: {queue}")), "the console's manifests too");

    let (s, objects) = h.admin().get(&format!("/k8s/objects?at={}", at(2.0)));
    assert_eq!(s, 200, "{objects}");
    let queues: Vec<&str> = objects
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "ClusterQueue")
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    assert!(queues.contains(&queue), "{queues:?}");
    assert!(!queues.contains(&format!("gpubook-{id}").as_str()), "no queue per booking: {queues:?}");
    let named = |kind: &str, name: &str| {
        objects.as_array().unwrap().iter().any(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    };
    assert!(named("ResourceClaimTemplate", &template) && named("HardwareProfile", &profile), "the view's names exist");

    let (s, m) = alice.get(&format!("/bookings/{id}/manifests?model={model}&dra=true"));
    assert_eq!(s, 200, "{m}");
    let claims = &m["manifests"][0]["spec"]["template"]["spec"]["resourceClaims"];
    assert_eq!(claims[0]["resourceClaimTemplateName"], template.as_str(), "{claims}");
}
