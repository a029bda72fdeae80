//! The layout plan of per-gpu GPUs: one MIG layout per busy epoch, which the GPU Operator's MIG manager
//! applies while the GPU is idle before the epoch starts (PRODUCT.md invariant 2).

use std::collections::BTreeSet;

use model::{GpuId, Instant, Layout, Reconfiguration, Slot, Window};

use crate::Planner;
use crate::calendar::{GpuCal, Tentative, mig_layout};

/// A busy epoch of a per-gpu GPU (reservations closer than the idle gap) and the layout it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutEpoch {
    pub window: Window,
    /// `None`: MIG off, the GPU used whole.
    pub layout: Option<Layout>,
}

impl Planner {
    /// A per-gpu GPU's busy epochs that end after `from`, in time order, each with its layout: the instances
    /// its reservations hold, plus the declared instances that fit beside them (so a booking that joins the
    /// epoch on a declared instance needs no change). Empty for other modes and unknown GPUs.
    pub fn layout_plan(&self, gpu: &GpuId, from: Instant) -> Vec<LayoutEpoch> {
        let Some(cal) = self.by_id.get(gpu).map(|&g| &self.gpus[g]) else { return Vec::new() };
        if cal.gpu.reconfiguration != Reconfiguration::PerGpu {
            return Vec::new();
        }
        let gap = self.config().per_gpu_idle_gap_s;
        // Start at the epoch around `from` (grown through its neighbours only): earlier epochs ended before.
        let around = Window { start: from, end: from.plus(1) };
        let (epoch, members) = cal.epoch_around(around, &Tentative::default(), gap);
        let start = if members.is_empty() { from } else { epoch.start };
        let first = cal.reservations().partition_point(|r| r.window.start < start);
        let mut epochs: Vec<(Window, BTreeSet<Slot>)> = Vec::new();
        for r in &cal.reservations()[first..] {
            match epochs.last_mut() {
                Some((w, slots)) if r.window.start < w.end.plus(gap) => {
                    w.end = w.end.max(r.window.end);
                    slots.insert(r.slot);
                }
                _ => epochs.push((r.window, [r.slot].into())),
            }
        }
        epochs
            .into_iter()
            .filter(|(w, _)| w.end > from)
            .map(|(window, slots)| LayoutEpoch { window, layout: padded(cal, &slots) })
            .collect()
    }

    /// The layout the plan gives a per-gpu GPU at `at`: its epoch's while one is under way, else the next
    /// epoch's (applied ahead, while the GPU is idle), else the declared layout. `None` when MIG is off, and
    /// for GPUs that are not per-gpu or unknown.
    pub fn planned_layout(&self, gpu: &GpuId, at: Instant) -> Option<Layout> {
        match self.layout_plan(gpu, at).into_iter().next() {
            Some(epoch) => epoch.layout,
            None => self.definitions().fleet.gpu(gpu).and_then(|g| g.layout.clone()),
        }
    }
}

fn padded(cal: &GpuCal, slots: &BTreeSet<Slot>) -> Option<Layout> {
    if slots.contains(&Slot::Whole) {
        return None;
    }
    let geometry = cal.geometry.as_ref()?;
    let mut layout = mig_layout(slots);
    for &p in cal.gpu.layout.iter().flat_map(|l| l.placements()) {
        if !layout.placements().contains(&p) && geometry.can_add(&layout, p) {
            layout = layout.with(p);
        }
    }
    Some(layout)
}
