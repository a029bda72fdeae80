//! `--k8s-queues per-project`: a ClusterQueue and LocalQueue per project and booking mode instead of per
//! booking, so the queue objects grow with projects, not bookings. A queue's quota is the sum of what the
//! project's active bookings of that mode hold at the instant rendered, so it changes at window boundaries.
//!
//! The trade-off: one project's bookings of a mode share a queue, so a workload may run on another of the
//! project's bookings, and a released booking's quota leaves the queue without `HoldAndDrain` (Kueue never
//! evicts when quota shrinks; what runs over the quota is borrowing, and reclaimed as soon as another queue
//! of the cohort needs the capacity). The per-booking objects (claim templates, HardwareProfiles) stay.

use std::collections::BTreeSet;

use model::{Allowance, Mode};
use serde_json::json;

use super::companion;
use super::kueue::{Quotas, cluster, reclaim, resource_groups, with_companions};
use super::names::{self, MANAGED_BY, NS_LABEL, PROJECT_LABEL, SHARED_QUEUE, manifest};
use super::{Live, Snapshot};
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
            m["annotations"] = json!({ "gpubook.io/bookings": bookings.join(","), "gpubook.io/mode": mode.as_str() });
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

/// `metadata` of a project's cluster-scoped queue: owned, labelled with the project.
fn meta(name: &str, namespace: Option<&str>, project: &str) -> serde_json::Value {
    let mut m = names::meta(name, namespace, None);
    m["labels"][PROJECT_LABEL] = names::dns_label(project).into();
    m
}
