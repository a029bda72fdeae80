//! DRA `resource.k8s.io/v1` objects: a DeviceClass per size carrying the size's CEL selector (the very string
//! the planner evaluates), and per booking a ResourceClaimTemplate whose requests select the devices the
//! booking holds, as closely as the NVIDIA DRA driver's attributes allow.

use model::{Device, Reconfiguration, Slot, Want};
use serde_json::{Value, json};

use super::names::{self, cel_str, manifest, meta};
use super::{Live, Snapshot};
use crate::object::{Kind, Object};

/// The most requests one ResourceClaim may carry; beyond it, devices are asked for by shape, unpinned.
const MAX_REQUESTS: usize = 32;
const ATTR: &str = "device.attributes['gpu.nvidia.com']";

pub(super) fn device_classes(s: &Snapshot) -> Vec<Object> {
    s.definitions()
        .sizes
        .values()
        .map(|s| {
            let name = names::size_class(&s.name);
            let spec = json!({ "spec": { "selectors": [
                { "cel": { "expression": format!("device.driver == {}", cel_str(model::shape::DRIVER)) } },
                { "cel": { "expression": s.selector } },
            ]}});
            Object {
                kind: Kind::DeviceClass,
                namespace: None,
                name: name.clone(),
                body: manifest(Kind::DeviceClass, meta(&name, None, None), spec),
            }
        })
        .collect()
}

/// One request per device, pinned to its GPU (by UUID, when the fleet declares it) and, for MIG instances
/// that exist before the claim (static and per-gpu GPUs), to its start unit; by shape beyond 32 devices.
pub(super) fn claim_template(s: &Snapshot, l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let requests: Vec<Value> = if b.devices.len() <= MAX_REQUESTS {
        b.devices
            .iter()
            .enumerate()
            .map(|(i, d)| request(&format!("device-{i}"), class(&b.request.want, d), 1, pinned(s, d)))
            .collect()
    } else {
        let mut by_shape: std::collections::BTreeMap<&model::ShapeKey, (&Device, u32)> = Default::default();
        for d in &b.devices {
            by_shape.entry(&d.shape).or_insert((d, 0)).1 += 1;
        }
        by_shape
            .values()
            .enumerate()
            .map(|(i, (d, n))| request(&format!("shape-{i}"), class(&b.request.want, d), *n, shape_only(s, d)))
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

fn request(name: &str, class: String, count: u32, selector: String) -> Value {
    json!({ "name": name, "exactly": {
        "deviceClassName": class,
        "allocationMode": "ExactCount",
        "count": count,
        "selectors": [{ "cel": { "expression": selector } }],
    }})
}

/// The size's class for a booking by size; the NVIDIA driver's class of the shape's type otherwise.
fn class(want: &Want, d: &Device) -> String {
    match (want, &d.shape.profile) {
        (Want::Size(s), _) => names::size_class(s),
        (Want::Shape(_), Some(_)) => "mig.nvidia.com".into(),
        (Want::Shape(_), None) => "gpu.nvidia.com".into(),
    }
}

fn shape_only(s: &Snapshot, d: &Device) -> String {
    let product = s.catalog().get(d.shape.model.as_str()).map(|m| m.product_name.as_str()).unwrap_or_default();
    let mut parts = vec![format!("{ATTR}.productName == {}", cel_str(product))];
    match &d.shape.profile {
        Some(p) => {
            parts.push(format!("{ATTR}.type == 'mig'"));
            parts.push(format!("{ATTR}.profile == {}", cel_str(p)));
        }
        None => parts.push(format!("{ATTR}.type == 'gpu'")),
    }
    parts.join(" && ")
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
