//! Authorisation, endpoint by endpoint: no token gets 401; a member of team-b sees and touches nothing of
//! team-a's; viewers read only; only an admin changes definitions or reads the audit log.

use serde_json::json;

use crate::{at, each_backend};

#[test]
fn every_api_endpoint_wants_a_valid_token() {
    each_backend(|h| {
        for token in ["", "gpb_0000", "not-a-token"] {
            let anon = h.api(token);
            for path in [
                "/catalog",
                "/fleet",
                "/sizes",
                "/projects",
                "/cohorts",
                "/bookings",
                "/bookings/b1",
                "/whoami",
                "/audit",
                "/k8s/objects",
                "/availability?project=team-a&size=gpu-small&from=2026-11-23T09:00:00Z&to=2026-11-23T10:00:00Z",
            ] {
                let (s, e) = anon.get(path);
                assert_eq!(s, 401, "GET {path}: {e}");
                assert_eq!(e["error"]["code"], "unauthorized");
            }
            assert_eq!(anon.post("/bookings", &json!({})).0, 401);
            assert_eq!(anon.post("/tokens", &json!({})).0, 401);
            assert_eq!(anon.delete("/bookings/b1").0, 401);
            assert_eq!(anon.delete("/tokens/tok-x").0, 401);
            assert_eq!(anon.put("/sizes", &json!([])).0, 401);
            assert_eq!(anon.post_raw("/apply", "", "application/yaml").0, 401);
        }
    });
}

#[test]
fn a_member_of_team_b_neither_sees_nor_touches_team_a() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let bob = h.token("bob", "member", &["team-b"]);
        let (_, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 2.0, "reserved");
        let id = b["id"].as_str().unwrap().to_string();
        // Book for another project.
        let (s, e) = bob.book("team-a", "size=gpu-small", 1, 1.0, 2.0, "reserved");
        assert_eq!(s, 403, "{e}");
        let ask = json!({"project": "team-a", "size": "gpu-small", "start": at(1.0), "end": at(2.0)});
        assert_eq!(bob.post("/bookings?dry_run=true", &ask).0, 403);
        // Read, list, cancel another project's booking: it does not exist for bob.
        assert_eq!(bob.get(&format!("/bookings/{id}")).0, 404);
        assert_eq!(bob.delete(&format!("/bookings/{id}")).0, 404);
        assert_eq!(bob.get("/bookings?project=team-a").0, 403);
        assert!(bob.get("/bookings").1.as_array().unwrap().is_empty(), "bob's list holds no team-a booking");
        // Availability and projects of another project.
        let q = format!("/availability?project=team-a&size=gpu-small&from={}&to={}", at(1.0), at(2.0));
        assert_eq!(bob.get(&q).0, 403);
        let names: Vec<String> = bob
            .get("/projects")
            .1
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["team-b"]);
        // Definitions, tokens, audit: admin only.
        assert_eq!(bob.put("/sizes", &json!([])).0, 403);
        assert_eq!(bob.put("/projects", &json!([])).0, 403);
        assert_eq!(bob.put("/cohorts", &json!([])).0, 403);
        assert_eq!(bob.put("/fleet", &json!([])).0, 403);
        assert_eq!(bob.post_raw("/apply", "kind: Cohort\nname: x\n", "application/yaml").0, 403);
        assert_eq!(bob.post("/tokens", &json!({"subject": "eve", "role": "admin"})).0, 403);
        assert_eq!(bob.post("/tokens", &json!({"subject": "eve", "role": "member", "projects": ["team-b"]})).0, 403);
        assert_eq!(bob.get("/audit").0, 403);
        // What every signed-in user may read.
        for path in ["/catalog", "/fleet", "/sizes", "/cohorts", "/whoami"] {
            assert_eq!(bob.get(path).0, 200, "{path}");
        }
        // The booking is untouched.
        assert_eq!(alice.get(&format!("/bookings/{id}")).1["status"], "confirmed");
    });
}

