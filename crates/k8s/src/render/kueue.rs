//! Kueue v1beta2 objects: a cohort tree mirroring gpubook's, a ResourceFlavor per GPU model, a
//! ClusterQueue and LocalQueue per booking holding exactly what it booked, a shared ClusterQueue over the
//! capacity no active booking holds, and WorkloadPriorityClasses.
//!
//! A booking's ClusterQueue may not borrow (`borrowingLimit: 0`): it is the booking, no more. It lends what
//! it leaves idle to the shared queue, and takes it back: a reserved booking from any workload there
//! (`reclaimWithinCohort: Any`), an opportunistic one from lower priorities (`LowerPriority`).

use std::collections::{BTreeMap, BTreeSet};

use model::{Allowance, Layout, Reconfiguration, ShapeKey, Slot};
use serde_json::{Value, json};

use super::companion;
use super::names::{self, NS_LABEL, ROOT_COHORT, SHARED_QUEUE, manifest, meta};
use super::{Live, Snapshot};
use crate::object::{Kind, Object};

/// Quota per flavor (GPU model) and resource name.
pub(super) type Quotas = BTreeMap<String, BTreeMap<String, u32>>;

pub(super) fn cohorts(s: &Snapshot) -> Vec<Object> {
    let root = cluster(Kind::Cohort, ROOT_COHORT, meta(ROOT_COHORT, None, None), json!({ "spec": {} }));
    let tree = s.definitions().cohorts.values().map(|c| {
        let name = names::cohort(Some(&c.name));
        let spec = json!({ "spec": { "parentName": names::cohort(c.parent.as_deref()) } });
        cluster(Kind::Cohort, &name, meta(&name, None, None), spec)
    });
    std::iter::once(root).chain(tree).collect()
}

pub(super) fn flavors(s: &Snapshot) -> Vec<Object> {
    let fleet = &s.definitions().fleet;
    let gpus: Vec<Object> = fleet
        .model_counts()
        .into_keys()
        .filter_map(|m| s.catalog().get(m.as_str()))
        .map(|m| {
            let name = names::flavor(&m.key);
            let product = names::product(m);
            let spec = json!({ "spec": { "nodeLabels": { "nvidia.com/gpu.product": product } } });
            cluster(Kind::ResourceFlavor, &name, meta(&name, None, None), spec)
        })
        .collect();
    gpus.into_iter().chain(std::iter::once(companion::flavor())).collect()
}

/// One class per priority in use: every project's, and every live booking's.
pub(super) fn priority_classes(s: &Snapshot, live: &[Live<'_>]) -> Vec<Object> {
    let projects = s.definitions().projects.values().map(|p| p.priority);
    let used: BTreeSet<i32> = projects.chain(live.iter().map(|l| l.booking.priority)).collect();
    used.into_iter()
        .map(|p| {
            let name = names::priority_class(p);
            let rest = json!({ "value": p, "description": format!("gpubook priority {p}") });
            cluster(Kind::WorkloadPriorityClass, &name, meta(&name, None, None), rest)
        })
        .collect()
}

pub(super) fn booking_queue(s: &Snapshot, l: &Live<'_>) -> Object {
    let b = l.booking;
    let name = names::booking(b.id);
    let mut quotas = Quotas::new();
    for d in &b.devices {
        *quotas.entry(names::flavor(&d.shape.model)).or_default().entry(names::resource(&d.shape)).or_default() += 1;
    }
    // Booking queues never borrow, so they are never reclaim victims; what they reclaim from is the shared
    // queue. A reserved booking takes its capacity back from any workload there; an opportunistic one, which
    // gpubook itself may preempt for a lender, only from workloads of lower priority.
    let reclaim = reclaim(b.request.mode);
    let mut m = meta(&name, None, Some(b));
    m["annotations"]["gpubook.io/mode"] = b.request.mode.as_str().into();
    let spec = json!({ "spec": {
        "cohortName": names::cohort(l.project.cohort.as_deref()),
        "namespaceSelector": { "matchLabels": { NS_LABEL: l.namespace() } },
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": with_companions(
            resource_groups(&quotas, &BTreeSet::new(), Some(0)),
            companion::resource_group(companion::of_booking(s, b), false, Some(0)),
        ),
        "preemption": { "reclaimWithinCohort": reclaim, "withinClusterQueue": "LowerPriority" },
        "stopPolicy": if l.draining { "HoldAndDrain" } else { "None" },
    }});
    cluster(Kind::ClusterQueue, &name, m, spec)
}

