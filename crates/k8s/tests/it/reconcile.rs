//! The reconciler against a fake API server behind tower-test's mock service: it keeps objects in memory,
//! answers apply, list (with a label selector) and delete as the API server does, records every call, and
//! can be told to fail a call.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http::{Request, Response, StatusCode};
use k8s::reconcile::FIELD_MANAGER;
use k8s::{Kind, Object, Options, Reconciler, render};
use kube::client::Body;
use serde_json::{Value, json};

use crate::fixture::{at, booked};

/// `(method, path and query, content type)` of one call.
type Call = (String, String, Option<String>);

#[derive(Default)]
struct Cluster {
    /// By (plural, namespace, name).
    objects: BTreeMap<(String, Option<String>, String), Value>,
    calls: Vec<Call>,
    /// Calls whose path starts with this and whose method matches fail once with 500.
    fail: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Cluster>>;

/// `/apis/g/v/[namespaces/ns/]plural[/name]` or `/api/v1/...` into (plural, namespace, name).
fn parse(path: &str) -> (String, Option<String>, Option<String>) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let rest = if parts[0] == "api" { &parts[2..] } else { &parts[3..] };
    let (ns, rest) = match rest {
        ["namespaces", ns, rest @ ..] => (Some(ns.to_string()), rest),
        rest => (None, rest),
    };
    (rest[0].to_string(), ns, rest.get(1).map(|s| s.to_string()))
}

fn respond(status: StatusCode, body: &Value) -> Response<Body> {
    Response::builder().status(status).body(Body::from(serde_json::to_vec(body).unwrap())).unwrap()
}

fn status(code: u16, reason: &str) -> Value {
    json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": reason, "reason": reason, "code": code })
}

async fn serve(mut handle: tower_test::mock::Handle<Request<Body>, Response<Body>>, cluster: Shared) {
    while let Some((req, send)) = handle.next_request().await {
        let method = req.method().to_string();
        let uri = req.uri().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let ctype = req.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
        let body = req.into_body().collect_bytes().await.unwrap();
        let mut c = cluster.lock().unwrap();
        c.calls.push((method.clone(), uri.clone(), ctype));
        if let Some(i) = c.fail.iter().position(|(m, p)| *m == method && path.starts_with(p.as_str())) {
            c.fail.remove(i);
            send.send_response(respond(StatusCode::INTERNAL_SERVER_ERROR, &status(500, "InternalError")));
            continue;
        }
        let (plural, ns, name) = parse(&path);
        let response = match (method.as_str(), name) {
            ("PATCH", Some(name)) => {
                let obj: Value = serde_json::from_slice(&body).expect("apply bodies are JSON");
                let key = (plural.clone(), ns, name);
                // As the API server does: a ResourceClaimTemplate's spec never changes, nor do an
                // events.k8s.io/v1 Event's fields (`ValidateEventUpdate`): only its metadata and series may.
                let changed = |old: &Value, field: &str| old.get(field) != obj.get(field);
                let immutable = c.objects.get(&key).is_some_and(|old| match plural.as_str() {
                    "resourceclaimtemplates" => changed(old, "spec"),
                    "events" => ["eventTime", "type", "reason", "action", "note", "regarding", "reportingController"]
                        .iter()
                        .any(|f| changed(old, f)),
                    _ => false,
                });
                if immutable {
                    respond(StatusCode::UNPROCESSABLE_ENTITY, &status(422, "Invalid"))
                } else {
                    c.objects.insert(key, obj.clone());
                    respond(StatusCode::OK, &obj)
                }
            }
            ("GET", None) => {
                let selector = query.split('&').find_map(|kv| kv.strip_prefix("labelSelector=")).unwrap_or("");
                let selector = selector.replace("%2F", "/").replace("%3D", "=");
                let (k, v) = selector.split_once('=').unwrap_or(("", ""));
                let items: Vec<&Value> = c
                    .objects
                    .iter()
                    .filter(|((p, n, _), _)| *p == plural && (ns.is_none() || *n == ns))
                    .map(|(_, o)| o)
                    .filter(|o| k.is_empty() || o["metadata"]["labels"][k] == v)
                    .collect();
                respond(
                    StatusCode::OK,
                    &json!({ "apiVersion": "v1", "kind": "List", "metadata": { "resourceVersion": "1" }, "items": items }),
                )
            }
            ("DELETE", Some(name)) => match c.objects.remove(&(plural, ns, name)) {
                Some(obj) => respond(StatusCode::OK, &obj),
                None => respond(StatusCode::NOT_FOUND, &status(404, "NotFound")),
            },
            _ => respond(StatusCode::METHOD_NOT_ALLOWED, &status(405, "MethodNotAllowed")),
        };
        send.send_response(response);
    }
}

