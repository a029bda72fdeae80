//! The render: a pure function of the committed state (the planner) at an instant to the Kubernetes objects
//! that make it real. No IO, no clock; the same state and instant always give the same objects.
//!
//! A booking's objects exist from its window's start until it is released (its end, or when it was
//! cancelled or preempted); then its ClusterQueue is stopped with `HoldAndDrain` (Kueue never evicts when
//! quota shrinks) and everything of the booking is kept for the grace period, after which it is not
//! rendered any more and the reconciler deletes it.

mod dra;
mod kueue;
mod mig;
pub mod names;
mod odh;

use std::collections::BTreeSet;

use model::{Booking, Instant, Project};
use planner::Planner;

use crate::object::{Kind, Object};

/// What the render needs besides the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Seconds a released booking's objects stay (its ClusterQueue stopped) before they are deleted.
    pub grace_s: i64,
    /// The GPU Operator's namespace, where the mig-parted ConfigMap goes.
    pub mig_namespace: String,
    /// Kinds not rendered, such as HardwareProfile on a cluster without OpenShift AI.
    pub skip: BTreeSet<Kind>,
}

impl Default for Options {
    fn default() -> Options {
        Options { grace_s: 600, mig_namespace: "gpu-operator".into(), skip: BTreeSet::new() }
    }
}

/// A booking whose objects exist at the instant rendered.
#[derive(Clone, Copy)]
pub(crate) struct Live<'a> {
    pub(crate) booking: &'a Booking,
    pub(crate) project: &'a Project,
    /// Released, within the grace period: its ClusterQueue is stopped.
    pub(crate) draining: bool,
}

/// Every object gpubook wants at `at`, in apply order (kind, namespace, name).
pub fn render(planner: &Planner, at: Instant, opts: &Options) -> Vec<Object> {
    let live = live(planner, at, opts.grace_s);
    let mut out = Vec::new();
    out.extend(kueue::cohorts(planner));
    out.extend(kueue::flavors(planner));
    out.extend(kueue::priority_classes(planner, &live));
    out.extend(live.iter().map(|l| kueue::booking_queue(l)));
    out.push(kueue::shared_queue(planner, &live, at));
    out.extend(kueue::local_queues(planner, &live));
    out.extend(dra::device_classes(planner));
    out.extend(live.iter().map(|l| dra::claim_template(planner, l)));
    out.extend(live.iter().map(|l| odh::hardware_profile(l)));
    out.extend(mig::mig_parted(planner, at, &opts.mig_namespace));
    out.retain(|o| !opts.skip.contains(&o.kind));
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}

/// Bookings whose objects exist at `at`, with their project.
fn live(planner: &Planner, at: Instant, grace_s: i64) -> Vec<Live<'_>> {
    let projects = &planner.definitions().projects;
    planner
        .bookings()
        .filter_map(|b| {
            let (start, released) = (b.window().start, b.released_at());
            let shown = start < released && start <= at && at < released.plus(grace_s);
            let project = projects.get(&b.request.project)?;
            shown.then_some(Live { booking: b, project, draining: at >= released })
        })
        .collect()
}

impl Live<'_> {
    pub(crate) fn namespace(&self) -> &str {
        &self.project.namespace
    }
}
