//! `GET /api/v1/k8s/objects`: the rendered objects at an instant, for admins only, and a cancelled
//! booking's objects draining from when it was cancelled, also after a restart.

use serde_json::Value;

use crate::{at, each_backend};

fn cluster_queue<'a>(objects: &'a Value, name: &str) -> Option<&'a Value> {
    objects.as_array().unwrap().iter().find(|o| o["kind"] == "ClusterQueue" && o["metadata"]["name"] == name)
}

#[test]
fn admins_read_the_objects_at_an_instant() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let (s, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_str().unwrap();
        let (s, now) = h.admin().get("/k8s/objects");
        assert_eq!(s, 200, "{now}");
        assert!(cluster_queue(&now, &format!("gpubook-{id}")).is_none(), "not before its window");
        assert!(cluster_queue(&now, "gpubook-shared").is_some());
        let (_, during) = h.admin().get(&format!("/k8s/objects?at={}", at(1.5)));
        let cq = cluster_queue(&during, &format!("gpubook-{id}")).expect("its ClusterQueue");
        assert_eq!(cq["spec"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "team-a");
        assert_eq!(cq["spec"]["stopPolicy"], "None");

        let (s, e) = alice.get("/k8s/objects");
        assert_eq!(s, 403, "{e}");
        let (s, e) = h.admin().get("/k8s/objects?at=tomorrow");
        assert_eq!(s, 422, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().starts_with("at"), "{e}");
        assert_eq!(h.admin().get("/k8s/objects?when=now").0, 422, "unknown parameters are refused");
    });
}

#[test]
fn a_cancelled_booking_drains_from_its_cancellation_also_after_a_restart() {
    each_backend(|mut h| {
        let (_, b) = h.admin().book("team-a", "size=gpu-small", 1, 1.0, 5.0, "reserved");
        let id = b["id"].as_str().unwrap().to_string();
        h.set_clock(2.0);
        assert_eq!(h.admin().delete(&format!("/bookings/{id}")).0, 200);
        for restarted in [false, true] {
            if restarted {
                h.restart();
            }
            let (_, objects) = h.admin().get(&format!("/k8s/objects?at={}", at(2.05)));
            let cq = cluster_queue(&objects, &format!("gpubook-{id}")).expect("kept for the grace period");
            assert_eq!(cq["spec"]["stopPolicy"], "HoldAndDrain", "restarted: {restarted}");
            let (_, later) = h.admin().get(&format!("/k8s/objects?at={}", at(2.5)));
            assert!(cluster_queue(&later, &format!("gpubook-{id}")).is_none(), "gone after the grace period");
        }
    });
}
