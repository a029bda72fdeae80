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
