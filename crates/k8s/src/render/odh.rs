//! OpenShift AI / Open Data Hub HardwareProfiles, queue-scheduled, so a workbench or model deployment that
//! picks one lands on booked devices: one per booking (`gpubook-b17`, on the booking's LocalQueue), or in
//! per-project mode one per project, mode and shape (on the project's queue of that mode).

use std::collections::BTreeMap;

use model::Allowance;
use serde_json::{Value, json};

use super::names::{self, manifest, meta};
use super::{Live, Snapshot, companion};
use crate::object::{Kind, Object};

/// An `Accelerator` identifier's counts: `(resource, min, max, default)`.
type Accelerator = (String, u32, u32, u32);

pub(super) fn hardware_profile(s: &Snapshot, l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for d in &b.devices {
        *counts.entry(names::resource(&d.shape)).or_default() += 1;
    }
    let accelerators: Vec<Accelerator> = counts.into_iter().map(|(r, n)| (r, n, n, n)).collect();
    // The booking's queue covers exactly this much cpu and memory: a workload that asked for more would
    // never be admitted, so the profile offers the whole allowance and no more.
    let allowance = companion::of_booking(s, b);
    let ns = l.namespace();
    let mut m = meta(&name, Some(ns), Some(b));
    m["annotations"]["opendatahub.io/display-name"] =
        format!("gpubook {}: {} × {}", b.id, b.request.count, b.request.want).into();
    m["annotations"]["opendatahub.io/description"] =
        format!("Booked by {} from {} to {}", b.request.owner, b.window().start, b.window().end).into();
    m["annotations"]["opendatahub.io/disabled"] = l.draining.to_string().into();
    let local_queue = names::local_queue(b, s.opts.queues);
    let spec = spec(identifiers(&accelerators, allowance, allowance, allowance), &local_queue, b.priority);
    object(ns, &name, m, spec)
}

/// What a per-project profile offers: one device of the shape (up to what the group's active bookings hold)
/// with the smallest per-device allowance of them by default, up to their whole allowance.
pub(super) struct Group {
    pub(super) name: String,
    pub(super) namespace: String,
    pub(super) metadata: Value,
    pub(super) resource: String,
    pub(super) devices: u32,
    pub(super) per_device: Allowance,
    pub(super) total: Allowance,
    pub(super) local_queue: String,
    pub(super) priority: i32,
}

pub(super) fn project_profile(g: Group) -> Object {
    let accelerators = [(g.resource, 1, g.devices.max(1), 1)];
    let spec = spec(identifiers(&accelerators, g.per_device, g.total, g.per_device), &g.local_queue, g.priority);
    object(&g.namespace, &g.name, g.metadata, spec)
}

/// The `Accelerator` identifiers, then `CPU` and `Memory` (and ephemeral storage when any side sets it).
fn identifiers(accelerators: &[Accelerator], min: Allowance, max: Allowance, default: Allowance) -> Vec<Value> {
    let mut out: Vec<Value> = accelerators
        .iter()
        .map(|(r, min, max, default)| {
            json!({ "identifier": r, "displayName": r, "resourceType": "Accelerator",
                    "minCount": min, "maxCount": max, "defaultCount": default })
        })
        .collect();
    let mut companions = vec![
        (companion::CPU, "CPU", Some("CPU"), [min.cpu(), max.cpu(), default.cpu()]),
        (companion::MEMORY, "Memory", Some("Memory"), [min.memory(), max.memory(), default.memory()]),
    ];
    if let Some(e) = max.ephemeral() {
        let or_zero = |a: &Allowance| a.ephemeral().unwrap_or_else(|| "0".into());
        companions.push((companion::EPHEMERAL, "Ephemeral storage", None, [or_zero(&min), e, or_zero(&default)]));
    }
    for (id, display, kind, [min, max, default]) in companions {
        let mut i = json!({ "identifier": id, "displayName": display, "minCount": min, "maxCount": max,
                            "defaultCount": default });
        if let Some(k) = kind {
            i["resourceType"] = k.into();
        }
        out.push(i);
    }
    out
}

fn spec(identifiers: Vec<Value>, local_queue: &str, priority: i32) -> Value {
    json!({ "spec": {
        "identifiers": identifiers,
        "scheduling": { "type": "Queue", "kueue": {
            "localQueueName": local_queue, "priorityClass": names::priority_class(priority) } },
    }})
}

fn object(namespace: &str, name: &str, metadata: Value, spec: Value) -> Object {
    Object {
        kind: Kind::HardwareProfile,
        namespace: Some(namespace.to_string()),
        name: name.to_string(),
        body: manifest(Kind::HardwareProfile, metadata, spec),
    }
}
