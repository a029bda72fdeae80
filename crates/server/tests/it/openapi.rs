//! The OpenAPI document is the contract (`.ci/schemathesis` fuzzes the server against it): its base path,
//! the errors each operation documents, the constraints its request schemas carry, and — on the router
//! itself, without TCP — that what the server answers is what the document says.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use hyper::service::Service as _;
use serde_json::{Value, json};
use server::auth::{Principal, Role, Tokens, hash_token};
use server::engine::{Clock, Engine, state::State};
use store::scratch::ScratchDb;

use crate::harness::T0;

fn spec() -> Value {
    serde_json::to_value(server::openapi()).unwrap()
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation of the document: `(method, path, operation)`.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                all.push((m.to_string(), path.clone(), op.clone()));
            }
        }
    }
    all
}

/// The statuses `method path` documents.
fn documented(spec: &Value, method: &str, path: &str) -> Vec<u16> {
    let op = &spec["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "the document has no {method} {path}");
    op["responses"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect()
}

#[test]
fn the_document_names_its_base_path_and_bearer_scheme() {
    let spec = spec();
    assert_eq!(spec["servers"], json!([{"url": "/api/v1"}]), "clients must call /api/v1/bookings, not /bookings");
    assert_eq!(spec["components"]["securitySchemes"]["bearer"], json!({"type": "http", "scheme": "bearer"}));
    assert_eq!(spec["security"], json!([{"bearer": []}]));
    assert!(spec["info"]["version"].is_string());
}

/// Every `$ref` in the document points at a schema it defines (a dangling one makes generated clients and
/// schemathesis skip the parameter or body it types).
#[test]
fn every_reference_resolves() {
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let spec = spec();
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(found.len() > 10, "the document should use references: {found:?}");
    for r in found {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(spec["components"]["schemas"][name].is_object(), "{r} is referenced but not defined");
    }
}

#[test]
fn every_operation_documents_its_errors_with_the_error_body() {
    let spec = spec();
    let ops = operations(&spec);
    assert!(ops.len() >= 20, "{} operations", ops.len());
    let error_body = json!({"$ref": "#/components/schemas/ErrorBody"});
    for (method, path, op) in &ops {
        let at = format!("{} {path}", method.to_uppercase());
        let statuses = documented(&spec, method, path);
        for s in [401, 503] {
            assert!(statuses.contains(&s), "{at} does not document {s}: {statuses:?}");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let takes = |place: &str| params.iter().any(|p| p["in"] == place);
        let json_body = op["requestBody"]["content"].get("application/json").is_some();
        let text_body = op["requestBody"]["content"].get("application/yaml").is_some();
        let mut expected = Vec::new();
        if json_body {
            expected.extend([400, 413, 422]);
        }
        if text_body {
            expected.extend([413, 422]);
        }
        if takes("query") || takes("header") {
            expected.push(422);
        }
        if takes("path") {
            expected.extend([400, 404]);
        }
        for s in expected {
            assert!(statuses.contains(&s), "{at} does not document {s}: {statuses:?}");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(response["content"]["application/json"]["schema"], error_body, "{at} {status}");
                assert!(!response["description"].as_str().unwrap().is_empty(), "{at} {status} has no description");
            }
        }
        // No parameter is `null`: it is there or not.
        for p in &params {
            assert!(!p["schema"].to_string().contains("\"null\""), "{at} {}: {}", p["name"], p["schema"]);
        }
    }
    // What only some operations answer.
    for (method, path, status) in [
        ("put", "/sizes", 403),
        ("put", "/fleet", 409),
        ("post", "/bookings", 409),
        ("post", "/bookings", 403),
        ("delete", "/bookings/{id}", 409),
        ("delete", "/tokens/{id}", 409),
        ("get", "/audit", 403),
        ("get", "/k8s/objects", 403),
        ("post", "/apply", 413),
    ] {
        assert!(documented(&spec, method, path).contains(&status), "{method} {path} {status}");
    }
    assert!(!documented(&spec, "get", "/catalog").contains(&403), "everyone signed in reads the catalog");
}

#[test]
fn request_schemas_carry_what_the_server_enforces() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let booking = &schemas["BookingRequest"]["allOf"];
    let fields = &booking[0]["properties"];
    assert_eq!(fields["project"]["minLength"], 1);
    assert_eq!(fields["count"]["minimum"], 1);
    for t in ["start", "end"] {
        assert_eq!(fields[t]["format"], "date-time", "{t}");
        assert!(fields[t]["pattern"].is_string(), "{t}: whole seconds");
    }
    assert!(fields["mode"].to_string().contains("#/components/schemas/ModeName"), "{}", fields["mode"]);
    assert_eq!(booking[0]["additionalProperties"], false);
    assert_eq!(booking[1]["oneOf"].as_array().unwrap().len(), 2, "size or shape: {}", booking[1]);
    assert_eq!(schemas["ModeName"]["enum"], json!(["reserved", "opportunistic"]));
    assert_eq!(schemas["StatusName"]["enum"], json!(["confirmed", "active", "completed", "cancelled", "preempted"]));
    assert_eq!(schemas["RoleName"]["enum"], json!(["admin", "project-admin", "member", "viewer"]));
    let token = &schemas["TokenRequest"]["allOf"];
    assert_eq!(token[0]["properties"]["subject"]["minLength"], 1);
    assert!(token[0]["properties"]["role"].to_string().contains("RoleName"));
    for kind in ["SizeDoc", "CohortDoc", "ProjectDoc", "NodeDoc"] {
        assert_eq!(schemas[kind]["properties"]["name"]["minLength"], 1, "{kind}");
        assert!(schemas[kind]["properties"]["name"]["pattern"].is_string(), "{kind}");
    }
    let availability = &spec["paths"]["/availability"]["get"]["parameters"];
    let names: Vec<&str> = availability.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"start") && names.contains(&"end"), "{names:?}");
    assert!(!names.contains(&"from") && !names.contains(&"to"), "from and to are deprecated: {names:?}");
    let list = &spec["paths"]["/bookings"]["get"]["parameters"];
    let status = list.as_array().unwrap().iter().find(|p| p["name"] == "status").unwrap();
    assert_eq!(status["schema"]["$ref"], "#/components/schemas/StatusName");
}

