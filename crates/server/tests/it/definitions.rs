//! Changing definitions: apply is validated and idempotent, dry runs change nothing, and a change that would
//! break confirmed bookings is refused (or, forced, preempts them with the reason).

use serde_json::json;

use crate::each_backend;

const TEAM_C: &str = "
kind: Project
name: team-c
cohort: research
quota:
  - {model: L40S-48GB, nominal: 1}
";

#[test]
fn apply_creates_then_is_unchanged_and_dry_run_changes_nothing() {
    each_backend(|mut h| {
        let admin = h.admin();
        let (s, r) = admin.post_raw("/apply?dry_run=true", TEAM_C, "application/yaml");
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["changes"], json!(["created Project team-c"]));
        assert_eq!(r["dry_run"], true);
        assert!(!admin.get("/projects").1.to_string().contains("team-c"), "a dry run changes nothing");
        assert_eq!(
            admin.post_raw("/apply", TEAM_C, "application/yaml").1["changes"],
            json!(["created Project team-c"])
        );
        assert_eq!(
            admin.post_raw("/apply", TEAM_C, "application/yaml").1["changes"],
            json!(["unchanged Project team-c"])
        );
        h.restart();
        assert!(h.admin().get("/projects").1.to_string().contains("team-c"), "applied objects persist");
    });
}

#[test]
fn bad_manifests_name_the_document_and_field() {
    each_backend(|h| {
        let admin = h.admin();
        let (s, e) = admin.post_raw(
            "/apply",
            "kind: Project\nname: p\nquota:\n  - {model: H100-80GB, nominal: x}\n",
            "application/yaml",
        );
        assert_eq!(s, 422, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("quota[0].nominal"), "{e}");
        let (s, e) = admin.post_raw("/apply", "kind: Size\nname: s\nselector: \"device.(\"\n", "application/yaml");
        assert_eq!(s, 422, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("selector"), "{e}");
        let (s, e) = admin.put("/projects", &json!([{"name": "p", "quota": [{"model": "NOPE", "nominal": 1}]}]));
        assert_eq!(s, 422, "{e}");
        assert!(admin.get("/projects").1.as_array().unwrap().len() == 4, "nothing half-written");
    });
}

#[test]
fn a_quota_cut_that_breaks_bookings_is_refused_unless_forced() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let (s, b) = alice.book("team-a", "shape=H100-80GB/full", 2, 1.0, 3.0, "reserved");
        assert_eq!(s, 201, "{b}");
        let id = b["id"].as_str().unwrap().to_string();
        let cut = "kind: Project\nname: team-a\ncohort: research\nquota:\n  - {model: H100-80GB, nominal: 1}\n";
        let (s, e) = h.admin().post_raw("/apply", cut, "application/yaml");
        assert_eq!(s, 409, "{e}");
        assert_eq!(e["error"]["code"], "breaks-bookings");
        assert_eq!(e["error"]["violations"][0]["booking"], id.as_str());
        assert_eq!(alice.get(&format!("/bookings/{id}")).1["status"], "confirmed", "refused: nothing changed");
        let (s, r) = h.admin().post_raw("/apply?force=true", cut, "application/yaml");
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["preempted"][0]["booking"], id.as_str());
        let (_, after) = alice.get(&format!("/bookings/{id}"));
        assert_eq!(after["status"], "preempted");
        assert!(after["status_reason"].as_str().unwrap().contains("quotas changed"), "{after}");
    });
}

#[test]
fn put_replaces_a_kind_and_removing_a_used_gpu_is_refused() {
    each_backend(|h| {
        let admin = h.admin();
        let (s, r) = admin.put("/cohorts", &json!([{"name": "org"}, {"name": "research", "parent": "org"}, {"name": "production", "parent": "org"}, {"name": "lab"}]));
        assert_eq!(s, 200, "{r}");
        assert_eq!(admin.get("/cohorts").1.as_array().unwrap().len(), 4);
        let alice = h.token("alice", "member", &["team-a"]);
        assert_eq!(alice.book("team-a", "shape=RTX-PRO-6000-Blackwell-96GB/full", 1, 1.0, 2.0, "reserved").0, 201);
        let (_, fleet) = admin.get("/fleet");
        assert!(fleet.to_string().contains("rtx-a"));
        let nodes = json!([{"name": "l40s-a", "gpus": [{"model": "L40S-48GB", "count": 4}]}]);
        let (s, e) = admin.put("/fleet?dry_run=true", &nodes);
        assert_eq!(s, 409, "removing the RTX node breaks team-a's booking: {e}");
    });
}

/// A request with any method and raw bytes as the body: `(status, JSON body or the text)`.
fn send(api: &crate::harness::Api, method: &str, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let req = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", api.base))
        .header("Authorization", format!("Bearer {}", api.token))
        .header("Content-Type", "application/yaml")
        .body(body.to_vec())
        .unwrap();
    let mut resp = agent.run(req).expect("the server answers");
    let text = resp.body_mut().read_to_string().unwrap();
    (resp.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// A request written on a thread of its own while the answer is read: the server may answer (and close)
/// before it has read the body, as it does when the caller may not make the request at all.
fn early_answer(api: &crate::harness::Api, method: &str, path: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let base = api.base.strip_prefix("http://").unwrap();
    let (host, prefix) = base.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} /{prefix}{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/yaml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        api.token,
        body.len()
    );
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(&body));
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    sending.join().unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::String(answer.clone())))
}

/// 200,000 nested brackets: libyaml needs over a minute for them (quadratic), so they must never reach it.
fn nested(n: usize) -> String {
    format!("kind: Size\nname: deep\nselector: {}{}\n", "[".repeat(n), "]".repeat(n))
}