/// What a queue of bookings of `mode` reclaims from the shared queue: a reserved booking takes its capacity
/// back from any workload there; an opportunistic one, which gpubook itself may preempt for a lender, only
/// from workloads of lower priority.
pub(super) fn reclaim(mode: model::Mode) -> &'static str {
    match mode {
        model::Mode::Reserved => "Any",
        model::Mode::Opportunistic => "LowerPriority",
    }
}

/// The queue every project may use for work outside its bookings: its quota is the instances that exist at
/// the instant rendered and no active booking holds. It also lists, at zero, every flavor and resource the
/// bookings hold, since Kueue lets a queue borrow only what it lists; a booking takes back what it lent.
pub(super) fn shared_queue(s: &Snapshot, live: &[Live<'_>]) -> Object {
    let (mut quotas, free) = free_capacity(s, live);
    let mut booked = BTreeSet::new();
    for d in live.iter().flat_map(|l| &l.booking.devices) {
        booked.insert(names::resource(&d.shape));
        quotas.entry(names::flavor(&d.shape.model)).or_default();
    }
    let ephemeral = live.iter().any(|l| companion::of_booking(s, l.booking).ephemeral_bytes.is_some());
    let namespaces: BTreeSet<&str> = s.definitions().projects.values().map(|p| p.namespace.as_str()).collect();
    let mut spec = json!({
        "cohortName": ROOT_COHORT,
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": with_companions(
            resource_groups(&quotas, &booked, None),
            companion::resource_group(free, ephemeral, None),
        ),
        "preemption": { "reclaimWithinCohort": "Never", "withinClusterQueue": "LowerPriority" },
    });
    if !namespaces.is_empty() {
        spec["namespaceSelector"] =
            json!({ "matchExpressions": [{ "key": NS_LABEL, "operator": "In", "values": namespaces }] });
    }
    cluster(Kind::ClusterQueue, SHARED_QUEUE, meta(SHARED_QUEUE, None, None), json!({ "spec": spec }))
}

