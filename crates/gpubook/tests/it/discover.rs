//! `gpubook fleet discover` against a fake API server over real HTTP serving the documented node shapes
//! (`crates/k8s/tests/data/discover/`): the manifests it prints resolve to exactly the nodes discovered and
//! a server applies them; a kind the API server refuses does not stop the other; bad kubeconfigs are clear
//! errors.

use std::process::{Command, Output};

use super::fake_k8s::{fake_api_server, kubeconfig, status};
use super::server::Server;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../k8s/tests/data/discover/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap()
}

/// Nodes and ResourceSlices as the fixtures list them; `refuse` answers that many kinds with their status.
fn cluster(refuse: &'static [(&'static str, u16)]) -> (String, super::fake_k8s::Calls, tokio::runtime::Runtime) {
    fake_api_server(move |method, uri, _| {
        assert_eq!(method, "GET", "discovery never writes: {method} {uri}");
        let path = uri.split('?').next().unwrap_or("");
        if let Some((_, code)) = refuse.iter().find(|(p, _)| *p == path) {
            return (*code, status(*code, "Forbidden"));
        }
        match path {
            "/api/v1/nodes" => (200, fixture("nodes.json")),
            "/apis/resource.k8s.io/v1/resourceslices" => (200, fixture("resourceslices.json")),
            _ => (404, status(404, "NotFound")),
        }
    })
}

