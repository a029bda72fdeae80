//! DRA `resource.k8s.io/v1` objects.
//!
//! - A DeviceClass per size carrying the size's CEL selector (the very string the planner evaluates), for
//!   claims that ask for "any gpu-small".
//! - A DeviceClass per quota resource of the fleet (`mig-1g.10gb.gpubook.io` for `nvidia.com/mig-1g.10gb`,
//!   `gpu.gpubook.io` for `nvidia.com/gpu`), so Kueue's DRA integration can map each class to the resource
//!   the booking's ClusterQueue counts (`deviceClassMappings`) and charge claims to the right quota.
//! - Per booking a ResourceClaimTemplate whose requests use those classes and select the devices the
//!   booking holds, as closely as the NVIDIA DRA driver's attributes allow.

use std::collections::BTreeMap;

use model::{Device, Reconfiguration, ShapeKey, Slot};
use serde_json::{Value, json};

use super::names::{self, cel_str, manifest, meta};
use super::{Live, Snapshot};
use crate::object::{Kind, Object};

/// The most requests one ResourceClaim may carry; beyond it, devices are asked for by shape, unpinned.
const MAX_REQUESTS: usize = 32;
const ATTR: &str = "device.attributes['gpu.nvidia.com']";

pub(super) fn device_classes(s: &Snapshot) -> Vec<Object> {
    let driver = format!("device.driver == {}", cel_str(model::shape::DRIVER));
    let sizes = s.definitions().sizes.values().map(|size| {
        let selectors = json!([{ "cel": { "expression": driver } }, { "cel": { "expression": size.selector } }]);
        class(&names::size_class(&size.name), selectors, None)
    });
    let mut resources: BTreeMap<String, ShapeKey> = BTreeMap::new();
    for gpu in s.definitions().fleet.gpus() {
        let Some(model) = s.catalog().get(gpu.model.as_str()) else { continue };
        let shapes = std::iter::once(ShapeKey::whole(&model.key))
            .chain(model.mig.iter().flat_map(|g| &g.profiles).map(|p| ShapeKey::mig(&model.key, &p.name)));
        for shape in shapes {
            resources.entry(names::resource(&shape)).or_insert(shape);
        }
    }
    let per_resource = resources.into_iter().map(|(resource, shape)| {
        let selectors = json!([{ "cel": { "expression": format!("{driver} && {}", kind_of(&shape)) } }]);
        class(&names::resource_class(&shape), selectors, Some(&resource))
    });
    sizes.chain(per_resource).collect()
}

fn class(name: &str, selectors: Value, resource: Option<&str>) -> Object {
    let mut m = meta(name, None, None);
    if let Some(r) = resource {
        m["annotations"] = json!({ "gpubook.io/quota-resource": r });
    }
    let body = manifest(Kind::DeviceClass, m, json!({ "spec": { "selectors": selectors } }));
    Object { kind: Kind::DeviceClass, namespace: None, name: name.to_string(), body }
}

/// One request per device, pinned to its GPU (by UUID, when the fleet declares it) and, for MIG instances
/// that exist before the claim (static and per-gpu GPUs), to its start unit; by shape beyond 32 devices.
/// The template's spec is immutable in Kubernetes: it depends only on the booking's devices (which never
/// move once it started) and the fleet's UUIDs and modes.
pub(super) fn claim_template(s: &Snapshot, l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let requests: Vec<Value> = if b.devices.len() <= MAX_REQUESTS {
        b.devices.iter().enumerate().map(|(i, d)| request(&format!("device-{i}"), d, 1, pinned(s, d))).collect()
    } else {
        let mut by_shape: BTreeMap<&ShapeKey, (&Device, u32)> = BTreeMap::new();
        for d in &b.devices {
            by_shape.entry(&d.shape).or_insert((d, 0)).1 += 1;
        }
        by_shape
            .values()
            .enumerate()
            .map(|(i, (d, n))| request(&format!("shape-{i}"), d, *n, shape_only(s, d)))
            .collect()
    };
    let spec = json!({ "spec": { "spec": { "devices": { "requests": requests } } } });
    let ns = l.namespace();
    Object {
        kind: Kind::ResourceClaimTemplate,
        namespace: Some(ns.to_string()),
        name: name.clone(),
        body: manifest(Kind::ResourceClaimTemplate, meta(&name, Some(ns), Some(b)), spec),
    }
}

fn request(name: &str, d: &Device, count: u32, selector: String) -> Value {
    json!({ "name": name, "exactly": {
        "deviceClassName": names::resource_class(&d.shape),
        "allocationMode": "ExactCount",
        "count": count,
        "selectors": [{ "cel": { "expression": selector } }],
    }})
}

/// The NVIDIA DRA driver's `type` (and `profile`) of a shape.
fn kind_of(shape: &ShapeKey) -> String {
    match &shape.profile {
        Some(p) => format!("{ATTR}.type == 'mig' && {ATTR}.profile == {}", cel_str(p)),
        None => format!("{ATTR}.type == 'gpu'"),
    }
}

fn shape_only(s: &Snapshot, d: &Device) -> String {
    let product = s.catalog().get(d.shape.model.as_str()).map(|m| m.product_name.as_str()).unwrap_or_default();
    format!("{ATTR}.productName == {} && {}", cel_str(product), kind_of(&d.shape))
}

fn pinned(s: &Snapshot, d: &Device) -> String {
    let mut expr = shape_only(s, d);
    let Some(gpu) = s.definitions().fleet.gpu(&d.gpu) else { return expr };
    if let Some(uuid) = &gpu.uuid {
        let attr = if d.shape.profile.is_some() { "parentUUID" } else { "uuid" };
        expr.push_str(&format!(" && {ATTR}.{attr} == {}", cel_str(uuid)));
    }
    // Static MIG devices publish a `memorySlice<i>` capacity per unit they occupy; dynamic ones do not.
    if let (Slot::Mig { start, .. }, true) = (d.slot, gpu.reconfiguration != Reconfiguration::Dynamic) {
        expr.push_str(&format!(" && 'memorySlice{start}' in device.capacity['gpu.nvidia.com']"));
    }
    expr
}
