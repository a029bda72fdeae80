//! Booking over HTTP: placements, idempotency, lifecycle by the server clock, preemption, restart, bad input.

use crate::{at, each_backend};

#[test]
fn a_booking_is_placed_listed_and_survives_a_restart() {
    each_backend(|mut h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let ask = serde_json::json!({"project": "team-a", "shape": "H100-80GB/3g.40gb", "count": 2, "start": at(1.0), "end": at(3.0)});
        let (status, dry) = alice.post("/bookings?dry_run=true", &ask);
        assert_eq!((status, &dry["verdict"]), (200, &serde_json::json!("fits")), "{dry}");
        assert_eq!(dry["placements"].as_array().unwrap().len(), 2);
        assert!(alice.get("/bookings").1.as_array().unwrap().is_empty(), "a dry run books nothing");
        let (status, body) = alice.book("team-a", "shape=H100-80GB/3g.40gb", 2, 1.0, 3.0, "reserved");
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "confirmed");
        assert_eq!(body["verdict"], "fits");
        assert_eq!(body["owner"], "alice");
        let placements = body["placements"].as_array().unwrap();
        assert_eq!(placements.len(), 2);
        for p in placements {
            assert_eq!(p["profile"], "3g.40gb");
            assert!([0, 4].contains(&p["start_slot"].as_u64().unwrap()), "3g.40gb starts at 0 or 4: {p}");
        }
        let id = body["id"].as_str().unwrap().to_string();
        h.restart();
        let alice = h.api(&alice.token);
        let (status, got) = alice.get(&format!("/bookings/{id}"));
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["placements"], body["placements"]);
        let (_, list) = alice.get("/bookings?project=team-a");
        assert_eq!(list.as_array().unwrap().len(), 1);
    });
}

#[test]
fn a_retry_with_the_same_idempotency_key_creates_nothing_new() {
    each_backend(|mut h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let body = serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(1.0), "end": at(2.0)});
        let (s1, b1) = alice.post_with("/bookings", &body, Some("k-1"));
        let (s2, b2) = alice.post_with("/bookings", &body, Some("k-1"));
        assert_eq!((s1, s2), (201, 201));
        assert_eq!(b1["id"], b2["id"]);
        h.restart();
        let alice = h.api(&alice.token);
        let (s3, b3) = alice.post_with("/bookings", &body, Some("k-1"));
        assert_eq!((s3, &b3["id"]), (201, &b1["id"]), "the key survives a restart");
        assert_eq!(alice.get("/bookings").1.as_array().unwrap().len(), 1);
        let other = serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(2.0), "end": at(3.0)});
        let (s4, b4) = alice.post_with("/bookings", &other, Some("k-1"));
        assert_eq!(s4, 422, "{b4}");
        assert_eq!(b4["error"]["code"], "idempotency-key-reused");
    });
}

/// Idempotency records belong to the token that made them and the booking's project, and are looked up
/// only once the caller may book there: a token of another project with the same subject gets neither the
/// booking nor a hint which keys were used.
#[test]
fn an_idempotency_key_answers_only_its_own_token_and_project() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let body = serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(1.0), "end": at(2.0)});
        let (s, booked) = alice.post_with("/bookings", &body, Some("k-1"));
        assert_eq!(s, 201, "{booked}");
        let id = booked["id"].as_str().unwrap().to_string();
        let posing = h.token("alice", "viewer", &["team-b"]);
        let (s, e) = posing.post_with("/bookings", &body, Some("k-1"));
        assert_eq!((s, &e["error"]["code"]), (403, &serde_json::json!("forbidden")), "{e}");
        assert!(!e.to_string().contains(&id) && e.get("placements").is_none(), "alice's booking leaked: {e}");
        let other = serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(2.0), "end": at(3.0)});
        let (s, e) = posing.post_with("/bookings", &other, Some("k-1"));
        assert_eq!((s, &e["error"]["code"]), (403, &serde_json::json!("forbidden")), "no idempotency-key-reused: {e}");
        // A member of team-b named alice too: its own scope, a booking of its own, no 422 for alice's key.
        let namesake = h.token("alice", "member", &["team-b"]);
        let mine = serde_json::json!({"project": "team-b", "size": "gpu-small", "start": at(1.0), "end": at(2.0)});
        let (s, b) = namesake.post_with("/bookings", &mine, Some("k-1"));
        assert_eq!(s, 201, "{b}");
        assert_ne!(b["id"], booked["id"]);
        assert_eq!(b["project"], "team-b");
        // A second team-a token of alice is another caller as well; alice's own retry still replays.
        let again = h.token("alice", "member", &["team-a"]);
        let (s, b) = again.post_with("/bookings", &other, Some("k-1"));
        assert_eq!(s, 201, "{b}");
        assert_ne!(b["id"], booked["id"]);
        let (s, b) = alice.post_with("/bookings", &body, Some("k-1"));
        assert_eq!((s, &b["id"]), (201, &booked["id"]), "{b}");
    });
}

