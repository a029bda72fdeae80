//! Discovery of the documented node shapes (`tests/data/discover/`, see its SOURCE.md): an H100 with MIG
//! mixed, an A100 under the MIG manager, an L40S, a DRA node with UUIDs and static MIG instances, a DRA node
//! with dynamic MIG, an unknown product; and the fixtures against the Kubernetes 1.34 schemas.

use k8s::discover::{Discovery, discover};
use model::{Catalog, Reconfiguration};
use serde_json::Value;

pub(crate) fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/discover/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().unwrap().clone()
}

fn discovered() -> Discovery {
    discover(&items(&fixture("nodes.json")), &items(&fixture("resourceslices.json")), &Catalog::builtin())
}

/// `node: model ×count mode layout` per GPU, for compact assertions.
fn summary(d: &Discovery) -> Vec<String> {
    let catalog = Catalog::builtin();
    d.nodes
        .iter()
        .flat_map(|f| f.node.gpus.iter())
        .map(|g| {
            let layout = match (&g.layout, catalog.get(g.model.as_str()).and_then(|m| m.mig.as_ref())) {
                (Some(l), Some(geometry)) => l.describe(geometry),
                _ => "whole".into(),
            };
            format!(
                "{} {} {} {} {layout}",
                g.id,
                g.model.as_str(),
                g.uuid.as_deref().unwrap_or("-"),
                g.reconfiguration.as_str()
            )
        })
        .collect()
}

#[test]
fn every_documented_node_shape_is_discovered() {
    let d = discovered();
    let names: Vec<&str> = d.nodes.iter().map(|f| f.node.name.as_str()).collect();
    assert_eq!(names, ["a100-mig-manager", "dra-h100", "dra-h200-dynamic", "h100-mixed", "h100-single-off", "l40s"]);
    let a100 = "A100-80GB - per-gpu 1g.10gb@0 1g.10gb@1 1g.10gb@2 1g.10gb@3 1g.10gb@4 1g.10gb@5 1g.10gb@6";
    assert_eq!(
        summary(&d),
        [
            format!("a100-mig-manager/0 {a100}"),
            format!("a100-mig-manager/1 {a100}"),
            format!("a100-mig-manager/2 {a100}"),
            format!("a100-mig-manager/3 {a100}"),
            "dra-h100/0 H100-80GB GPU-4d1e5c27-5f5a-4c61-8b0c-6b1f0d2c1a10 per-gpu whole".to_string(),
            "dra-h100/1 H100-80GB GPU-b4895dbf-9350-2524-a89b-98161ddd9fe4 per-gpu 2g.20gb@0 1g.10gb@2 1g.10gb@3 3g.40gb@4"
                .to_string(),
            "dra-h200-dynamic/0 H200-141GB GPU-9a3c41e0-7d2b-4f7e-9c55-0d8e7b6a5f21 dynamic whole".to_string(),
            "h100-mixed/0 H100-80GB - per-gpu 2g.20gb@0 1g.10gb@2 1g.10gb@3 3g.40gb@4".to_string(),
            "h100-single-off/0 H100-80GB - per-gpu whole".to_string(),
            "l40s/0 L40S-48GB - static whole".to_string(),
            "l40s/1 L40S-48GB - static whole".to_string(),
            "l40s/2 L40S-48GB - static whole".to_string(),
            "l40s/3 L40S-48GB - static whole".to_string(),
        ]
    );
}

#[test]
fn the_unknown_product_is_reported_with_its_labels_and_nodes_without_gpus_are_left_out() {
    let d = discovered();
    assert_eq!(d.unknown.len(), 1, "{:?}", d.unknown);
    let u = &d.unknown[0];
    assert_eq!(u.node, "b300-unknown");
    assert_eq!(u.reason, "product \"NVIDIA-B300-SXM6-AC\" (nvidia.com/gpu.product) is not in the catalog");
    assert_eq!(u.labels["nvidia.com/gpu.count"], "8");
    assert!(u.labels.keys().all(|k| k.starts_with("nvidia.com/")));
    assert!(!d.nodes.iter().any(|f| f.node.name == "cpu-only"));
}

#[test]
fn the_notes_say_where_each_fact_came_from_and_why_the_mode() {
    let d = discovered();
    let notes = |name: &str| d.nodes.iter().find(|f| f.node.name == name).unwrap().notes.join("\n");
    let h100 = notes("h100-mixed");
    assert!(h100.contains("nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3"), "{h100}");
    assert!(h100.contains("reconfiguration per-gpu: the GPU Operator's MIG manager runs here"), "{h100}");
    assert!(h100.contains("allocatable: nvidia.com/mig-1g.10gb: 2"), "{h100}");
    let a100 = notes("a100-mig-manager");
    assert!(a100.contains("count the node's 4 GPUs together; each is taken to hold all-1g.10gb"), "{a100}");
    assert!(notes("dra-h200-dynamic").contains("reconfiguration dynamic: the DRA driver publishes partitionable"));
    assert!(notes("dra-h100").starts_with("from the ResourceSlices of driver gpu.nvidia.com: 2 GPUs"));
    assert!(notes("l40s").contains("L40S-48GB: no MIG, used whole"));
}

#[test]
fn a_failed_mig_config_and_a_missing_manager_are_said() {
    let mut nodes = fixture("nodes.json");
    let h100 =
        nodes["items"].as_array_mut().unwrap().iter_mut().find(|n| n["metadata"]["name"] == "h100-mixed").unwrap();
    let labels = h100["metadata"]["labels"].as_object_mut().unwrap();
    labels.insert("nvidia.com/mig.config.state".into(), "failed".into());
    let d = discover(std::slice::from_ref(h100), &[], &Catalog::builtin());
    assert!(d.nodes[0].notes.iter().any(|n| n.contains("failed to apply nvidia.com/mig.config")));
    let labels = h100["metadata"]["labels"].as_object_mut().unwrap();
    labels.remove("nvidia.com/mig.config.state");
    labels.remove("nvidia.com/gpu.deploy.mig-manager");
    let d = discover(std::slice::from_ref(h100), &[], &Catalog::builtin());
    assert_eq!(d.nodes[0].node.gpus[0].reconfiguration, Reconfiguration::Static, "instances and no manager");
}

#[test]
fn the_fixtures_validate_against_the_kubernetes_1_34_schemas() {
    let Some(dir) = crate::schemas::shared() else { return };
    let nodes = crate::schemas::compile(&dir.join("kubernetes/workloads-v1.34.0"), &["nodelist-v1.json"]);
    let slices = crate::schemas::compile(
        &dir.join("kubernetes/resource.k8s.io-v1/v1.34.0"),
        &["resourceslicelist-resource-v1.json"],
    );
    for (validator, file) in [(&nodes[0], "nodes.json"), (&slices[0], "resourceslices.json")] {
        let list = fixture(file);
        let errors: Vec<String> =
            validator.iter_errors(&list).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
        let mut broken = list.clone();
        broken["items"][0]["spec"] = serde_json::json!([]);
        assert!(!validator.is_valid(&broken), "the schema can fail");
    }
}