fn cluster() -> (Reconciler, Shared) {
    let (mock, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let shared = Shared::default();
    tokio::spawn(serve(handle, shared.clone()));
    (Reconciler::new(kube::Client::new(mock, "default"), Options::default()), shared)
}

fn take_calls(c: &Shared) -> Vec<Call> {
    std::mem::take(&mut c.lock().unwrap().calls)
}

fn desired(hours: f64) -> Vec<Object> {
    render(&booked(), at(hours), &Options::default())
}

fn stored(c: &Shared) -> Vec<Value> {
    c.lock().unwrap().objects.values().cloned().collect()
}

fn bodies(objects: &[Object]) -> Vec<Value> {
    let mut v: Vec<Value> = objects.iter().map(|o| o.body.clone()).collect();
    v.sort_by_key(|b| b.to_string());
    v
}

const OWNED: &str = "?&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dgpubook";

#[tokio::test]
async fn a_pass_lists_what_it_owns_then_applies_every_object_under_one_field_manager() {
    let (r, c) = cluster();
    let want = desired(1.5);
    let report = r.reconcile(&want).await;
    assert_eq!((report.applied, report.deleted.len(), report.errors.len()), (want.len(), 0, 0));
    let calls = take_calls(&c);
    let (lists, patches) = calls.split_at(10);
    let lists: Vec<String> = lists
        .iter()
        .map(|(m, u, _)| {
            assert_eq!(m, "GET");
            u.strip_suffix(OWNED).unwrap_or_else(|| panic!("{u} lists by gpubook's label")).to_string()
        })
        .collect();
    assert_eq!(
        lists,
        [
            "/api/v1/namespaces/gpu-operator/configmaps",
            "/apis/events.k8s.io/v1/events",
            "/apis/infrastructure.opendatahub.io/v1/hardwareprofiles",
            "/apis/resource.k8s.io/v1/resourceclaimtemplates",
            "/apis/resource.k8s.io/v1/deviceclasses",
            "/apis/kueue.x-k8s.io/v1beta2/localqueues",
            "/apis/kueue.x-k8s.io/v1beta2/clusterqueues",
            "/apis/kueue.x-k8s.io/v1beta2/workloadpriorityclasses",
            "/apis/kueue.x-k8s.io/v1beta2/resourceflavors",
            "/apis/kueue.x-k8s.io/v1beta2/cohorts",
        ]
    );
    assert_eq!(patches.len(), want.len());
    for ((method, uri, ctype), o) in patches.iter().zip(&want) {
        assert_eq!(method, "PATCH");
        assert!(uri.ends_with(&format!("/{}?&force=true&fieldManager={FIELD_MANAGER}", o.name)), "{uri}");
        assert_eq!(ctype.as_deref(), Some("application/apply-patch+yaml"));
    }
    assert_eq!(patches[0].1, "/apis/kueue.x-k8s.io/v1beta2/cohorts/gpubook?&force=true&fieldManager=gpubook");
    let cq = want.iter().position(|o| o.kind == Kind::ClusterQueue && o.name == "gpubook-b1").unwrap();
    assert_eq!(patches[cq].1, "/apis/kueue.x-k8s.io/v1beta2/clusterqueues/gpubook-b1?&force=true&fieldManager=gpubook");
    let rct = want.iter().position(|o| o.kind == Kind::ResourceClaimTemplate && o.name == "gpubook-b1").unwrap();
    assert_eq!(
        patches[rct].1,
        "/apis/resource.k8s.io/v1/namespaces/team-a/resourceclaimtemplates/gpubook-b1?&force=true&fieldManager=gpubook"
    );
    let node = want.iter().position(|o| o.kind == Kind::Node).unwrap();
    assert_eq!(patches[node].1, "/api/v1/nodes/hgx-h200-a?&force=true&fieldManager=gpubook");
    assert_eq!(bodies_sorted(stored(&c)), bodies(&want));
}

#[tokio::test]
async fn a_second_pass_over_the_same_state_sends_nothing_but_its_lists() {
    let (r, c) = cluster();
    let want = desired(1.5);
    r.reconcile(&want).await;
    let before = stored(&c);
    take_calls(&c);
    let report = r.reconcile(&want).await;
    assert_eq!((report.applied, report.unchanged), (0, want.len()));
    assert!(report.deleted.is_empty() && report.errors.is_empty());
    assert_eq!(stored(&c), before);
    assert!(take_calls(&c).iter().all(|(m, _, _)| m == "GET"));
}

#[tokio::test]
async fn an_object_deleted_behind_its_back_is_applied_again_and_a_resync_applies_all() {
    let (r, c) = cluster();
    let r = r.with_resync_every(3);
    let want = desired(1.5);
    r.reconcile(&want).await;
    c.lock().unwrap().objects.remove(&("clusterqueues".into(), None, "gpubook-b1".into()));
    take_calls(&c);
    let second = r.reconcile(&want).await;
    assert_eq!((second.applied, second.unchanged), (1, want.len() - 1));
    let patches: Vec<String> = take_calls(&c).into_iter().filter(|(m, _, _)| m == "PATCH").map(|(_, u, _)| u).collect();
    assert_eq!(patches, ["/apis/kueue.x-k8s.io/v1beta2/clusterqueues/gpubook-b1?&force=true&fieldManager=gpubook"]);
    assert_eq!(bodies_sorted(stored(&c)), bodies(&want));
    let third = r.reconcile(&want).await;
    assert_eq!((third.applied, third.unchanged), (want.len(), 0), "every third pass resyncs");
}

#[tokio::test]
async fn objects_no_longer_rendered_are_deleted_dependants_first_and_foreign_ones_are_left() {
    let (r, c) = cluster();
    r.reconcile(&desired(1.5)).await;
    // Someone else's ClusterQueue, without gpubook's label.
    c.lock().unwrap().objects.insert(
        ("clusterqueues".into(), None, "theirs".into()),
        json!({ "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue", "metadata": { "name": "theirs" } }),
    );
    take_calls(&c);
    // At hour 7 every booking has ended and its grace period is over.
    let later = desired(7.0);
    let report = r.reconcile(&later).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.deleted,
        [
            "HardwareProfile inference/gpubook-b4",
            "HardwareProfile team-a/gpubook-b1",
            "HardwareProfile team-a/gpubook-b5",
            "HardwareProfile team-b/gpubook-b3",
            "ResourceClaimTemplate inference/gpubook-b4",
            "ResourceClaimTemplate team-a/gpubook-b1",
            "ResourceClaimTemplate team-a/gpubook-b5",
            "ResourceClaimTemplate team-b/gpubook-b3",
            "LocalQueue inference/gpubook-b4",
            "LocalQueue team-a/gpubook-b1",
            "LocalQueue team-a/gpubook-b5",
            "LocalQueue team-b/gpubook-b3",
            "ClusterQueue gpubook-b1",
            "ClusterQueue gpubook-b3",
            "ClusterQueue gpubook-b4",
            "ClusterQueue gpubook-b5",
        ]
    );
    let deletes: Vec<String> =
        take_calls(&c).into_iter().filter(|(m, _, _)| m == "DELETE").map(|(_, u, _)| u).collect();
    assert_eq!(deletes[0], "/apis/infrastructure.opendatahub.io/v1/namespaces/inference/hardwareprofiles/gpubook-b4?");
    assert_eq!(deletes.len(), 16);
    let mut left = stored(&c);
    left.retain(|o| o["metadata"]["name"] != "theirs");
    assert_eq!(bodies_sorted(left), bodies(&later));
    assert!(c.lock().unwrap().objects.contains_key(&("clusterqueues".into(), None, "theirs".into())));
}