#[test]
fn apply_checks_the_role_before_reading_the_body_and_bounds_nesting_before_parsing() {
    each_backend(|h| {
        let viewer = h.token("victor", "viewer", &["team-a"]);
        let member = h.token("alice", "member", &["team-a"]);
        for api in [&viewer, &member] {
            let (s, e) = early_answer(api, "POST", "/apply", nested(200_000).into_bytes());
            assert_eq!((s, &e["error"]["code"]), (403, &json!("forbidden")), "{e}");
            // Not even read: a body over the limit is refused for the role, not for its size.
            let (s, e) = early_answer(api, "POST", "/apply", vec![b'['; 3 << 20]);
            assert_eq!((s, &e["error"]["code"]), (403, &json!("forbidden")), "{e}");
            let (s, e) = early_answer(api, "PUT", "/sizes", vec![b'['; 3 << 20]);
            assert_eq!((s, &e["error"]["code"]), (403, &json!("forbidden")), "{e}");
        }
        let (s, e) = h.admin().post_raw("/apply", &nested(200_000), "application/yaml");
        assert_eq!(s, 422, "{e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("document 1: ") && message.contains("may nest at most 64 deep"), "{e}");
        let (s, e) = h.admin().post_raw("/apply", &"kind: Cohort\nname: c\n---\n".repeat(10_001), "application/yaml");
        assert_eq!(s, 422, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("more than 10000 documents"), "{e}");
        // JSON bodies: serde_json stops at 128 levels, also where any value is buffered (an untagged layout).
        let layout = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        let deep = format!(r#"[{{"name": "n", "gpus": [{{"model": "H100-80GB", "count": 1, "layout": {layout}}}]}}]"#);
        let (s, e) = send(&h.admin(), "PUT", "/fleet", deep.as_bytes());
        assert_eq!((s, &e["error"]["code"]), (400, &json!("bad-json")), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("recursion limit"), "{e}");
    });
}

#[test]
fn every_error_is_in_the_error_format() {
    each_backend(|h| {
        let admin = h.admin();
        let (s, e) = early_answer(&admin, "POST", "/apply", vec![b' '; 3 << 20]);
        assert_eq!((s, &e["error"]["code"]), (413, &json!("too-large")), "{e}");
        let (s, e) = send(&admin, "POST", "/apply", b"kind: Cohort\nname: \xff\n");
        assert_eq!((s, &e["error"]["code"]), (422, &json!("invalid")), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().starts_with("body: is not UTF-8"), "{e}");
        let (s, e) = early_answer(&admin, "PUT", "/sizes", vec![b' '; 3 << 20]);
        assert_eq!((s, &e["error"]["code"]), (413, &json!("too-large")), "{e}");
        // What axum answers itself: a path parameter that is not UTF-8, a method the route lacks.
        let (s, e) = send(&admin, "GET", "/bookings/%FF", b"");
        assert_eq!((s, &e["error"]["code"]), (400, &json!("bad-request")), "{e}");
        let (s, e) = send(&admin, "PATCH", "/bookings", b"{}");
        assert_eq!((s, &e["error"]["code"]), (405, &json!("method-not-allowed")), "{e}");
        let (s, e) = send(&admin, "DELETE", "/tokens/%FF", b"");
        assert_eq!((s, &e["error"]["code"]), (400, &json!("bad-request")), "{e}");
    });
}

/// Deleting a project revokes, in the same commit, every token naming it (also one naming other projects
/// too); a project created again under the old name grants old tokens nothing.
#[test]
fn deleting_a_project_revokes_its_tokens() {
    each_backend(|mut h| {
        let admin = h.admin();
        assert_eq!(admin.post_raw("/apply", TEAM_C, "application/yaml").0, 200);
        let carl = h.token("carl", "member", &["team-c"]);
        let cara = h.token("cara", "viewer", &["team-a", "team-c"]);
        let alice = h.token("alice", "member", &["team-a"]);
        let id = |api: &crate::harness::Api| api.get("/whoami").1["token_id"].as_str().unwrap().to_string();
        let (carl_id, cara_id) = (id(&carl), id(&cara));
        let (_, projects) = admin.get("/projects");
        let rest: Vec<serde_json::Value> =
            projects.as_array().unwrap().iter().filter(|p| p["name"] != "team-c").cloned().collect();
        let (s, r) = admin.put("/projects?dry_run=true", &json!(rest));
        assert_eq!(s, 200, "{r}");
        let changes = r["changes"].to_string();
        for token in [&carl_id, &cara_id] {
            assert!(changes.contains(&format!("revoked Token {token} (project team-c is deleted)")), "{r}");
        }
        assert_eq!(carl.get("/whoami").0, 200, "a dry run revokes nothing");
        let (s, r) = admin.put("/projects", &json!(rest));
        assert_eq!(s, 200, "{r}");
        assert_eq!(carl.get("/whoami").0, 401, "the only project is gone");
        assert_eq!(cara.get("/whoami").0, 401, "one of its projects is gone");
        assert_eq!(alice.get("/whoami").0, 200);
        assert_eq!(admin.post_raw("/apply", TEAM_C, "application/yaml").0, 200);
        assert_eq!(carl.get("/bookings?project=team-c").0, 401, "a new team-c is not the old one");
        let (_, log) = admin.get("/audit");
        let revoked: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "token-revoke")
            .map(|a| a["target"].as_str().unwrap())
            .collect();
        assert!(revoked.contains(&carl_id.as_str()) && revoked.contains(&cara_id.as_str()), "{log}");
        h.restart();
        assert_eq!(h.api(&carl.token).get("/whoami").0, 401, "revoked durably");
        assert_eq!(h.api(&alice.token).get("/whoami").0, 200);
    });
}