fn discover(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gpubook"))
        .args(["fleet", "discover"])
        .args(args)
        .env_remove("GPUBOOK_CATALOG")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> (String, String) {
    let out = discover(args);
    assert!(out.status.success(), "{args:?}: {}", super::stderr(&out));
    let stderr = super::stderr(&out);
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// What the pure discovery makes of the fixtures: the nodes the printed manifests must resolve to.
fn expected() -> Vec<model::Node> {
    let items = |f: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_slice(&fixture(f)).unwrap();
        v["items"].as_array().unwrap().clone()
    };
    let found =
        k8s::discover::discover(&items("nodes.json"), &items("resourceslices.json"), &model::Catalog::builtin());
    found.nodes.into_iter().map(|f| f.node).collect()
}

fn resolved(yaml: &str) -> Vec<model::Node> {
    let docs = api::parse_manifests("discovered.yaml", yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let (defs, _) = api::resolve(&docs, &model::Catalog::builtin()).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    defs.fleet.nodes().cloned().collect()
}

#[test]
fn discovered_manifests_resolve_to_the_discovered_nodes_and_a_server_applies_them() {
    let (url, calls, _rt) = cluster(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &url);
    let (yaml, stderr) = ok(&["--kubeconfig", config.to_str().unwrap()]);
    assert!(stderr.is_empty(), "{stderr}");
    let nodes = resolved(&yaml);
    assert_eq!(nodes.len(), 6);
    assert_eq!(nodes, expected());
    assert!(
        yaml.contains(
            "# node h100-mixed:\n# from GPU feature discovery labels: nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3\n"
        ),
        "{yaml}"
    );
    assert!(yaml.contains("  reconfiguration: per-gpu\n  layout: all-balanced\n"), "{yaml}");
    assert!(yaml.contains("uuid: GPU-b4895dbf-9350-2524-a89b-98161ddd9fe4"), "{yaml}");
    assert!(yaml.contains("# not described: node b300-unknown: product \"NVIDIA-B300-SXM6-AC\""), "{yaml}");
    assert!(yaml.contains("#   nvidia.com/gpu.product: NVIDIA-B300-SXM6-AC\n"), "{yaml}");
    let calls = calls.lock().unwrap().clone();
    assert!(calls.iter().all(|c| c[0] == "GET" && c[2] == "Bearer test-token"), "{calls:?}");
    assert!(calls.iter().any(|c| c[1].starts_with("/api/v1/nodes?") && c[1].contains("limit=500")), "{calls:?}");

    let file = dir.path().join("discovered.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let server = Server::spawn(&dir.path().join("data"), None);
    let out = Command::new(env!("CARGO_BIN_EXE_gpubook"))
        .args(["apply", "-o", "json", "-f"])
        .arg(&file)
        .env("GPUBOOK_URL", &server.url)
        .env("GPUBOOK_TOKEN", &server.token)
        .env_remove("GPUBOOK_CATALOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", super::stderr(&out));
    let fleet: serde_json::Value = serde_json::from_slice(
        &Command::new(env!("CARGO_BIN_EXE_gpubook"))
            .args(["fleet", "-o", "json"])
            .env("GPUBOOK_URL", &server.url)
            .env("GPUBOOK_TOKEN", &server.token)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let ids: Vec<&str> = fleet.as_array().unwrap().iter().filter_map(|g| g["id"].as_str()).collect();
    assert!(ids.contains(&"dra-h100/1") && ids.contains(&"l40s/3") && ids.contains(&"a100-mig-manager/3"), "{ids:?}");
}

#[test]
fn json_and_table_carry_the_same_nodes() {
    let (url, _calls, _rt) = cluster(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &url);
    let (json, _) = ok(&["--kubeconfig", config.to_str().unwrap(), "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let docs: String = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| format!("---\n{}\n", serde_json::to_string(n).unwrap()))
        .collect();
    assert_eq!(resolved(&docs), expected(), "each JSON node is a manifest");
    assert_eq!(v["unknown"][0]["node"], "b300-unknown");
    assert_eq!(v["unknown"][0]["labels"]["nvidia.com/gpu.count"], "8");
    assert!(v["notes"]["l40s"].as_array().unwrap().iter().any(|n| n == "L40S-48GB: no MIG, used whole"));
    assert_eq!(v["errors"], serde_json::json!([]));
    let (table, _) = ok(&["--kubeconfig", config.to_str().unwrap(), "-o", "table"]);
    for needle in ["dra-h200-dynamic", "dynamic", "all-1g.10gb", "not in the catalog"] {
        assert!(table.contains(needle), "{needle}: {table}");
    }
}

#[test]
fn a_kind_the_api_server_refuses_does_not_stop_the_other() {
    let (url, _calls, _rt) = cluster(&[("/apis/resource.k8s.io/v1/resourceslices", 403)]);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &url);
    let (yaml, stderr) = ok(&["--kubeconfig", config.to_str().unwrap()]);
    assert!(stderr.contains("warning: list ResourceSlice: the API server answered 403 (Forbidden)"), "{stderr}");
    let names: Vec<String> = resolved(&yaml).into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["a100-mig-manager", "h100-mixed", "h100-single-off", "l40s"], "the labelled nodes, from labels");

    let (url, _calls, _rt) = cluster(&[("/apis/resource.k8s.io/v1/resourceslices", 404), ("/api/v1/nodes", 500)]);
    let config = kubeconfig(dir.path(), &url);
    let out = discover(&["--kubeconfig", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = super::stderr(&out);
    assert!(err.contains("list Node: the API server answered 500") && err.contains("list ResourceSlice"), "{err}");
}

#[test]
fn a_bad_kubeconfig_or_a_missing_context_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, "clusters: [this is: not, a kubeconfig\n").unwrap();
    let fails = |args: &[&str]| {
        let out = discover(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        super::stderr(&out)
    };
    let err = fails(&["--kubeconfig", garbage.to_str().unwrap()]);
    assert!(err.contains(&format!("{}: not a readable kubeconfig", garbage.display())), "{err}");
    let missing = dir.path().join("nowhere");
    assert!(fails(&["--kubeconfig", missing.to_str().unwrap()]).contains("nowhere: not a readable kubeconfig"));
    let config = kubeconfig(dir.path(), "http://127.0.0.1:9");
    let err = fails(&["--kubeconfig", config.to_str().unwrap(), "--context", "prod"]);
    assert!(err.contains("no context \"prod\"; it has c"), "{err}");
    let err = super::stderr(&discover(&[]));
    assert!(err.contains("--kubeconfig"), "one of the sources is required: {err}");
    let err = super::stderr(&discover(&["--kubernetes", "--context", "c"]));
    assert!(err.contains("--context"), "{err}");
}