/// The router on a scratch SQLite database with the demo definitions, the clock at [`T0`], and two tokens:
/// `admin-secret` (admin) and `alice-secret` (member of team-a). No TCP: requests go straight to it.
struct Oneshot {
    app: axum::Router,
    spec: Value,
    _engine: tokio::task::JoinHandle<()>,
    _db: ScratchDb,
}

impl Oneshot {
    async fn start() -> Oneshot {
        let db = ScratchDb::new("sqlite").await;
        let store = store::Store::open(&db.url).await.unwrap();
        let snapshot = store.load().await.unwrap();
        let catalog = model::Catalog::builtin();
        let (state, _seed) = State::load(snapshot, catalog.clone(), planner::Config::default(), true).unwrap();
        let metrics = Arc::new(server::metrics::Metrics::default());
        let clock = Clock::Fixed(Arc::new(AtomicI64::new(T0)));
        let tokens = Tokens::default();
        let (engine, task) = Engine::start(state, store.clone(), clock, metrics.clone(), tokens.clone());
        for (secret, subject, role, projects) in
            [("admin-secret", "root", Role::Admin, vec![]), ("alice-secret", "alice", Role::Member, vec!["team-a"])]
        {
            let projects = projects.into_iter().map(String::from).collect();
            let who = Principal { token_id: format!("tok-{subject}"), subject: subject.into(), role, projects };
            tokens.insert(hash_token(secret), who);
        }
        let state = server::AppState {
            engine,
            tokens,
            metrics,
            store,
            catalog: Arc::new(catalog),
            k8s: Arc::new(k8s::Options::default()),
            sessions: Default::default(),
        };
        Oneshot { app: server::app(state), spec: spec(), _engine: task, _db: db }
    }

    /// Sends one request; answers the status and the JSON body (or the text as a JSON string).
    async fn send(&self, method: Method, uri: &str, token: Option<&str>, body: Body) -> (StatusCode, Value) {
        self.send_with(method, uri, token, &[], body).await
    }

    /// [`Oneshot::send`] with more headers.
    async fn send_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Body,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let svc = hyper_util::service::TowerToHyperService::new(self.app.clone());
        let resp = svc.call(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let json = resp.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let value = if json { serde_json::from_str(&text).unwrap() } else { Value::String(text) };
        (status, value)
    }