/// A booking's priority may not exceed its project's (team-a: 0, inference: 100), but for an admin's.
#[test]
fn members_book_at_most_at_their_projects_priority() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a", "inference"]);
        let lead = h.token("lena", "project-admin", &["team-a"]);
        let ask = |project: &str, priority: i32| serde_json::json!({"project": project, "size": "gpu-small", "start": at(1.0), "end": at(2.0), "priority": priority});
        for (api, path) in [(&alice, "/bookings"), (&alice, "/bookings?dry_run=true"), (&lead, "/bookings")] {
            let (s, e) = api.post(path, &ask("team-a", 1_000_000));
            assert_eq!((s, &e["error"]["code"]), (403, &serde_json::json!("forbidden")), "{path}: {e}");
            let message = e["error"]["message"].as_str().unwrap();
            assert!(message.starts_with("priority: 1000000 is above project team-a's priority 0"), "{e}");
            assert_eq!(e["error"]["reasons"][0]["code"], "priority-above-project");
        }
        assert!(alice.get("/bookings").1.as_array().unwrap().is_empty(), "nothing booked");
        let (s, b) = alice.post("/bookings", &ask("team-a", 0));
        assert_eq!((s, &b["priority"]), (201, &serde_json::json!(0)), "{b}");
        let (s, b) = alice.post("/bookings", &ask("team-a", -5));
        assert_eq!((s, &b["priority"]), (201, &serde_json::json!(-5)), "lower is fine: {b}");
        let (s, b) = alice.post("/bookings", &ask("inference", 100));
        assert_eq!((s, &b["priority"]), (201, &serde_json::json!(100)), "{b}");
        let (s, b) = h.admin().post("/bookings", &ask("team-a", 1_000_000));
        assert_eq!((s, &b["priority"]), (201, &serde_json::json!(1_000_000)), "an admin may: {b}");
    });
}

#[test]
fn status_follows_the_server_clock_and_cancel_frees_capacity_at_once() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let (_, b) = alice.book("team-a", "shape=RTX-PRO-6000-Blackwell-96GB/full", 1, 1.0, 3.0, "reserved");
        let id = b["id"].as_str().unwrap().to_string();
        let q = format!(
            "/availability?project=team-a&shape=RTX-PRO-6000-Blackwell-96GB/full&from={}&to={}",
            at(1.0),
            at(3.0)
        );
        assert_eq!(alice.get(&q).1["available"], 0, "team-a's RTX quota is one GPU");
        h.set_clock(1.5);
        assert_eq!(alice.get(&format!("/bookings/{id}")).1["status"], "active");
        h.set_clock(3.0);
        assert_eq!(alice.get(&format!("/bookings/{id}")).1["status"], "completed");
        let (s, e) = alice.delete(&format!("/bookings/{id}"));
        assert_eq!((s, &e["error"]["code"]), (409, &serde_json::json!("not-cancellable")), "completed: {e}");
        assert_eq!(e["error"]["message"], format!("booking {id} has completed"));
        let (_, b) = alice.book("team-a", "shape=RTX-PRO-6000-Blackwell-96GB/full", 1, 4.0, 6.0, "reserved");
        let id = b["id"].as_str().unwrap().to_string();
        let q = format!(
            "/availability?project=team-a&shape=RTX-PRO-6000-Blackwell-96GB/full&from={}&to={}",
            at(4.0),
            at(6.0)
        );
        assert_eq!(alice.get(&q).1["available"], 0);
        let (s, c) = alice.delete(&format!("/bookings/{id}"));
        assert_eq!((s, &c["status"]), (200, &serde_json::json!("cancelled")));
        assert_eq!(alice.get(&q).1["available"], 1, "cancelling frees the GPU at once");
        // Cancelled twice: still there, so not a 404, but over (409); an id that never was is a 404.
        let (s, e) = alice.delete(&format!("/bookings/{id}"));
        assert_eq!((s, &e["error"]["code"]), (409, &serde_json::json!("not-cancellable")), "{e}");
        assert_eq!(e["error"]["message"], format!("booking {id} is already cancelled"));
        let (s, e) = alice.delete("/bookings/b999");
        assert_eq!((s, &e["error"]["code"]), (404, &serde_json::json!("not-found")), "{e}");
    });
}