fn bodies_sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|b| b.to_string());
    v
}

#[tokio::test]
async fn a_failed_call_is_reported_and_the_next_pass_repairs_it() {
    let (r, c) = cluster();
    let want = desired(1.5);
    c.lock().unwrap().fail.push(("PATCH".into(), "/apis/kueue.x-k8s.io/v1beta2/clusterqueues/gpubook-b1".into()));
    c.lock().unwrap().fail.push(("GET".into(), "/apis/kueue.x-k8s.io/v1beta2/localqueues".into()));
    let first = r.reconcile(&want).await;
    assert_eq!(first.applied, want.len() - 1, "the others are applied");
    assert_eq!(first.errors.len(), 2, "{:?}", first.errors);
    assert!(first.errors[0].starts_with("list LocalQueue: "), "{}", first.errors[0]);
    assert!(first.errors[1].starts_with("apply ClusterQueue gpubook-b1: "), "{}", first.errors[1]);
    take_calls(&c);
    let second = r.reconcile(&want).await;
    assert_eq!((second.applied, second.errors.len()), (1, 0), "only what failed is sent again");
    assert_eq!(bodies_sorted(stored(&c)), bodies(&want));
}

#[tokio::test]
async fn skipped_kinds_are_neither_applied_nor_listed() {
    let (mock, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let shared = Shared::default();
    tokio::spawn(serve(handle, shared.clone()));
    let opts = Options { skip: [Kind::HardwareProfile].into(), ..Options::default() };
    let r = Reconciler::new(kube::Client::new(mock, "default"), opts.clone());
    let report = r.reconcile(&render(&booked(), at(1.5), &opts)).await;
    assert!(report.errors.is_empty());
    assert!(take_calls(&shared).iter().all(|(_, u, _)| !u.contains("hardwareprofiles")));
}

#[tokio::test]
async fn a_changed_claim_template_is_replaced_since_its_spec_is_immutable() {
    let (r, c) = cluster();
    let mut want = desired(1.5);
    r.reconcile(&want).await;
    let i = want.iter().position(|o| o.kind == Kind::ResourceClaimTemplate && o.name == "gpubook-b1").unwrap();
    want[i].body["spec"]["spec"]["devices"]["requests"][0]["exactly"]["count"] = json!(2);
    take_calls(&c);
    let report = r.reconcile(&want).await;
    assert_eq!((report.applied, report.errors.len()), (1, 0), "{:?}", report.errors);
    let path = "/apis/resource.k8s.io/v1/namespaces/team-a/resourceclaimtemplates/gpubook-b1";
    let calls: Vec<(String, String)> =
        take_calls(&c).into_iter().filter(|(m, _, _)| m != "GET").map(|(m, u, _)| (m, u)).collect();
    let apply = format!("{path}?&force=true&fieldManager=gpubook");
    assert_eq!(
        calls,
        [
            ("PATCH".to_string(), apply.clone()),
            ("DELETE".to_string(), format!("{path}?")),
            ("PATCH".to_string(), apply)
        ]
    );
    assert_eq!(bodies_sorted(stored(&c)), bodies(&want));
}

/// Against an API server that does not answer, a pass ends at the first call with one error instead of one
/// per object.
#[tokio::test]
async fn a_pass_ends_at_the_first_call_the_api_server_does_not_answer() {
    let (mock, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    drop(handle); // every call now fails to reach a server
    let r = Reconciler::new(kube::Client::new(mock, "default"), Options::default());
    let report = r.reconcile(&desired(1.5)).await;
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].starts_with("list ConfigMap: ") && report.errors[0].ends_with("; pass abandoned"));
    assert_eq!(report.applied, 0);
}

