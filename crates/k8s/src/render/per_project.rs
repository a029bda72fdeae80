//! `--k8s-queues per-project`: a ClusterQueue and LocalQueue per project and booking mode instead of per
//! booking, so the queue objects grow with projects, not bookings. A queue's quota is the sum of what the
//! project's active bookings of that mode hold at the instant rendered, so it changes at window boundaries.
//!
//! The claim templates and HardwareProfiles are per project too, so no object grows with bookings (but a
//! booking's end-of-window Event): a ResourceClaimTemplate per project and shape asking for one device
//! (`gpubook-<project>-<shape>`), and a HardwareProfile per project, mode and shape on the project's queue
//! of that mode (`gpubook-<project>-<mode>-<shape>`), each while the project has a live booking of it.
//!
//! The trade-off: one project's bookings of a mode share a queue, so a workload may run on another of the
//! project's bookings, and a released booking's quota leaves the queue without `HoldAndDrain` (Kueue never
//! evicts when quota shrinks; what runs over the quota is borrowing, and reclaimed as soon as another queue
//! of the cohort needs the capacity). A claim template serves all of a project's bookings of its shape, so
//! it names no booking and pins nothing but the shape's quota-resource class.

use std::collections::{BTreeMap, BTreeSet};

use model::{Allowance, Mode, Project, ShapeKey};
use serde_json::json;

use super::kueue::{Quotas, cluster, reclaim, resource_groups, with_companions};
use super::names::{self, MANAGED_BY, NS_LABEL, PROJECT_LABEL, SHARED_QUEUE, manifest};
use super::{Live, Snapshot};
use super::{companion, dra, odh};
use crate::object::{Kind, Object};

const MODES: [Mode; 2] = [Mode::Reserved, Mode::Opportunistic];

