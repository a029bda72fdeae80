//! A node's GPUs from the NVIDIA DRA driver's `resource.k8s.io/v1` ResourceSlices (driver `gpu.nvidia.com`).
//!
//! Read per device: the attributes `type` (`gpu` or `mig`), `uuid`, `productName`, `index` (published by
//! driver releases before 25.8; later ones name the device `gpu-<minor>`, which is read instead), `profile`
//! and `parentUUID` of MIG devices, and the start unit of a static MIG device from its `memorySlice<i>`
//! capacities (the lowest `i`) or the last part of its name (`gpu-0-mig-3g40gb-9-4` starts at unit 4).
//! A slice with `sharedCounters`, or a device that `consumesCounters`, is the driver's dynamic MIG
//! (partitionable devices): its MIG devices are the placements that could be made, not instances, so the
//! node's GPUs are `dynamic` with no layout.

use std::collections::BTreeMap;

use model::{Catalog, Gpu, GpuId, Layout};
use serde_json::Value;

use super::{DRIVER, Found, model_by_product, reconfiguration};

/// The driver's devices on one node.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct NodeDevices {
    /// By UUID.
    gpus: BTreeMap<String, DraGpu>,
    dynamic: bool,
}

impl NodeDevices {
    pub(super) fn is_empty(&self) -> bool {
        self.gpus.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
struct DraGpu {
    index: Option<u32>,
    product: Option<String>,
    /// Static MIG instances: profile and start unit when known.
    instances: Vec<(String, Option<u32>)>,
}

/// The `gpu.nvidia.com` devices of every slice, by node (`spec.nodeName`, else the pool, which the driver
/// names after the node).
pub(super) fn by_node(slices: &[Value]) -> BTreeMap<String, NodeDevices> {
    let mut out: BTreeMap<String, NodeDevices> = BTreeMap::new();
    for slice in slices {
        let spec = &slice["spec"];
        if spec["driver"].as_str() != Some(DRIVER) {
            continue;
        }
        let Some(node) = spec["nodeName"].as_str().or(spec["pool"]["name"].as_str()) else { continue };
        let devices = out.entry(node.to_string()).or_default();
        if spec["sharedCounters"].as_array().is_some_and(|c| !c.is_empty()) {
            devices.dynamic = true;
        }
        for d in spec["devices"].as_array().into_iter().flatten() {
            add(devices, d);
        }
    }
    out
}

fn add(devices: &mut NodeDevices, d: &Value) {
    let name = d["name"].as_str().unwrap_or("");
    let partitionable = d["consumesCounters"].as_array().is_some_and(|c| !c.is_empty());
    devices.dynamic |= partitionable;
    let (uuid, instance) = match attr(d, "type").as_deref() {
        Some("gpu") => (attr(d, "uuid"), None),
        Some("mig") => {
            let start = memory_slice(d).or_else(|| name.rsplit('-').next().and_then(|s| s.parse().ok()));
            (attr(d, "parentUUID"), (!partitionable).then(|| attr(d, "profile").map(|p| (p, start))).flatten())
        }
        _ => return,
    };
    let Some(uuid) = uuid else { return };
    let gpu = devices.gpus.entry(uuid).or_default();
    // `gpu-<minor>` or `gpu-<minor>-mig-…`.
    let from_name = name.strip_prefix("gpu-").and_then(|s| s.split('-').next()).and_then(|s| s.parse().ok());
    let index = attr(d, "index").and_then(|s| s.parse().ok()).filter(|_| attr(d, "type").as_deref() == Some("gpu"));
    gpu.index = gpu.index.or(index).or(from_name);
    gpu.product = gpu.product.take().or_else(|| attr(d, "productName"));
    gpu.instances.extend(instance);
}

/// An attribute's value as text, under its bare name or qualified by the driver's domain.
fn attr(d: &Value, name: &str) -> Option<String> {
    let attrs = &d["attributes"];
    let v = attrs.get(name).or_else(|| attrs.get(format!("{DRIVER}/{name}")))?;
    if let Some(s) = v["string"].as_str().or(v["version"].as_str()) {
        return Some(s.to_string());
    }
    v["int"].as_i64().map(|i| i.to_string()).or_else(|| v["bool"].as_bool().map(|b| b.to_string()))
}

/// The lowest `i` of the `memorySlice<i>` capacities a static MIG device has.
fn memory_slice(d: &Value) -> Option<u32> {
    let caps = d["capacity"].as_object()?;
    caps.keys()
        .filter_map(|k| k.strip_prefix(&format!("{DRIVER}/")).unwrap_or(k).strip_prefix("memorySlice")?.parse().ok())
        .min()
}

pub(super) fn node(
    name: &str,
    labels: &BTreeMap<String, String>,
    devices: &NodeDevices,
    catalog: &Catalog,
) -> Result<Option<Found>, String> {
    let n = devices.gpus.len();
    let mut notes =
        vec![format!("from the ResourceSlices of driver {DRIVER}: {n} GPU{}", if n == 1 { "" } else { "s" })];
    let mut gpus: Vec<Gpu> = Vec::new();
    for (uuid, d) in &devices.gpus {
        let product = d.product.as_deref().ok_or_else(|| format!("GPU {uuid} has no productName attribute"))?;
        let m = model_by_product(product, catalog)
            .ok_or_else(|| format!("GPU {uuid}: product {product:?} (productName) is not in the catalog"))?;
        let index = d.index.ok_or_else(|| format!("GPU {uuid}: no index attribute and no gpu-<minor> name"))?;
        let layout = match (&m.mig, devices.dynamic || d.instances.is_empty()) {
            (Some(g), false) => Some(instances(g, &d.instances).map_err(|e| format!("GPU {uuid}: {e}"))?),
            _ => None,
        };
        let (mode, why) = reconfiguration(m, labels, devices.dynamic, layout.is_some());
        if !notes.contains(&why) {
            notes.push(why);
        }
        gpus.push(Gpu {
            id: GpuId { node: name.to_string(), index },
            model: m.key.clone(),
            uuid: Some(uuid.clone()),
            reconfiguration: mode,
            layout,
        });
    }
    gpus.sort_by_key(|g| g.id.index);
    if let Some(w) = gpus.windows(2).find(|w| w[0].id.index == w[1].id.index) {
        return Err(format!("two GPUs have index {}", w[0].id.index));
    }
    if labels.contains_key("nvidia.com/gpu.product") {
        notes.push("GPU feature discovery labels are present too; the ResourceSlices were read".into());
    }
    Ok(Some(Found { node: model::Node { name: name.to_string(), gpus }, notes }))
}

/// The layout of a GPU's static MIG instances: at their start units when every one is known, else placed
/// by their counts.
fn instances(g: &model::MigGeometry, list: &[(String, Option<u32>)]) -> Result<Layout, String> {
    if list.len() > g.units as usize {
        return Err(format!("{} MIG devices on one GPU of {} units", list.len(), g.units));
    }
    if list.iter().all(|(_, s)| s.is_some()) {
        let placements = list
            .iter()
            .map(|(p, s)| g.placement(p, s.unwrap_or_default()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let layout = Layout::new(placements);
        g.validate(&layout).map_err(|e| e.to_string())?;
        return Ok(layout);
    }
    let mut counts = BTreeMap::new();
    for (p, _) in list {
        let i = g.find(p).ok_or_else(|| format!("no MIG profile {p:?} on this model"))?;
        *counts.entry(i).or_insert(0) += 1;
    }
    g.place_counts(&counts).ok_or_else(|| "its MIG devices fit no valid layout".to_string())
}