/// The warning Event of b1 (ending at hour 5) is applied inside the lead time, like any object, and deleted
/// once b1 is released; a changed one (a longer lead moves its time) is replaced, since Events are immutable.
#[tokio::test]
async fn the_warning_event_is_applied_in_the_lead_time_then_deleted_at_the_release() {
    let (r, c) = cluster();
    r.reconcile(&desired(4.7)).await;
    let event = ("events".to_string(), Some("team-a".to_string()), "gpubook-b1-ending".to_string());
    assert!(!c.lock().unwrap().objects.contains_key(&event), "18 minutes before the end: no Event yet");
    take_calls(&c);
    let inside = desired(4.9);
    let report = r.reconcile(&inside).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let path = "/apis/events.k8s.io/v1/namespaces/team-a/events/gpubook-b1-ending";
    let patches: Vec<String> = take_calls(&c).into_iter().filter(|(m, _, _)| m == "PATCH").map(|(_, u, _)| u).collect();
    assert!(patches.contains(&format!("{path}?&force=true&fieldManager=gpubook")), "{patches:?}");
    let stored_event = c.lock().unwrap().objects[&event].clone();
    assert_eq!(stored_event["reason"], "BookingEnding");
    assert_eq!(stored_event["regarding"]["name"], "gpubook-b1");

    // A longer lead moves the Event's time: the API server refuses the change, so it is replaced.
    let (mock, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    tokio::spawn(serve(handle, c.clone()));
    let longer = Options { end_warning_s: 1800, ..Options::default() };
    let r2 = Reconciler::new(kube::Client::new(mock, "default"), longer.clone());
    take_calls(&c);
    let report = r2.reconcile(&render(&booked(), at(4.9), &longer)).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let writes: Vec<(String, String)> = take_calls(&c)
        .into_iter()
        .filter(|(m, u, _)| m != "GET" && u.starts_with(path))
        .map(|(m, u, _)| (m, u))
        .collect();
    let apply = format!("{path}?&force=true&fieldManager=gpubook");
    assert_eq!(
        writes,
        [("PATCH".into(), apply.clone()), ("DELETE".into(), format!("{path}?")), ("PATCH".into(), apply)]
    );
    assert_eq!(c.lock().unwrap().objects[&event]["eventTime"], "2026-12-07T04:30:00.000000Z");

    take_calls(&c);
    let released = desired(5.0);
    let report = r.reconcile(&released).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.deleted, ["Event team-a/gpubook-b1-ending"], "only the Event goes: b1's queue drains");
    assert!(!c.lock().unwrap().objects.contains_key(&event));
    assert_eq!(bodies_sorted(stored(&c)), bodies(&released));
}