/// A LocalQueue per live booking, and the shared one in every project namespace.
pub(super) fn local_queues(s: &Snapshot, live: &[Live<'_>]) -> Vec<Object> {
    let lq = |ns: &str, name: &str, cq: &str, b| Object {
        kind: Kind::LocalQueue,
        namespace: Some(ns.to_string()),
        name: name.to_string(),
        body: manifest(Kind::LocalQueue, meta(name, Some(ns), b), json!({ "spec": { "clusterQueue": cq } })),
    };
    let namespaces: BTreeSet<&str> = s.definitions().projects.values().map(|p| p.namespace.as_str()).collect();
    let shared = namespaces.into_iter().map(|ns| lq(ns, SHARED_QUEUE, SHARED_QUEUE, None));
    let booked = live.iter().map(|l| {
        let name = names::booking(l.booking.id);
        lq(l.namespace(), &name, &name, Some(l.booking))
    });
    shared.chain(booked).collect()
}

/// One resource group covering every resource named, with each flavor listing each of them (Kueue wants
/// the same resources, in the same order, under every flavor of a group).
pub(super) fn resource_groups(quotas: &Quotas, extra: &BTreeSet<String>, borrowing_limit: Option<u32>) -> Value {
    let covered: BTreeSet<&String> = quotas.values().flat_map(|r| r.keys()).chain(extra).collect();
    if covered.is_empty() {
        return json!([]);
    }
    let flavors: Vec<Value> = quotas
        .iter()
        .map(|(flavor, res)| {
            let resources: Vec<Value> = covered
                .iter()
                .map(|r| {
                    let mut q = json!({ "name": r, "nominalQuota": res.get(*r).copied().unwrap_or(0) });
                    if let Some(limit) = borrowing_limit {
                        q["borrowingLimit"] = limit.into();
                    }
                    q
                })
                .collect();
            json!({ "name": flavor, "resources": resources })
        })
        .collect();
    json!([{ "coveredResources": covered, "flavors": flavors }])
}

/// The device resource groups followed by the companion one.
pub(super) fn with_companions(devices: Value, companions: Value) -> Value {
    let mut groups = devices.as_array().cloned().unwrap_or_default();
    groups.push(companions);
    Value::Array(groups)
}

/// Instances that exist at `at` and no active booking holds, per flavor and resource, and the companion
/// resources they bring by default.
fn free_capacity(s: &Snapshot, live: &[Live<'_>]) -> (Quotas, Allowance) {
    let mut held: BTreeMap<&model::GpuId, Vec<Slot>> = BTreeMap::new();
    for l in live.iter().filter(|l| !l.draining) {
        for d in &l.booking.devices {
            held.entry(&d.gpu).or_default().push(d.slot);
        }
    }
    let mut free = Quotas::new();
    let mut companions = Allowance::default();
    for gpu in s.definitions().fleet.gpus() {
        let Some(model) = s.catalog().get(gpu.model.as_str()) else { continue };
        let busy = held.get(&gpu.id).map(Vec::as_slice).unwrap_or(&[]);
        let layout = match gpu.reconfiguration {
            Reconfiguration::PerGpu => s.planned_layout(&gpu.id),
            Reconfiguration::Static => gpu.layout.clone(),
            // Dynamic MIG creates instances as bookings need them: what exists is the declared layout, less
            // what collides with the held instances; a GPU with nothing held or declared is whole.
            Reconfiguration::Dynamic => dynamic_layout(model, gpu.layout.as_ref(), busy),
        };
        let counts = free.entry(names::flavor(&gpu.model)).or_default();
        match (layout, &model.mig) {
            (None, _) if busy.is_empty() => {
                *counts.entry("nvidia.com/gpu".into()).or_default() += 1;
                companions = companions.plus(companion::of_shape(s, &ShapeKey::whole(&gpu.model)));
            }
            (Some(l), Some(g)) => {
                for p in l.placements() {
                    let slot = Slot::Mig { profile: p.profile, start: p.start };
                    if !busy.contains(&slot) {
                        let shape = ShapeKey::mig(&gpu.model, &g.profile(p.profile).name);
                        *counts.entry(names::resource(&shape)).or_default() += 1;
                        companions = companions.plus(companion::of_shape(s, &shape));
                    }
                }
            }
            _ => {}
        }
    }
    free.retain(|_, r| !r.is_empty());
    (free, companions)
}

fn dynamic_layout(model: &model::GpuModel, declared: Option<&Layout>, busy: &[Slot]) -> Option<Layout> {
    let g = model.mig.as_ref()?;
    if busy.contains(&Slot::Whole) || (busy.is_empty() && declared.is_none()) {
        return None;
    }
    let mut layout = Layout::new(
        busy.iter()
            .filter_map(|s| match *s {
                Slot::Mig { profile, start } => Some(model::Placement { profile, start }),
                Slot::Whole => None,
            })
            .collect(),
    );
    for &p in declared.iter().flat_map(|l| l.placements()) {
        if g.can_add(&layout, p) {
            layout = layout.with(p);
        }
    }
    Some(layout)
}

pub(super) fn cluster(kind: Kind, name: &str, metadata: Value, rest: Value) -> Object {
    Object { kind, namespace: None, name: name.to_string(), body: manifest(kind, metadata, rest) }
}