#[test]
fn a_reserved_booking_reclaims_a_borrower_who_is_told_why() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let bob = h.token("bob", "member", &["team-b"]);
        // team-b (nominal 1 of the cohort's 3 H100s) borrows a second GPU that team-a lends while idle.
        let (s, borrowed) = bob.book("team-b", "shape=H100-80GB/full", 2, 2.0, 4.0, "opportunistic");
        assert_eq!(s, 201, "{borrowed}");
        assert_eq!(borrowed["verdict"], "fits-by-borrowing");
        // team-a claims its nominal 2 GPUs: the cohort's quota cannot cover both, so the borrower goes.
        let (s, claim) = alice.book("team-a", "shape=H100-80GB/full", 2, 2.0, 4.0, "reserved");
        assert_eq!(s, 201, "{claim}");
        assert_eq!(claim["verdict"], "fits-after-preempting");
        let (_, victim) = bob.get(&format!("/bookings/{}", borrowed["id"].as_str().unwrap()));
        assert_eq!(victim["status"], "preempted");
        assert_eq!(victim["preempted_by"], claim["id"]);
        assert!(victim["status_reason"].as_str().unwrap().contains("reclaimed"), "{victim}");
    });
}

#[test]
fn bad_input_gets_a_4xx_naming_the_field() {
    each_backend(|h| {
        let alice = h.token("alice", "member", &["team-a"]);
        let cases = [
            (
                serde_json::json!({"project": "team-a", "size": "gpu-small", "start": "tomorrow", "end": at(2.0)}),
                422,
                "start",
            ),
            (
                serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(2.0), "end": at(1.0)}),
                422,
                "end",
            ),
            (serde_json::json!({"project": "team-a", "start": at(1.0), "end": at(2.0)}), 422, "size"),
            (serde_json::json!({"project": "team-a", "shape": "H100", "start": at(1.0), "end": at(2.0)}), 422, "shape"),
            (
                serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(1.0), "end": at(2.0), "mode": "x"}),
                422,
                "mode",
            ),
            (
                serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(1.0), "end": at(2.0), "count": -1}),
                422,
                "count",
            ),
            (
                serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(1.0), "end": at(2.0), "colour": 1}),
                422,
                "colour",
            ),
            (
                serde_json::json!({"project": "team-a", "size": "gpu-small", "start": at(1.1), "end": at(2.0)}),
                422,
                "misaligned-window",
            ),
            (
                serde_json::json!({"project": "team-a", "size": "gpu-huge", "start": at(1.0), "end": at(2.0)}),
                422,
                "unknown-size",
            ),
        ];
        for (body, status, names) in cases {
            let (s, e) = alice.post("/bookings", &body);
            assert_eq!(s, status, "{body}: {e}");
            assert!(
                e["error"]["code"].is_string() && e["error"]["message"].is_string() && e["error"]["reasons"].is_array(),
                "{e}"
            );
            assert!(e.to_string().contains(names), "{body}: the error should name {names}: {e}");
        }
        let (s, e) = alice.post_raw("/bookings", "{not json", "application/json");
        assert_eq!((s, &e["error"]["code"]), (400, &serde_json::json!("bad-json")));
        assert!(alice.get("/bookings").1.as_array().unwrap().is_empty(), "nothing half-written");
        let (s, e) = alice.get("/availability?project=team-a&size=gpu-small&from=x&to=y");
        assert_eq!(s, 422, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().starts_with("from"), "{e}");
    });
}

#[test]
fn openapi_health_and_metrics_are_served() {
    each_backend(|h| {
        let admin = h.admin();
        let (s, spec) = admin.get("/openapi.json");
        assert_eq!(s, 200);
        assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"), "{}", spec["openapi"]);
        for path in [
            "/bookings",
            "/bookings/{id}",
            "/availability",
            "/catalog",
            "/fleet",
            "/sizes",
            "/projects",
            "/cohorts",
            "/tokens",
        ] {
            assert!(spec["paths"].get(path).is_some(), "openapi lacks {path}");
        }
        assert_eq!(admin.root_get("/healthz"), (200, "ok\n".to_string()));
        let alice = h.token("alice", "member", &["team-a"]);
        assert_eq!(alice.book("team-a", "size=gpu-small", 1, 0.0, 2.0, "reserved").0, 201);
        let (s, text) = admin.root_get("/metrics");
        assert_eq!(s, 200);
        assert!(text.contains("gpubook_bookings{status=\"active\"} 1"), "{text}");
        assert!(text.contains("gpubook_admission_seconds_count"), "{text}");
        assert!(text.contains("gpubook_gpu_units_capacity{model=\"H100-80GB\"} 4"), "{text}");
        assert!(text.contains("gpubook_gpu_units_booked{model=\"H100-80GB\"} 0.25"), "{text}");
        let (s, docs) = admin.root_get("/api/docs/");
        assert_eq!(s, 200);
        assert!(!docs.contains("https://"), "the docs page must not load anything from the internet");
    });
}
