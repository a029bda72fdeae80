//! Planned MIG layouts of per-gpu GPUs for the GPU Operator's MIG manager: one mig-parted config per node
//! (`version: v1`, counts per profile and GPU index), all in one ConfigMap, and each node's
//! `nvidia.com/mig.config` label naming its config. The layout is the plan's at the instant rendered, so a
//! GPU idle before an epoch already carries the epoch's layout (applied ahead of the window).
//!
//! A config is named after its content: a changed layout is a changed label, which is what the MIG
//! manager acts on. mig-parted applies counts, not positions; GPUs of other modes are left out, so the
//! MIG manager leaves them alone.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Snapshot;
use super::names::{MIG_CONFIG_LABEL, MIG_CONFIG_MAP, PREFIX, dns_label, fnv1a, manifest, meta};
use crate::object::{Kind, Object};

pub(super) fn mig_parted(s: &Snapshot, namespace: &str) -> Vec<Object> {
    let mut configs = Map::new();
    let mut nodes = Vec::new();
    for node in s.definitions().fleet.nodes() {
        let entries: Vec<Value> = node
            .gpus
            .iter()
            .filter(|g| g.reconfiguration == model::Reconfiguration::PerGpu)
            .map(|g| entry(s, g))
            .collect();
        if entries.is_empty() {
            continue;
        }
        let content = Value::Array(entries);
        let name = config_name(&node.name, &content);
        nodes.push(Object {
            kind: Kind::Node,
            namespace: None,
            name: node.name.clone(),
            body: json!({ "apiVersion": "v1", "kind": "Node",
                          "metadata": { "name": node.name, "labels": { MIG_CONFIG_LABEL: name } } }),
        });
        configs.insert(name, content);
    }
    if configs.is_empty() {
        return nodes;
    }
    // The MIG manager reads every node's label against this one file once the ClusterPolicy points at it:
    // nodes gpubook does not manage keep working with the two standard names.
    configs.insert("all-disabled".into(), json!([{ "devices": "all", "mig-enabled": false }]));
    configs.insert("all-enabled".into(), json!([{ "devices": "all", "mig-enabled": true, "mig-devices": {} }]));
    let file = json!({ "version": "v1", "mig-configs": configs });
    let text = serde_yaml::to_string(&file).expect("JSON values always serialise");
    let map = Object {
        kind: Kind::ConfigMap,
        namespace: Some(namespace.to_string()),
        name: MIG_CONFIG_MAP.to_string(),
        body: manifest(
            Kind::ConfigMap,
            meta(MIG_CONFIG_MAP, Some(namespace), None),
            json!({ "data": { "config.yaml": text } }),
        ),
    };
    nodes.push(map);
    nodes
}

/// One GPU's mig-parted entry: MIG off for a whole-GPU epoch, else its instance counts per profile.
fn entry(s: &Snapshot, gpu: &model::Gpu) -> Value {
    let geometry = s.catalog().get(gpu.model.as_str()).and_then(|m| m.mig.as_ref());
    match (s.planned_layout(&gpu.id), geometry) {
        (Some(layout), Some(g)) => {
            let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
            for p in layout.placements() {
                *counts.entry(&g.profile(p.profile).name).or_default() += 1;
            }
            json!({ "devices": [gpu.id.index], "mig-enabled": true, "mig-devices": counts })
        }
        _ => json!({ "devices": [gpu.id.index], "mig-enabled": false }),
    }
}

/// `gpubook-<node>-<hash of the content>`, at most 63 characters: it is a label value. The hash covers the
/// node's name too, so two long names cut to the same prefix still differ.
fn config_name(node: &str, content: &Value) -> String {
    let hash = fnv1a(format!("{node}\n{content}").as_bytes()) as u32;
    let node: String = dns_label(node).chars().take(63 - PREFIX.len() - 10).collect();
    format!("{PREFIX}-{}-{hash:08x}", node.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_are_label_values_even_for_long_node_names() {
        let long = format!("{}.example.internal", "gpu-node-".repeat(20));
        let name = config_name(&long, &json!([]));
        assert!(name.len() <= 63, "{name}");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        assert_ne!(name, config_name(&format!("{long}2"), &json!([])), "names differ past the cut");
        assert_ne!(config_name("n", &json!([1])), config_name("n", &json!([2])), "a new layout is a new name");
    }
}
