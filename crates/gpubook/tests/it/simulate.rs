//! `gpubook trace` and `gpubook simulate` as PRODUCT.md specifies them: the JSON keys, every policy, and
//! bad trace rows named by line and field.

use crate::{gpubook, stderr, stdout_json};

const FLEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sim/data/fleet-64.yaml");

#[test]
fn a_generated_trace_replays_under_every_policy() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.csv");
    let out = gpubook(&["trace", "--fleet", FLEET, "--requests", "200", "--load", "1.2", "--seed", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("offered load"), "the load it came to is said");
    std::fs::write(&trace, &out.stdout).unwrap();
    let trace = trace.to_str().unwrap();
    for policy in ["gpubook", "whole-gpu", "static-mig", "first-fit"] {
        let v = stdout_json(&["simulate", "--fleet", FLEET, "--trace", trace, "--policy", policy, "-o", "json"]);
        for key in ["offered_slice_hours", "accepted_slice_hours", "utilization", "accepted", "rejected"] {
            assert!(v.get(key).is_some(), "{policy}: {key} missing in {v}");
        }
        assert_eq!(v["accepted"].as_u64().unwrap() + v["rejected"].as_u64().unwrap(), 200, "{policy}");
        assert!(v["utilization"].as_f64().unwrap() <= 1.0);
    }
    let all =
        stdout_json(&["simulate", "--fleet", FLEET, "--trace", trace, "--policy", "all", "--bound", "-o", "json"]);
    let bound = all["lp_bound_slice_hours"].as_f64().expect("the bound");
    for p in all["policies"].as_array().unwrap() {
        assert!(p["accepted_slice_hours"].as_f64().unwrap() <= bound + 1e-6, "{p}");
    }
}

#[test]
fn bad_traces_name_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("bad.csv");
    let rows = "submit,start,end,project,size,count\n\
                2026-01-05T08:00:00Z,2026-01-05T09:00:00Z,2026-01-05T10:00:00Z,team-a,gpu-small,1\n\
                2026-01-05T08:00:00Z,2026-01-05T09:00:00Z,2026-01-05T10:00:00Z,team-a,gpu-small,two\n";
    std::fs::write(&trace, rows).unwrap();
    let out = gpubook(&["simulate", "--fleet", FLEET, "--trace", trace.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 3: count:"), "{}", stderr(&out));
    std::fs::write(
        &trace,
        rows.replace("gpu-small,two", "gpu-small,1").replace("team-a,gpu-small,1\n2026", "nobody,gpu-small,1\n2026"),
    )
    .unwrap();
    let out = gpubook(&["simulate", "--fleet", FLEET, "--trace", trace.to_str().unwrap()]);
    assert!(stderr(&out).contains("line 2: project:"), "{}", stderr(&out));
    let out = gpubook(&["simulate", "--fleet", FLEET, "--trace", trace.to_str().unwrap(), "--policy", "best"]);
    assert!(stderr(&out).contains("--policy"), "{}", stderr(&out));
}
