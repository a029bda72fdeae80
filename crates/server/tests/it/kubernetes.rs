//! `GET /api/v1/k8s/objects`: the rendered objects at an instant, for admins only, and a cancelled
//! booking's objects draining from when it was cancelled, also after a restart.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use server::kubernetes::{KubeConfig, KubeSource};

use crate::{Harness, at, each_backend};

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
        let names = &b["kubernetes"];
        assert_eq!(names["namespace"], "team-a");
        for field in ["local_queue", "resource_claim_template", "hardware_profile"] {
            assert_eq!(names[field], format!("gpubook-{id}"), "{field}: the booking says where it is in Kubernetes");
        }
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

/// `gpubook serve` with a cluster: the reconciler renders the committed state at the server's clock and
/// applies it (here to a mock API server that records the calls), and the server still stops cleanly.
#[test]
fn the_server_reconciles_bookings_into_the_cluster() {
    let mut h = Harness::start("sqlite");
    let (mock, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let calls: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::default();
    let seen = calls.clone();
    h.rt.spawn(async move {
        while let Some((req, send)) = handle.next_request().await {
            let (method, uri) = (req.method().to_string(), req.uri().to_string());
            let body = req.into_body().collect_bytes().await.unwrap();
            let answer = match method.as_str() {
                "PATCH" => serde_json::from_slice(&body).unwrap(),
                _ => json!({ "apiVersion": "v1", "kind": "List", "metadata": {}, "items": [] }),
            };
            seen.lock().unwrap().push((method, uri, answer.clone()));
            send.send_response(Response::new(Body::from(serde_json::to_vec(&answer).unwrap())));
        }
    });
    let client = {
        let _rt = h.rt.enter();
        kube::Client::new(mock, "default")
    };
    h.kube = Some(KubeConfig { source: KubeSource::Client(client), interval: Duration::from_millis(20) });
    h.restart();
    let (s, b) = h.admin().book("team-a", "size=gpu-small", 1, 1.0, 3.0, "reserved");
    assert_eq!(s, 201, "{b}");
    let cq = format!("/apis/kueue.x-k8s.io/v1beta2/clusterqueues/gpubook-{}?", b["id"].as_str().unwrap());
    let applied = |stop: &str, tries: u32| {
        (0..tries).find_map(|_| {
            let found =
                calls.lock().unwrap().iter().rev().find(|(m, u, _)| m == "PATCH" && u.starts_with(&cq)).cloned();
            match found {
                Some((_, _, body)) if body["spec"]["stopPolicy"] == stop => Some(body),
                _ => {
                    std::thread::sleep(Duration::from_millis(20));
                    None
                }
            }
        })
    };
    assert!(applied("None", 15).is_none(), "nothing before the window starts");
    h.set_clock(1.5);
    let body = applied("None", 250).expect("the booking's ClusterQueue is applied once its window starts");
    assert_eq!(body["metadata"]["labels"]["app.kubernetes.io/managed-by"], "gpubook");
    h.set_clock(3.0);
    assert!(applied("HoldAndDrain", 250).is_some(), "and stopped when it ends");
    let (_, metrics) = h.admin().root_get("/metrics");
    let passes = metrics.lines().find_map(|l| l.strip_prefix("gpubook_k8s_passes_total ")).expect("pass counter");
    assert!(passes.parse::<f64>().unwrap() >= 2.0, "{metrics}");
    assert!(metrics.contains("gpubook_k8s_errors_total 0\n"), "{metrics}");
    h.restart();
}