/// A ClusterQueue per project and mode, its nominal quota what the project's active bookings of the mode
/// hold (none: an empty queue, so the object stays and only its quota moves).
pub(super) fn cluster_queues(s: &Snapshot, live: &[Live<'_>]) -> Vec<Object> {
    let mut out = Vec::new();
    for project in s.definitions().projects.values() {
        for mode in MODES {
            let active: Vec<&Live<'_>> = live
                .iter()
                .filter(|l| !l.draining && l.booking.request.project == project.name && l.booking.request.mode == mode)
                .collect();
            let mut quotas = Quotas::new();
            let mut allowance = Allowance::default();
            for l in &active {
                for d in &l.booking.devices {
                    let flavor = quotas.entry(names::flavor(&d.shape.model)).or_default();
                    *flavor.entry(names::resource(&d.shape)).or_default() += 1;
                }
                allowance = allowance.plus(companion::of_booking(s, l.booking));
            }
            let name = names::project_queue(&project.name, mode);
            let bookings: Vec<String> = active.iter().map(|l| l.booking.id.to_string()).collect();
            let mut m = meta(&name, None, &project.name);
            m["annotations"] =
                json!({ "gpubook.io/bookings": names::booking_list(&bookings), "gpubook.io/mode": mode.as_str() });
            let spec = json!({ "spec": {
                "cohortName": names::cohort(project.cohort.as_deref()),
                "namespaceSelector": { "matchLabels": { NS_LABEL: project.namespace } },
                "queueingStrategy": "BestEffortFIFO",
                "resourceGroups": with_companions(
                    resource_groups(&quotas, &BTreeSet::new(), Some(0)),
                    companion::resource_group(allowance, false, Some(0)),
                ),
                "preemption": { "reclaimWithinCohort": reclaim(mode), "withinClusterQueue": "LowerPriority" },
                "stopPolicy": "None",
            }});
            out.push(cluster(Kind::ClusterQueue, &name, m, spec));
        }
    }
    out
}

/// The shared LocalQueue and one per mode in every project's namespace.
pub(super) fn local_queues(s: &Snapshot) -> Vec<Object> {
    let mut out = Vec::new();
    let mut shared_done = BTreeSet::new();
    for project in s.definitions().projects.values() {
        let ns = project.namespace.as_str();
        let mut lq = |name: &str, cq: &str, project: Option<&str>| {
            let mut m = json!({ "name": name, "namespace": ns, "labels": { MANAGED_BY.0: MANAGED_BY.1 } });
            if let Some(p) = project {
                m["labels"][PROJECT_LABEL] = names::dns_label(p).into();
            }
            let body = manifest(Kind::LocalQueue, m, json!({ "spec": { "clusterQueue": cq } }));
            out.push(Object { kind: Kind::LocalQueue, namespace: Some(ns.to_string()), name: name.to_string(), body });
        };
        if shared_done.insert(ns.to_string()) {
            lq(SHARED_QUEUE, SHARED_QUEUE, None);
        }
        for mode in MODES {
            let name = names::project_queue(&project.name, mode);
            lq(&name, &name, Some(&project.name));
        }
    }
    out
}

/// A ResourceClaimTemplate per project (in its namespace) and shape of its live bookings.
pub(super) fn claim_templates(live: &[Live<'_>]) -> Vec<Object> {
    let mut groups: BTreeMap<(&str, &ShapeKey), (&Project, Vec<String>)> = BTreeMap::new();
    for l in live {
        for shape in shapes(l) {
            let g = groups.entry((l.project.name.as_str(), shape)).or_insert((l.project, Vec::new()));
            g.1.push(l.booking.id.to_string());
        }
    }
    groups
        .into_iter()
        .map(|((_, shape), (project, bookings))| {
            let name = names::project_claim_template(&project.name, shape);
            let mut m = meta(&name, Some(&project.namespace), &project.name);
            m["annotations"] =
                json!({ "gpubook.io/shape": shape.to_string(), "gpubook.io/bookings": names::booking_list(&bookings) });
            dra::project_claim_template(&project.namespace, &name, m, shape)
        })
        .collect()
}

/// A HardwareProfile per project, mode and shape of its live bookings, on the project's queue of the mode:
/// at most what the active ones hold (disabled when all of them are draining), one device and the smallest
/// per-device allowance by default.
pub(super) fn hardware_profiles(s: &Snapshot, live: &[Live<'_>]) -> Vec<Object> {
    type Key<'k> = (&'k str, Mode, &'k ShapeKey);
    let mut groups: BTreeMap<Key<'_>, (&Project, Vec<&Live<'_>>)> = BTreeMap::new();
    for l in live {
        for shape in shapes(l) {
            let key = (l.project.name.as_str(), l.booking.request.mode, shape);
            groups.entry(key).or_insert((l.project, Vec::new())).1.push(l);
        }
    }
    groups
        .into_iter()
        .map(|((_, mode, shape), (project, members))| {
            let active: Vec<&Live<'_>> = members.iter().copied().filter(|l| !l.draining).collect();
            let counted = if active.is_empty() { &members } else { &active };
            let (mut devices, mut total, mut per_device) = (0, Allowance::default(), None::<Allowance>);
            for l in counted {
                let n = l.booking.devices.iter().filter(|d| &d.shape == shape).count() as u32;
                let each = s.definitions().device_allowance(s.catalog(), &l.booking.request.want, shape);
                devices += n;
                total = total.plus(each.times(u64::from(n)));
                per_device = Some(per_device.map_or(each, |p| smaller(p, each)));
            }
            let name = names::project_hardware_profile(&project.name, mode, shape);
            let queue = names::project_queue(&project.name, mode);
            let bookings: Vec<String> = counted.iter().map(|l| l.booking.id.to_string()).collect();
            let mut m = meta(&name, Some(&project.namespace), &project.name);
            m["annotations"] = json!({
                "gpubook.io/shape": shape.to_string(),
                "gpubook.io/bookings": names::booking_list(&bookings),
                "opendatahub.io/display-name": format!("gpubook {} {}: {shape}", project.name, mode.as_str()),
                "opendatahub.io/description": format!(
                    "{}'s {} bookings of {shape}, on queue {queue}", project.name, mode.as_str()),
                "opendatahub.io/disabled": active.is_empty().to_string(),
            });
            odh::project_profile(odh::Group {
                name,
                namespace: project.namespace.clone(),
                metadata: m,
                resource: names::resource(shape),
                devices,
                per_device: per_device.unwrap_or_default(),
                total,
                local_queue: queue,
                priority: project.priority,
            })
        })
        .collect()
}

/// The shapes a booking holds, each once.
fn shapes<'a>(l: &Live<'a>) -> BTreeSet<&'a ShapeKey> {
    l.booking.devices.iter().map(|d| &d.shape).collect()
}

/// Each quantity the smaller of the two (ephemeral storage: unset when either leaves it unset).
fn smaller(a: Allowance, b: Allowance) -> Allowance {
    let ephemeral_bytes = match (a.ephemeral_bytes, b.ephemeral_bytes) {
        (Some(x), Some(y)) => Some(x.min(y)),
        _ => None,
    };
    Allowance {
        cpu_milli: a.cpu_milli.min(b.cpu_milli),
        memory_bytes: a.memory_bytes.min(b.memory_bytes),
        ephemeral_bytes,
    }
}

/// `metadata` of a project's object: owned, labelled with the project.
fn meta(name: &str, namespace: Option<&str>, project: &str) -> serde_json::Value {
    let mut m = names::meta(name, namespace, None);
    m["labels"][PROJECT_LABEL] = names::dns_label(project).into();
    m
}
