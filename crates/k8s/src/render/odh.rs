//! OpenShift AI / Open Data Hub: a HardwareProfile per booking, queue-scheduled through the booking's
//! LocalQueue, so a workbench or model deployment that picks it lands on the booked devices.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::names::{self, manifest, meta};
use super::{Live, Snapshot, companion};
use crate::object::{Kind, Object};

pub(super) fn hardware_profile(s: &Snapshot, l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for d in &b.devices {
        *counts.entry(names::resource(&d.shape)).or_default() += 1;
    }
    let mut identifiers: Vec<Value> = counts
        .iter()
        .map(|(r, n)| {
            json!({ "identifier": r, "displayName": r, "resourceType": "Accelerator",
                    "minCount": n, "maxCount": n, "defaultCount": n })
        })
        .collect();
    // The booking's queue covers exactly this much cpu and memory: a workload that asked for more would
    // never be admitted, so the profile offers the whole allowance and no more.
    let allowance = companion::of_booking(s, b);
    let mut companions = vec![(companion::CPU, "CPU", Some("CPU"), allowance.cpu())];
    companions.push((companion::MEMORY, "Memory", Some("Memory"), allowance.memory()));
    if let Some(e) = allowance.ephemeral() {
        companions.push((companion::EPHEMERAL, "Ephemeral storage", None, e));
    }
    for (id, display, kind, q) in companions {
        let mut i =
            json!({ "identifier": id, "displayName": display, "minCount": q, "maxCount": q, "defaultCount": q });
        if let Some(k) = kind {
            i["resourceType"] = k.into();
        }
        identifiers.push(i);
    }
    let ns = l.namespace();
    let mut m = meta(&name, Some(ns), Some(b));
    m["annotations"] = json!({
        "opendatahub.io/display-name": format!("gpubook {}: {} × {}", b.id, b.request.count, b.request.want),
        "opendatahub.io/description": format!("Booked by {} from {} to {}", b.request.owner, b.window().start, b.window().end),
        "opendatahub.io/disabled": if l.draining { "true" } else { "false" },
    });
    let spec = json!({ "spec": {
        "identifiers": identifiers,
        "scheduling": { "type": "Queue", "kueue": {
            "localQueueName": names::local_queue(b, s.opts.queues), "priorityClass": names::priority_class(b.priority) } },
    }});
    Object {
        kind: Kind::HardwareProfile,
        namespace: Some(ns.to_string()),
        name: name.clone(),
        body: manifest(Kind::HardwareProfile, m, spec),
    }
}
