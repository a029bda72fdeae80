//! Fleet discovery, pure: a cluster's `Node` objects and the NVIDIA DRA driver's ResourceSlices, as the API
//! server listed them, to gpubook [`model::Node`]s with a note for every fact read and every guess made.
//!
//! Two sources, per node: the ResourceSlices of driver `gpu.nvidia.com` when they list GPUs there (UUIDs,
//! indices, MIG instances with their start units, and `dynamic` mode when the driver publishes partitionable
//! devices; [`slices`]), otherwise GPU feature discovery's node labels and the allocatable resources
//! ([`labels`]). A product the catalog does not know, or labels that do not say enough, make an
//! [`Unknown`] with the node's `nvidia.com/` labels: discovery never guesses a model or a layout.

mod labels;
mod slices;

use std::collections::{BTreeMap, BTreeSet};

use model::{Catalog, GpuModel, Reconfiguration};
use serde_json::Value;

/// The NVIDIA DRA driver's name, the `spec.driver` of its ResourceSlices.
pub const DRIVER: &str = "gpu.nvidia.com";

/// What discovery made of the listed objects, nodes in name order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Discovery {
    pub nodes: Vec<Found>,
    pub unknown: Vec<Unknown>,
}

/// A node's GPUs as a gpubook node.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub node: model::Node,
    /// One sentence each: the source, the labels read, the reconfiguration mode and why. They become the
    /// comments above the node's manifest.
    pub notes: Vec<String>,
}

/// A node with GPUs that discovery could not describe, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub node: String,
    pub reason: String,
    /// The node's `nvidia.com/` labels (and, from ResourceSlices, the `productName` seen), so that a catalog
    /// entry or a manifest can be written by hand.
    pub labels: BTreeMap<String, String>,
}

/// Discovers every node that has GPUs. `nodes` are `v1` Node objects, `slices` `resource.k8s.io/v1`
/// ResourceSlice objects (of any driver: others are ignored); nodes without GPUs are left out.
pub fn discover(nodes: &[Value], slices: &[Value], catalog: &Catalog) -> Discovery {
    let by_node = slices::by_node(slices);
    let objects: BTreeMap<&str, &Value> =
        nodes.iter().filter_map(|n| Some((n["metadata"]["name"].as_str()?, n))).collect();
    let names: BTreeSet<&str> = objects.keys().copied().chain(by_node.keys().map(String::as_str)).collect();
    let mut out = Discovery::default();
    for name in names {
        let object = objects.get(name).copied().unwrap_or(&Value::Null);
        let labels = string_map(&object["metadata"]["labels"]);
        let found = match by_node.get(name) {
            Some(devices) if !devices.is_empty() => slices::node(name, &labels, devices, catalog),
            _ => labels::node(name, &labels, &string_map(&object["status"]["allocatable"]), catalog),
        };
        match found {
            Ok(Some(f)) => out.nodes.push(f),
            Ok(None) => {}
            Err(reason) => out.unknown.push(Unknown { node: name.to_string(), reason, labels: nvidia(&labels) }),
        }
    }
    out
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

fn nvidia(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.iter().filter(|(k, _)| k.starts_with("nvidia.com/")).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The catalog model of a product name as NVML gives it (`NVIDIA H100 80GB HBM3`, the DRA driver's
/// `productName`) or as GPU feature discovery labels it (spaces as dashes: `NVIDIA-H100-80GB-HBM3`).
pub fn model_by_product<'a>(product: &str, catalog: &'a Catalog) -> Option<&'a GpuModel> {
    let wanted = product.trim().replace(' ', "-");
    catalog.models().find(|m| crate::render::names::product(m).eq_ignore_ascii_case(&wanted))
}

/// Whether the GPU Operator's MIG manager runs on the node, and the label that says so.
fn mig_manager(labels: &BTreeMap<String, String>) -> Option<String> {
    let deploy = "nvidia.com/gpu.deploy.mig-manager";
    if labels.get(deploy).is_some_and(|v| v == "true") {
        return Some(format!("{deploy}=true"));
    }
    labels.get("nvidia.com/mig.config.state").map(|s| format!("nvidia.com/mig.config.state={s}"))
}

/// The reconfiguration mode of a node's GPUs of model `m`, inferred, with the sentence that says why.
fn reconfiguration(
    m: &GpuModel,
    labels: &BTreeMap<String, String>,
    dynamic: bool,
    mig_on: bool,
) -> (Reconfiguration, String) {
    if m.mig.is_none() {
        return (Reconfiguration::Static, format!("{}: no MIG, used whole", m.key));
    }
    if dynamic {
        let why = "the DRA driver publishes partitionable devices (dynamic MIG)";
        return (Reconfiguration::Dynamic, format!("{}: reconfiguration dynamic: {why}", m.key));
    }
    if let Some(label) = mig_manager(labels) {
        let why = format!("the GPU Operator's MIG manager runs here ({label})");
        return (Reconfiguration::PerGpu, format!("{}: reconfiguration per-gpu: {why}", m.key));
    }
    let why = if mig_on {
        "MIG instances exist and no MIG manager runs here, so they never change"
    } else {
        "MIG is off and no MIG manager runs here: used as whole GPUs"
    };
    (Reconfiguration::Static, format!("{}: reconfiguration static: {why}", m.key))
}

#[cfg(test)]
mod tests;
