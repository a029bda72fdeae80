//! DRA `resource.k8s.io/v1` objects.
//!
//! - A DeviceClass per size carrying the size's CEL selector (the very string the planner evaluates), for
//!   claims that ask for "any gpu-small".
//! - A DeviceClass per quota resource of the fleet (`mig-1g.10gb.gpubook.io` for `nvidia.com/mig-1g.10gb`,
//!   `gpu.gpubook.io` for `nvidia.com/gpu`), so Kueue's DRA integration can map each class to the resource
//!   the booking's ClusterQueue counts (`deviceClassMappings`) and charge claims to the right quota.
//! - Per booking a ResourceClaimTemplate whose requests use those classes, one device each (per project,
//!   in `--k8s-queues per-project`, one per project and shape asking for one device), and nothing
//!   else: Kueue's DRA integration refuses a template with CEL selectors, constraints or config ("CEL
//!   selectors are not supported", `pkg/dra/claims.go` in kubernetes-sigs/kueue), which would leave every
//!   pod of the booking pending. The booking's flavor (node labels of its GPU model, which Kueue adds to
//!   the pod's node selector on admission) puts the pod on the booked model's nodes; which GPU of them is
//!   the DRA driver's choice.

use std::collections::BTreeMap;

use model::{Device, ShapeKey};
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

/// One request per device of its quota resource's class (by shape, counted, beyond 32 devices). The
/// template's spec is immutable in Kubernetes: it depends only on the booking's devices' shapes.
pub(super) fn claim_template(l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let requests: Vec<Value> = if b.devices.len() <= MAX_REQUESTS {
        b.devices.iter().enumerate().map(|(i, d)| request(&format!("device-{i}"), d, 1)).collect()
    } else {
        let mut by_shape: BTreeMap<&ShapeKey, (&Device, u32)> = BTreeMap::new();
        for d in &b.devices {
            by_shape.entry(&d.shape).or_insert((d, 0)).1 += 1;
        }
        by_shape.values().enumerate().map(|(i, (d, n))| request(&format!("shape-{i}"), d, *n)).collect()
    };
    let ns = l.namespace();
    template(ns, &name, meta(&name, Some(ns), Some(b)), requests)
}

/// Per project, one device of a shape: `gpubook-<project>-<shape>`, request `device`, `ExactCount` 1 of the
/// shape's quota-resource class. It cannot pin a booking's GPUs (it serves all of the project's bookings of
/// the shape, and Kueue refuses selectors anyway); the pod's node selector puts it on the booked model. Its
/// spec depends only on the shape, so it never has to be replaced.
pub(super) fn project_claim_template(namespace: &str, name: &str, metadata: Value, shape: &ShapeKey) -> Object {
    template(namespace, name, metadata, vec![request_of("device", shape, 1)])
}

fn template(namespace: &str, name: &str, metadata: Value, requests: Vec<Value>) -> Object {
    let spec = json!({ "spec": { "spec": { "devices": { "requests": requests } } } });
    Object {
        kind: Kind::ResourceClaimTemplate,
        namespace: Some(namespace.to_string()),
        name: name.to_string(),
        body: manifest(Kind::ResourceClaimTemplate, metadata, spec),
    }
}

fn request(name: &str, d: &Device, count: u32) -> Value {
    request_of(name, &d.shape, count)
}

fn request_of(name: &str, shape: &ShapeKey, count: u32) -> Value {
    json!({ "name": name, "exactly": {
        "deviceClassName": names::resource_class(shape),
        "allocationMode": "ExactCount",
        "count": count,
    }})
}

/// The NVIDIA DRA driver's `type` (and `profile`) of a shape.
fn kind_of(shape: &ShapeKey) -> String {
    match &shape.profile {
        Some(p) => format!("{ATTR}.type == 'mig' && {ATTR}.profile == {}", cel_str(p)),
        None => format!("{ATTR}.type == 'gpu'"),
    }
}
