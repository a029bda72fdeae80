//! `GET /api/v1/bookings/{id}/manifests`: a member gets ready-to-apply manifests for a booking of their
//! project; bad input is a 422 naming the parameter; another project's booking is a 404 like other reads.

use crate::{Harness, each_backend};

#[test]
fn a_member_gets_manifests_for_a_booking_and_bad_input_names_the_parameter() {
    each_backend(|h: Harness| {
        let alice = h.token("alice", "member", &["team-a"]);
        let (s, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_str().unwrap().to_string();
        let model = "meta-llama/Llama-3.2-1B-Instruct";
        let (s, v) = alice.get(&format!("/bookings/{id}/manifests?model={model}"));
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            (v["booking"].as_str(), v["kind"].as_str(), v["namespace"].as_str()),
            (Some(&*id), Some("vllm"), Some("team-a"))
        );
        let kinds: Vec<&str> = v["manifests"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Deployment", "Service"]);
        let deployment = &v["manifests"][0];
        assert_eq!(deployment["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], format!("gpubook-{id}"));
        assert!(v["yaml"].as_str().unwrap().contains("kind: Deployment"));
        let (s, job) = alice.get(&format!("/bookings/{id}/manifests?model={model}&kind=job&dra=true"));
        assert_eq!(s, 200, "{job}");
        assert_eq!(
            job["manifests"][0]["spec"]["template"]["spec"]["resourceClaims"][0]["resourceClaimTemplateName"],
            format!("gpubook-{id}")
        );

        for (query, field) in [
            ("model=acme/nothing", "model"),
            ("model=meta-llama/Llama-3.1-70B-Instruct", "model"),
            (&*format!("model={model}&kind=pod"), "kind"),
            (&*format!("model={model}&kind=inferenceservice&dra=true"), "dra"),
        ] {
            let (s, e) = alice.get(&format!("/bookings/{id}/manifests?{query}"));
            assert_eq!(s, 422, "{query}: {e}");
            assert!(e["error"]["message"].as_str().unwrap().starts_with(field), "{query}: {e}");
        }
        assert_eq!(alice.get(&format!("/bookings/{id}/manifests")).0, 422, "model is required");
        assert_eq!(alice.get(&format!("/bookings/{id}/manifests?model={model}&colour=red")).0, 422);
        let (s, e) = alice.get(&format!("/bookings/b999/manifests?model={model}"));
        assert_eq!(s, 404, "{e}");
        let bob = h.token("bob", "member", &["team-b"]);
        let (s, e) = bob.get(&format!("/bookings/{id}/manifests?model={model}"));
        assert_eq!(s, 404, "another project's booking is not seen: {e}");
    });
}
