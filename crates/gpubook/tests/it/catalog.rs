use serde_json::json;

use crate::{gpubook, stderr, stdout_json};

#[test]
fn catalog_json_has_the_fields_of_the_product_brief() {
    let all = stdout_json(&["catalog", "-o", "json"]);
    let models = all.as_array().unwrap();
    assert!(models.len() >= 11);
    for m in models {
        for key in ["model", "units", "profiles"] {
            assert!(m.get(key).is_some(), "{key} in {m}");
        }
        for p in m["profiles"].as_array().unwrap() {
            for key in ["name", "compute", "size", "starts", "max", "memory_gib"] {
                assert!(p.get(key).is_some(), "{key} in {p}");
            }
        }
    }
    let units = |key: &str| models.iter().find(|m| m["model"] == key).unwrap()["units"].clone();
    assert_eq!(units("RTX-PRO-6000-Blackwell-96GB"), json!(12));
    assert_eq!(units("A30-24GB"), json!(4));
    assert_eq!(units("H100-80GB"), json!(8));
}

#[test]
fn h100_layouts_are_exactly_the_maximal_layouts_of_nvidias_table() {
    let layouts = stdout_json(&["catalog", "layouts", "H100-80GB", "-o", "json"]);
    let layouts = layouts.as_array().unwrap();
    assert_eq!(layouts.len(), 78);
    assert!(layouts.contains(&json!([{"profile": "4g.40gb", "start": 0}, {"profile": "3g.40gb", "start": 4}])));
    assert!(layouts.contains(&json!([{"profile": "7g.80gb", "start": 0}])));
    for l in layouts {
        let units: u64 = l
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let p = i["profile"].as_str().unwrap();
                assert!(!p.contains('+') && !p.contains("-me"), "variants are left out: {p}");
                match p.split('.').next().unwrap() {
                    "1g" if p == "1g.20gb" => 2,
                    "1g" => 1,
                    "2g" => 2,
                    "3g" | "4g" => 4,
                    _ => 8,
                }
            })
            .sum();
        assert!(units >= 7, "a maximal layout leaves at most unit 7 free: {l}");
    }
}

#[test]
fn yaml_and_table_outputs_render() {
    let out = gpubook(&["catalog", "layouts", "A30-24GB", "-o", "yaml"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("profile: 4g.24gb"));
    let out = gpubook(&["catalog", "layouts", "RTX-PRO-6000-Blackwell-96GB"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2g.48gb@0 2g.48gb@6") && text.contains("12/12") && text.contains("all-balanced"), "{text}");
    let shapes = stdout_json(&["catalog", "shapes", "H200-141GB", "-o", "json"]);
    let s = shapes.as_array().unwrap().iter().find(|s| s["shape"] == "H200-141GB/2g.35gb").unwrap().clone();
    assert_eq!(s["attributes"]["gpu.nvidia.com/profile"], json!("2g.35gb"));
    assert_eq!(s["gpu_fraction"], json!(0.25));
}

#[test]
fn unknown_models_and_non_mig_models_are_explained() {
    let out = gpubook(&["catalog", "layouts", "H100"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown GPU model \"H100\""));
    let out = gpubook(&["catalog", "layouts", "L40S-48GB"]);
    assert!(stderr(&out).contains("has no MIG"));
}

#[test]
fn a_catalog_file_adds_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extra.yaml");
    std::fs::write(
        &path,
        "models:\n  - key: X-4\n    productName: X\n    architecture: Test\n    cudaComputeCapability: '9.0'\n    memoryMiB: 4096\n    \
         mig:\n      memorySlices: 4\n      computeSlices: 4\n      profiles:\n        - {name: 2g.2gb, id: 1, computeSlices: 2, size: 2, starts: [0, 2], max: 2, memoryMiB: 2048}\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let layouts = stdout_json(&["--catalog", p, "catalog", "layouts", "X-4", "-o", "json"]);
    assert_eq!(layouts, json!([[{"profile": "2g.2gb", "start": 0}, {"profile": "2g.2gb", "start": 2}]]));
    std::fs::write(&path, "models:\n  - key: X-4\n    productName: X\n").unwrap();
    let out = gpubook(&["--catalog", p, "catalog"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("extra.yaml: models[0]: missing field `architecture`"), "{}", stderr(&out));
}

/// `gpubook … | head -1`: a reader that stops early is not an error, and nothing panics.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_gpubook"))
        .args(["catalog", "layouts", "H100-80GB", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end before gpubook (still starting up) writes anything: its write meets a closed pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}
