use crate::{gpubook, stderr, stdout_json};

#[test]
fn the_demo_validates_and_lists_its_fleet() {
    let out = gpubook(&["validate", "--demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valid: 5 nodes with 18 GPUs"));
    let fleet = stdout_json(&["fleet", "--demo", "-o", "json"]);
    let modes: std::collections::BTreeSet<&str> =
        fleet.as_array().unwrap().iter().map(|g| g["reconfiguration"].as_str().unwrap()).collect();
    assert_eq!(modes.into_iter().collect::<Vec<_>>(), ["dynamic", "per-gpu", "static"]);
}

#[test]
fn the_printed_demo_is_a_valid_starting_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.yaml");
    std::fs::write(&path, gpubook(&["demo"]).stdout).unwrap();
    let out = gpubook(&["validate", "-f", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn sizes_show_matched_shapes_with_fleet_counts_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sizes.yaml");
    std::fs::write(
        &path,
        "kind: Node\nname: n\ngpus: [{model: H200-141GB, count: 3}]\n---\nkind: Size\nname: h200-2g\n\
         selector: \"device.attributes['gpu.nvidia.com'].profile == '2g.35gb'\"\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = gpubook(&["sizes", "-f", p, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sizes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = sizes.as_array().unwrap().iter().find(|s| s["name"] == "h200-2g").unwrap();
    assert_eq!(
        s["shapes"],
        serde_json::json!([{"shape": "H200-141GB/2g.35gb", "memory_gib": 32.25, "gpu_fraction": 0.25, "fleet_gpus": 3,
            "allowance": {"cpu": "2", "memory": "16Gi"}}])
    );
    assert!(stderr(&out).contains("warning:") && stderr(&out).contains("has(...)"), "{}", stderr(&out));
}

#[test]
fn a_bad_manifest_fails_with_file_document_field_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "kind: Cohort\nname: org\n---\nkind: Project\nname: p\nquota: [{model: H100-80GB, nominal: 0.3}]\n",
    )
    .unwrap();
    let out = gpubook(&["validate", "-f", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("bad.yaml: document 2 (Project p): quota[0].nominal:"), "{e}");
    assert!(e.contains("whole number of memory slices"), "{e}");
    let out = gpubook(&["validate", "-f", "/nonexistent/x.yaml"]);
    assert!(stderr(&out).contains("reading /nonexistent/x.yaml"));
    let out = gpubook(&["validate"]);
    assert!(stderr(&out).contains("give manifest files"));
}

#[test]
fn plan_dry_run_prints_decisions_and_fails_on_a_broken_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.scenario");
    std::fs::write(
        &path,
        "node n1 H100-80GB x1 dynamic\nproject a quota=H100-80GB:1\n\
         book a H100-80GB/1g.10gb x7 09:00-10:00 => fits\nbook a H100-80GB/1g.10gb x1 09:00-10:00 => fits\n",
    )
    .unwrap();
    let out = gpubook(&["plan", "--dry-run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("=> fits as b1: n1/0 1g.10gb@"), "{stdout}");
    assert!(stdout.contains("=> not-before 10:00"), "{stdout}");
    assert!(
        stderr(&out).contains("line 4") && stderr(&out).contains("expected fits, got not-before 10:00"),
        "{}",
        stderr(&out)
    );
    let out = gpubook(&["plan", path.to_str().unwrap()]);
    assert!(!out.status.success(), "--dry-run is required");
}
