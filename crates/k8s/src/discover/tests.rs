//! Edge cases of discovery on hand-built objects; the documented node shapes are in `tests/it/discover.rs`.

use model::{Catalog, Reconfiguration};
use serde_json::{Value, json};

use super::*;

fn node(name: &str, labels: Value, allocatable: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Node", "metadata": { "name": name, "labels": labels },
            "status": { "allocatable": allocatable } })
}

fn one(nodes: &[Value], slices: &[Value]) -> Discovery {
    discover(nodes, slices, &Catalog::builtin())
}

#[test]
fn products_map_to_catalog_keys_in_both_spellings() {
    let c = Catalog::builtin();
    assert_eq!(model_by_product("NVIDIA-H100-80GB-HBM3", &c).unwrap().key.as_str(), "H100-80GB");
    assert_eq!(model_by_product("NVIDIA H100 80GB HBM3", &c).unwrap().key.as_str(), "H100-80GB");
    assert_eq!(model_by_product("NVIDIA-A100-SXM4-80GB", &c).unwrap().key.as_str(), "A100-80GB");
    assert!(model_by_product("NVIDIA-H100-80GB", &c).is_none(), "no prefix matching: not guessed");
}

#[test]
fn a_node_without_gpus_is_left_out_and_one_without_a_product_label_is_unknown() {
    let plain = node("cpu-1", json!({ "kubernetes.io/os": "linux" }), json!({ "cpu": "32" }));
    let unlabelled = node("gpu-1", json!({}), json!({ "nvidia.com/gpu": "8" }));
    let d = one(&[plain, unlabelled], &[]);
    assert!(d.nodes.is_empty());
    assert_eq!(d.unknown.len(), 1);
    assert_eq!(d.unknown[0].node, "gpu-1");
    assert!(d.unknown[0].reason.contains("no nvidia.com/gpu.product label"), "{}", d.unknown[0].reason);
}

#[test]
fn an_unknown_product_is_reported_with_its_labels() {
    let labels = json!({ "nvidia.com/gpu.product": "NVIDIA-B300-SXM6-AC", "nvidia.com/gpu.count": "8",
                         "kubernetes.io/hostname": "b300-1" });
    let d = one(&[node("b300-1", labels, json!({}))], &[]);
    assert!(d.nodes.is_empty());
    let u = &d.unknown[0];
    assert!(u.reason.contains("\"NVIDIA-B300-SXM6-AC\"") && u.reason.contains("not in the catalog"), "{}", u.reason);
    assert_eq!(u.labels.len(), 2, "only the nvidia.com/ labels: {:?}", u.labels);
}

#[test]
fn counts_that_do_not_split_evenly_over_the_gpus_are_refused_not_guessed() {
    let labels = json!({ "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.count": "2",
                         "nvidia.com/mig.strategy": "mixed", "nvidia.com/mig-3g.40gb.count": "3" });
    let d = one(&[node("h", labels, json!({}))], &[]);
    assert!(d.nodes.is_empty());
    assert!(d.unknown[0].reason.contains("do not split evenly"), "{}", d.unknown[0].reason);
    let labels = json!({ "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.count": "1",
                         "nvidia.com/mig-1g.10gb.count": "4000000000" });
    assert!(one(&[node("h", labels, json!({}))], &[]).unknown[0].reason.contains("within 7"));
    let labels = json!({ "nvidia.com/gpu.product": "NVIDIA-L40S", "nvidia.com/gpu.count": "99999" });
    assert!(one(&[node("h", labels, json!({}))], &[]).unknown[0].reason.contains("expected 1 to 1024"));
    let labels = json!({ "nvidia.com/gpu.product": "NVIDIA-L40S", "nvidia.com/gpu.count": "-1" });
    assert!(one(&[node("h", labels, json!({}))], &[]).unknown[0].reason.contains("is not a count"));
}

#[test]
fn single_strategy_counts_gpus_from_the_config_the_mig_manager_applied() {
    let labels = json!({ "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb", "nvidia.com/gpu.count": "14",
                         "nvidia.com/mig.strategy": "single", "nvidia.com/mig.config": "all-1g.10gb",
                         "nvidia.com/mig.config.state": "success" });
    let d = one(&[node("h", labels.clone(), json!({}))], &[]);
    let gpus = &d.nodes[0].node.gpus;
    assert_eq!(gpus.len(), 2);
    assert_eq!(gpus[0].reconfiguration, Reconfiguration::PerGpu);
    assert_eq!(gpus[0].layout.as_ref().unwrap().len(), 7);
    let mut custom = labels;
    custom["nvidia.com/mig.config"] = json!("custom-config");
    assert!(one(&[node("h", custom, json!({}))], &[]).unknown[0].reason.contains("does not say how many"));
}

#[test]
fn a_mig_device_of_a_slice_overlapping_another_is_refused() {
    let slice = json!({ "spec": { "driver": "gpu.nvidia.com", "nodeName": "d", "pool": { "name": "d" }, "devices": [
        { "name": "gpu-0", "attributes": { "type": { "string": "gpu" }, "uuid": { "string": "GPU-1" },
          "productName": { "string": "NVIDIA H100 80GB HBM3" } } },
        { "name": "gpu-0-mig-4g40gb-5-0", "attributes": { "type": { "string": "mig" }, "parentUUID": { "string": "GPU-1" },
          "profile": { "string": "4g.40gb" } } },
        { "name": "gpu-0-mig-4g40gb-5-4", "attributes": { "type": { "string": "mig" }, "parentUUID": { "string": "GPU-1" },
          "profile": { "string": "4g.40gb" } } } ] } });
    let d = one(&[], &[slice]);
    assert!(d.nodes.is_empty());
    assert!(d.unknown[0].reason.starts_with("GPU GPU-1: "), "{}", d.unknown[0].reason);
}
