//! OpenShift AI / Open Data Hub: a HardwareProfile per booking, queue-scheduled through the booking's
//! LocalQueue, so a workbench or model deployment that picks it lands on the booked devices.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Live;
use super::names::{self, manifest, meta};
use crate::object::{Kind, Object};

pub(super) fn hardware_profile(l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for d in &b.devices {
        *counts.entry(names::resource(&d.shape)).or_default() += 1;
    }
    let identifiers: Vec<Value> = counts
        .iter()
        .map(|(r, n)| {
            json!({ "identifier": r, "displayName": r, "resourceType": "Accelerator",
                    "minCount": n, "maxCount": n, "defaultCount": n })
        })
        .collect();
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
            "localQueueName": name, "priorityClass": names::priority_class(b.priority) } },
    }});
    Object {
        kind: Kind::HardwareProfile,
        namespace: Some(ns.to_string()),
        name: name.clone(),
        body: manifest(Kind::HardwareProfile, m, spec),
    }
}