#[test]
fn roles_within_a_project() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let carol = h.token("carol", "member", &["team-a"]);
        let viewer = h.token("victor", "viewer", &["team-a"]);
        let lead = h.token("lena", "project-admin", &["team-a"]);
        let (_, b) = alice.book("team-a", "size=gpu-small", 1, 1.0, 2.0, "reserved");
        let id = b["id"].as_str().unwrap().to_string();
        // A viewer reads but does not book or cancel.
        assert_eq!(viewer.get(&format!("/bookings/{id}")).0, 200);
        assert_eq!(viewer.book("team-a", "size=gpu-small", 1, 1.0, 2.0, "reserved").0, 403);
        assert_eq!(viewer.delete(&format!("/bookings/{id}")).0, 403);
        // A member cancels only their own bookings.
        assert_eq!(carol.delete(&format!("/bookings/{id}")).0, 403);
        // A project admin cancels any booking of the project and grants member and viewer tokens there only.
        assert_eq!(lead.delete(&format!("/bookings/{id}")).0, 200);
        assert_eq!(lead.post("/tokens", &json!({"subject": "dan", "role": "member", "projects": ["team-a"]})).0, 201);
        assert_eq!(lead.post("/tokens", &json!({"subject": "dan", "role": "member", "projects": ["team-b"]})).0, 403);
        assert_eq!(
            lead.post("/tokens", &json!({"subject": "dan", "role": "project-admin", "projects": ["team-a"]})).0,
            403
        );
        assert_eq!(lead.get("/audit").0, 403);
        // Revoking: a member only their own token, a project admin its members', and it stops working at once.
        let alice_id = alice.get("/whoami").1["token_id"].as_str().unwrap().to_string();
        let lead_id = lead.get("/whoami").1["token_id"].as_str().unwrap().to_string();
        assert_eq!(carol.delete(&format!("/tokens/{alice_id}")).0, 403);
        assert_eq!(lead.delete(&format!("/tokens/{alice_id}")).0, 204);
        assert_eq!(alice.get("/whoami").0, 401, "a revoked token stops working");
        assert_eq!(carol.delete(&format!("/tokens/{lead_id}")).0, 403);
        assert_eq!(carol.delete("/tokens/tok-none").0, 404);
        // The admin sees everything, and the audit log says who did what.
        let (s, log) = h.admin().get("/audit");
        assert_eq!(s, 200);
        let actions: Vec<&str> = log.as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(
            actions.contains(&"book") && actions.contains(&"cancel") && actions.contains(&"token-create"),
            "{actions:?}"
        );
        assert!(!log.to_string().contains("gpb_"), "no secret in the audit log");
    });
}

/// Revoking the last admin token would lock everyone out for good: it is refused, also when two admins
/// revoke each other at the same time.
#[test]
fn the_last_admin_token_cannot_be_revoked() {
    each_backend(|h| {
        let admin = h.admin();
        let id = |api: &crate::harness::Api| api.get("/whoami").1["token_id"].as_str().unwrap().to_string();
        let admin_id = id(&admin);
        let (s, e) = admin.delete(&format!("/tokens/{admin_id}"));
        assert_eq!((s, &e["error"]["code"]), (409, &json!("last-admin-token")), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("gpubook admin token"), "{e}");
        assert_eq!(admin.get("/whoami").0, 200);
        let mut boss = admin;
        for _ in 0..5 {
            let make = |boss: &crate::harness::Api, subject: &str| {
                let (s, b) = boss.post("/tokens", &json!({"subject": subject, "role": "admin"}));
                assert_eq!(s, 201, "{b}");
                h.api(b["token"].as_str().unwrap())
            };
            let (one, two) = (make(&boss, "root-1"), make(&boss, "root-2"));
            let (one_id, two_id) = (id(&one), id(&two));
            // Three admins: the old one may go; then the other two revoke each other at once.
            assert_eq!(boss.delete(&format!("/tokens/{}", id(&boss))).0, 204);
            let a = std::thread::spawn({
                let one = one.clone();
                move || one.delete(&format!("/tokens/{two_id}")).0
            });
            let b = two.delete(&format!("/tokens/{one_id}")).0;
            let mut answers = [a.join().unwrap(), b];
            answers.sort();
            assert!(answers == [204, 401] || answers == [204, 409], "one admin token must stay: {answers:?}");
            let survivor = if one.get("/whoami").0 == 200 { one } else { two };
            // And two admins revoking themselves at once.
            let other = make(&survivor, "root-3");
            let a = std::thread::spawn({
                let other = other.clone();
                move || other.delete(&format!("/tokens/{}", id(&other))).0
            });
            let b = survivor.delete(&format!("/tokens/{}", id(&survivor))).0;
            let mut answers = [a.join().unwrap(), b];
            answers.sort();
            assert!(answers == [204, 401] || answers == [204, 409], "one admin token must stay: {answers:?}");
            let survivor = if other.get("/whoami").0 == 200 { other } else { survivor };
            let (s, e) = survivor.delete(&format!("/tokens/{}", id(&survivor)));
            assert_eq!((s, &e["error"]["code"]), (409, &json!("last-admin-token")), "{e}");
            boss = survivor;
        }
    });
}