    /// Sends one request to the operation `method path` (the document's path; `uri` is what is sent) and
    /// checks that the answer's status is one it documents, and that an error is in the error format.
    async fn check(&self, method: Method, path: &str, uri: &str, token: Option<&str>, body: Body) -> (u16, Value) {
        let (status, value) = self.send(method.clone(), &format!("/api/v1{uri}"), token, body).await;
        let status = status.as_u16();
        let statuses = documented(&self.spec, method.as_str(), path);
        assert!(statuses.contains(&status), "{method} {uri}: {status} is not documented ({statuses:?}): {value}");
        if status >= 400 {
            assert_error_body(&value);
        }
        (status, value)
    }
}

fn assert_error_body(v: &Value) {
    let e = &v["error"];
    assert!(e["code"].is_string() && e["message"].is_string() && e["reasons"].is_array(), "not an ErrorBody: {v}");
}

fn at(hours: i64) -> String {
    model::Instant(T0 + hours * 3600).to_string()
}

#[tokio::test]
async fn errors_are_the_documented_ones_in_the_error_format() {
    let o = Oneshot::start().await;
    let (admin, alice) = (Some("admin-secret"), Some("alice-secret"));
    let empty = Body::empty;

    // 401 before anything else, for every operation.
    for (method, path, uri) in [
        (Method::GET, "/catalog", "/catalog"),
        (Method::GET, "/bookings/{id}", "/bookings/b1"),
        (Method::PUT, "/sizes", "/sizes"),
        (Method::POST, "/bookings", "/bookings"),
    ] {
        let (s, e) = o.check(method.clone(), path, uri, None, empty()).await;
        assert_eq!((s, &e["error"]["code"]), (401, &json!("unauthorized")), "{method} {uri}");
        let (s, _) = o.check(method.clone(), path, uri, Some("not-a-token"), empty()).await;
        assert_eq!(s, 401, "{method} {uri}");
    }

    // 403: a member changes no definitions, refused before its body is read (this one is not even JSON).
    let (s, _) = o.check(Method::PUT, "/sizes", "/sizes", alice, Body::from("{not json")).await;
    assert_eq!(s, 403);
    let (s, _) = o.check(Method::GET, "/audit", "/audit", alice, empty()).await;
    assert_eq!(s, 403);

    // 400: a body that is not JSON, and a path that does not decode.
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings", alice, Body::from("{not json")).await;
    assert_eq!((s, &e["error"]["code"]), (400, &json!("bad-json")));
    let (s, _) = o.check(Method::POST, "/tokens", "/tokens", admin, empty()).await;
    assert_eq!(s, 400, "no body at all");
    let (s, _) = o.check(Method::GET, "/bookings/{id}", "/bookings/%FF", alice, empty()).await;
    assert_eq!(s, 400);

    // 404: no such booking.
    let (s, _) = o.check(Method::GET, "/bookings/{id}", "/bookings/b999", alice, empty()).await;
    assert_eq!(s, 404);
    let (s, _) = o.check(Method::DELETE, "/bookings/{id}", "/bookings/nonsense", alice, empty()).await;
    assert_eq!(s, 404);

    // 413: over 1 MiB of JSON.
    let big = format!("{{\"project\": \"{}\"}}", "a".repeat(1 << 20));
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings", alice, Body::from(big)).await;
    assert_eq!((s, &e["error"]["code"]), (413, &json!("too-large")));

    // 422: an unknown or unreadable parameter, and a field the schema refuses too.
    let (s, e) = o.check(Method::GET, "/bookings", "/bookings?bogus=1", alice, empty()).await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = o.check(Method::GET, "/bookings", "/bookings?status=bogus", alice, empty()).await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = o.check(Method::GET, "/bookings", "/bookings?status=active", alice, empty()).await;
    assert_eq!(s, 200);
    let (s, e) = o.check(Method::PUT, "/sizes", "/sizes?dryrun=true", admin, Body::from("[]")).await;
    assert_eq!(s, 422, "a misspelt dry_run changes nothing: {e}");
    let ask = json!({"project": "team-a", "size": "gpu-small", "count": 0, "start": at(1), "end": at(2)});
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings", alice, Body::from(ask.to_string())).await;
    assert_eq!(s, 422, "{e}");
    assert!(e.to_string().contains("count"), "{e}");
    // JSON has one kind of number: 2.0 is a count (as the schema's `integer` says), 1.5 is not.
    let ask =
        json!({"project": "team-a", "size": "gpu-small", "count": 2.0, "priority": -0.0, "start": at(1), "end": at(2)});
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings?dry_run=true", alice, Body::from(ask.to_string())).await;
    assert_eq!((s, &e["verdict"]), (200, &json!("fits")), "{e}");
    assert_eq!(e["placements"].as_array().unwrap().len(), 2, "{e}");
    let ask = json!({"project": "team-a", "size": "gpu-small", "count": 1.5, "start": at(1), "end": at(2)});
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings?dry_run=true", alice, Body::from(ask.to_string())).await;
    assert_eq!(s, 422, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("count"), "{e}");
    let ask = json!({"project": "team-a", "size": "gpu-small", "start": at(1), "end": at(2)});
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings", alice, Body::from(format!("{ask} trailing"))).await;
    assert_eq!((s, &e["error"]["code"]), (400, &json!("bad-json")), "{e}");
    // The Idempotency-Key is checked also for a dry run, which ignores it.
    let ask = json!({"project": "team-a", "size": "gpu-small", "start": at(1), "end": at(2)}).to_string();
    let (s, e) = o.check(Method::POST, "/bookings", "/bookings?dry_run=true", alice, Body::from(ask.clone())).await;
    assert_eq!((s, &e["verdict"]), (200, &json!("fits")), "{e}");
    for key in ["k".repeat(201), "a\tb".to_string()] {
        let uri = "/api/v1/bookings?dry_run=true";
        let (s, e) = o.send_with(Method::POST, uri, alice, &[("idempotency-key", &key)], Body::from(ask.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{key:?}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().starts_with("Idempotency-Key"), "{e}");
    }

    // Outside the operations: a method a route lacks (405, with Allow) and no route at all (404).
    let (s, e) = o.send(Method::PATCH, "/api/v1/bookings", alice, empty()).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_error_body(&e);
    let (s, e) = o.send(Method::GET, "/api/v1/no-such-thing", alice, empty()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error_body(&e);

    // The document itself.
    let (s, doc) = o.send(Method::GET, "/api/v1/openapi.json", None, empty()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
}

#[tokio::test]
async fn availability_reads_start_and_end_and_still_from_and_to() {
    let o = Oneshot::start().await;
    let alice = Some("alice-secret");
    let ask = |window: &str| format!("/availability?project=team-a&size=gpu-small&{window}");
    let get = async |uri: String| o.check(Method::GET, "/availability", &uri, alice, Body::empty()).await;

    let (s, new) = get(ask(&format!("start={}&end={}", at(1), at(3)))).await;
    assert_eq!(s, 200, "{new}");
    assert!(new["available"].as_u64().unwrap() > 0, "{new}");
    let (s, old) = get(ask(&format!("from={}&to={}", at(1), at(3)))).await;
    assert_eq!((s, &old), (200, &new), "from and to are the deprecated names of start and end");
    let (s, mixed) = get(ask(&format!("start={}&to={}", at(1), at(3)))).await;
    assert_eq!((s, &mixed), (200, &new));

    let (s, e) = get(ask(&format!("start={}&from={}&end={}", at(1), at(1), at(3)))).await;
    assert_eq!(s, 422);
    assert!(e["error"]["message"].as_str().unwrap().starts_with("start: give start or from"), "{e}");
    let (s, e) = get(ask(&format!("end={}", at(3)))).await;
    assert_eq!(s, 422);
    assert!(e["error"]["message"].as_str().unwrap().starts_with("start: is required"), "{e}");
    // An error names the parameter as it was given.
    let (s, e) = get(ask("from=x&to=y")).await;
    assert_eq!(s, 422);
    assert!(e["error"]["message"].as_str().unwrap().starts_with("from"), "{e}");
    let (s, e) = get(ask(&format!("start={}&end=y", at(1)))).await;
    assert_eq!(s, 422);
    assert!(e["error"]["message"].as_str().unwrap().starts_with("end"), "{e}");
    let (s, e) = get(ask(&format!("start={}&end={}", at(3), at(1)))).await;
    assert_eq!(s, 422, "the end before the start: {e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("end"), "{e}");
    let (s, e) = get(ask(&format!("start={}&end={}&mode=greedy", at(1), at(3)))).await;
    assert_eq!(s, 422, "{e}");
}
