//! The render: a pure function of the committed state (the planner) at an instant to the Kubernetes objects
//! that make it real. No IO, no clock; the same state and instant always give the same objects.
//!
//! It runs in two steps. [`Snapshot::take`] copies out of the planner what the render reads — the live
//! bookings, the planned layouts of per-gpu GPUs, the definitions — in one short step, which the server
//! takes inside its single-writer engine between writes; [`Snapshot::render`] then builds the objects from
//! the snapshot alone, anywhere, while the engine goes on writing (figures: BENCHMARKS.md).
//!
//! A booking's objects exist from its window's start until it is released (its end, or when it was
//! cancelled or preempted); then its ClusterQueue is stopped with `HoldAndDrain` (Kueue never evicts when
//! quota shrinks) and everything of the booking is kept for the grace period, after which it is not
//! rendered any more and the reconciler deletes it. From `end_warning_s` before the release until it, a
//! warning Event says so ([`events`]).

mod companion;
mod dra;
pub mod events;
mod kueue;
mod mig;
pub mod names;
mod odh;
mod per_project;

pub use names::QueueMode;

use std::collections::{BTreeMap, BTreeSet};

use model::{Booking, Catalog, Definitions, GpuId, Instant, Layout, Project, Reconfiguration};
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
    /// Seconds before a booking's end (when its ClusterQueue is stopped with `HoldAndDrain`) from which the API
    /// and the console say it is ending soon, and its warning Event is rendered.
    pub end_warning_s: i64,
    /// A queue per booking (the default) or per project and mode.
    pub queues: QueueMode,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            grace_s: 600,
            mig_namespace: "gpu-operator".into(),
            skip: BTreeSet::new(),
            end_warning_s: 900,
            queues: QueueMode::PerBooking,
        }
    }
}

/// Every object gpubook wants at `at`, in apply order (kind, namespace, name).
pub fn render(planner: &Planner, at: Instant, opts: &Options) -> Vec<Object> {
    Snapshot::take(planner, at, opts).render()
}

/// What the render reads of the planner at an instant, owned.
#[derive(Clone, Debug)]
pub struct Snapshot {
    at: Instant,
    opts: Options,
    catalog: Catalog,
    defs: Definitions,
    /// Bookings whose objects exist at `at`, and whether each is draining (released, within the grace).
    live: Vec<(Booking, bool)>,
    /// The layout the plan gives each per-gpu GPU at `at` (`None`: MIG off).
    layouts: BTreeMap<GpuId, Option<Layout>>,
}

impl Snapshot {
    pub fn take(planner: &Planner, at: Instant, opts: &Options) -> Snapshot {
        let defs = planner.definitions();
        let live = planner
            .bookings()
            .filter_map(|b| {
                let (start, released) = (b.window().start, b.released_at());
                let shown = start < released && start <= at && at < released.plus(opts.grace_s);
                shown.then(|| (b.clone(), at >= released))
            })
            .collect();
        let layouts = defs
            .fleet
            .gpus()
            .filter(|g| g.reconfiguration == Reconfiguration::PerGpu)
            .map(|g| (g.id.clone(), planner.planned_layout(&g.id, at)))
            .collect();
        Snapshot { at, opts: opts.clone(), catalog: planner.catalog().clone(), defs: defs.clone(), live, layouts }
    }

    /// Every object, in apply order (kind, namespace, name).
    pub fn render(&self) -> Vec<Object> {
        let live = self.live();
        let on = |k: Kind| !self.opts.skip.contains(&k);
        let mut out = Vec::new();
        if on(Kind::Cohort) {
            out.extend(kueue::cohorts(self));
        }
        if on(Kind::ResourceFlavor) {
            out.extend(kueue::flavors(self));
        }
        if on(Kind::WorkloadPriorityClass) {
            out.extend(kueue::priority_classes(self, &live));
        }
        let per_project = self.opts.queues == QueueMode::PerProject;
        if on(Kind::ClusterQueue) {
            match per_project {
                true => out.extend(per_project::cluster_queues(self, &live)),
                false => out.extend(live.iter().map(|l| kueue::booking_queue(self, l))),
            }
            out.push(kueue::shared_queue(self, &live));
        }
        if on(Kind::LocalQueue) {
            match per_project {
                true => out.extend(per_project::local_queues(self)),
                false => out.extend(kueue::local_queues(self, &live)),
            }
        }
        if on(Kind::DeviceClass) {
            out.extend(dra::device_classes(self));
        }
        if on(Kind::ResourceClaimTemplate) {
            match per_project {
                true => out.extend(per_project::claim_templates(&live)),
                false => out.extend(live.iter().map(dra::claim_template)),
            }
        }
        if on(Kind::HardwareProfile) {
            match per_project {
                true => out.extend(per_project::hardware_profiles(self, &live)),
                false => out.extend(live.iter().map(|l| odh::hardware_profile(self, l))),
            }
        }
        if on(Kind::Event) {
            out.extend(live.iter().filter_map(|l| events::ending(self, l)));
        }
        if on(Kind::ConfigMap) || on(Kind::Node) {
            out.extend(mig::mig_parted(self, &self.opts.mig_namespace));
            out.retain(|o| on(o.kind));
        }
        out.sort_by(|a, b| a.key().cmp(&b.key()));
        out
    }

    /// The instant rendered.
    pub fn at(&self) -> Instant {
        self.at
    }

    pub(crate) fn definitions(&self) -> &Definitions {
        &self.defs
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn planned_layout(&self, gpu: &GpuId) -> Option<Layout> {
        self.layouts.get(gpu).cloned().flatten()
    }

    /// The live bookings with their projects; a booking of a project no longer defined has no objects.
    fn live(&self) -> Vec<Live<'_>> {
        self.live
            .iter()
            .filter_map(|(b, draining)| {
                let project = self.defs.projects.get(&b.request.project)?;
                Some(Live { booking: b, project, draining: *draining })
            })
            .collect()
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

impl Live<'_> {
    pub(crate) fn namespace(&self) -> &str {
        &self.project.namespace
    }
}
