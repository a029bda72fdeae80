//! One GPU over time: which slots are held when, and whether one more reservation keeps every rule of the
//! GPU's reconfiguration mode (PRODUCT.md invariants 1 and 2).

use std::collections::BTreeSet;
use std::sync::Arc;

use model::{BookingId, Gpu, Instant, Layout, MigGeometry, Placement, Reconfiguration, Slot, Window};

use crate::verdict::{Reason, ReasonCode};

/// A device of a booking held on this GPU for a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Res {
    pub(crate) booking: BookingId,
    pub(crate) device: u16,
    pub(crate) window: Window,
    pub(crate) slot: Slot,
    /// Units held (all of them for a whole GPU).
    pub(crate) mask: u32,
}

/// Reservations added and removed on top of the committed calendar while a decision is being made.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tentative<'a> {
    pub(crate) added: Vec<&'a Res>,
    pub(crate) removed: Option<&'a BTreeSet<(BookingId, u16)>>,
}

/// A GPU's calendar.
#[derive(Clone, Debug)]
pub(crate) struct GpuCal {
    pub(crate) gpu: Gpu,
    pub(crate) geometry: Option<Arc<MigGeometry>>,
    /// Sorted by window start.
    res: Vec<Res>,
    /// Longest window held, to bound overlap scans.
    max_len: i64,
    /// (mask, size) of every base-profile placement, for the fragmentation score.
    base: Arc<Vec<(u32, u32)>>,
}

impl GpuCal {
    /// A GPU's empty calendar; `base` is [`base_rooms`] of its model, shared by the model's GPUs.
    pub(crate) fn new(gpu: Gpu, geometry: Option<Arc<MigGeometry>>, base: Arc<Vec<(u32, u32)>>) -> GpuCal {
        GpuCal { gpu, geometry, res: Vec::new(), max_len: 0, base }
    }

    pub(crate) fn full_mask(&self) -> u32 {
        self.geometry.as_ref().map_or(1, |g| g.full_mask())
    }

    pub(crate) fn mask_of(&self, slot: Slot) -> u32 {
        match (slot, &self.geometry) {
            (Slot::Mig { profile, start }, Some(g)) => g.profile(profile).mask_at(start),
            _ => self.full_mask(),
        }
    }

    pub(crate) fn insert(&mut self, r: Res) {
        self.max_len = self.max_len.max(r.window.seconds());
        let at = self.res.partition_point(|x| x.window.start <= r.window.start);
        self.res.insert(at, r);
    }

    pub(crate) fn remove(&mut self, booking: BookingId, device: u16) -> Option<Res> {
        let at = self.res.iter().position(|r| r.booking == booking && r.device == device)?;
        Some(self.res.remove(at))
    }

    pub(crate) fn reservations(&self) -> &[Res] {
        &self.res
    }

    /// Committed reservations overlapping `w`, less the removed ones, plus the added ones.
    fn near<'s>(&'s self, w: Window, t: &Tentative<'s>) -> impl Iterator<Item = &'s Res> {
        let from = self.res.partition_point(|r| r.window.start < w.start.plus(-self.max_len));
        let to = self.res.partition_point(|r| r.window.start < w.end);
        let removed = t.removed;
        self.res[from..to]
            .iter()
            .filter(move |r| r.window.overlaps(&w) && !removed.is_some_and(|s| s.contains(&(r.booking, r.device))))
            .chain(t.added.iter().copied().filter(move |r| r.window.overlaps(&w)))
    }

    /// [`Self::near`], collected.
    pub(crate) fn overlapping<'s>(&'s self, w: Window, t: &Tentative<'s>) -> Vec<&'s Res> {
        self.near(w, t).collect()
    }

    /// Reservations, committed and tentative, within `gap` of the busy epoch around `w`, and that epoch.
    /// Grows from `w` through its neighbours only, never scanning the whole calendar.
    pub(crate) fn epoch_around<'s>(&'s self, w: Window, t: &Tentative<'s>, gap: i64) -> (Window, Vec<&'s Res>) {
        let mut epoch = w;
        loop {
            let reach = Window { start: epoch.start.plus(-gap), end: epoch.end.plus(gap) };
            let near = self.overlapping(reach, t);
            let grown = near
                .iter()
                .filter(|r| r.window.start < epoch.end.plus(gap) && epoch.start < r.window.end.plus(gap))
                .fold(epoch, |e, r| Window { start: e.start.min(r.window.start), end: e.end.max(r.window.end) });
            if grown == epoch {
                let members = near.into_iter().filter(|r| r.window.overlaps(&epoch)).collect();
                return (epoch, members);
            }
            epoch = grown;
        }
    }

    /// The first quantum-aligned instant at or after `w.start`, before `until`, from which `mask` is free on
    /// this GPU for `w`'s duration, looking at units only (mode rules are checked by the caller).
    pub(crate) fn first_opening(&self, mask: u32, w: Window, until: Instant, quantum: i64) -> Option<Instant> {
        let d = w.seconds();
        let mut t = w.start;
        let from = self.res.partition_point(|r| r.window.start < w.start.plus(-self.max_len));
        for r in &self.res[from..] {
            if r.window.start >= t.plus(d) || t > until {
                break;
            }
            if r.mask & mask != 0 && r.window.end > t {
                t = r.window.end.ceil(quantum);
            }
        }
        (t <= until).then_some(t)
    }

    /// Units held at some instant of `w`, without allocating: the quick reject before per-slot checks.
    pub(crate) fn busy_mask(&self, w: Window, t: &Tentative<'_>) -> u32 {
        self.near(w, t).fold(0, |m, r| m | r.mask)
    }

    /// Units held at some instant of `w` and units held at every instant of it, by committed reservations.
    pub(crate) fn held(&self, w: Window) -> (u32, u32) {
        let near = self.overlapping(w, &Tentative::default());
        let some = near.iter().fold(0, |m, r| m | r.mask);
        let mut all = 0;
        for bit in (0..32).map(|b| 1u32 << b).filter(|b| some & b != 0) {
            // `near` is sorted by start: the unit is held throughout while each next holder starts in time.
            let mut covered = w.start;
            for r in near.iter().filter(|r| r.mask & bit != 0) {
                if r.window.start > covered {
                    break;
                }
                covered = covered.max(r.window.end);
            }
            if covered >= w.end {
                all |= bit;
            }
        }
        (some, all)
    }

    /// Whether `cand` can be added on top of `t` at `now`, under this GPU's reconfiguration mode.
    pub(crate) fn check(&self, cand: &Res, t: &Tentative<'_>, now: Instant, gap: i64) -> Result<(), Reason> {
        if let (Slot::Mig { .. }, None) = (cand.slot, &self.geometry) {
            return Err(Reason::new(ReasonCode::NoMig, format!("{} has no MIG", self.gpu.model)));
        }
        if self.gpu.reconfiguration == Reconfiguration::Static {
            self.check_static(cand.slot)?;
        }
        let near = self.overlapping(cand.window, t);
        if let Some(r) = near.iter().find(|r| r.mask & cand.mask != 0) {
            return Err(Reason::new(
                ReasonCode::UnitsBusy,
                format!("GPU {} is held there by booking {} until {}", self.gpu.id, r.booking, r.window.end),
            ));
        }
        self.check_instant_limits(cand, &near)?;
        if self.gpu.reconfiguration == Reconfiguration::PerGpu {
            self.check_epoch(cand, t, now, gap)?;
        }
        Ok(())
    }

    fn check_static(&self, slot: Slot) -> Result<(), Reason> {
        let ok = match (&self.gpu.layout, slot) {
            (None, Slot::Whole) => true,
            (Some(l), Slot::Mig { profile, start }) => l.placements().contains(&Placement { profile, start }),
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(Reason::new(
                ReasonCode::StaticLayout,
                format!("GPU {} has a fixed layout without that slot", self.gpu.id),
            ))
        }
    }

    /// Per-profile maximum counts and the compute budget, at every instant of the candidate's window.
    fn check_instant_limits(&self, cand: &Res, near: &[&Res]) -> Result<(), Reason> {
        let (Slot::Mig { profile, .. }, Some(g)) = (cand.slot, &self.geometry) else { return Ok(()) };
        let p = g.profile(profile);
        let mut points: Vec<Instant> = vec![cand.window.start];
        points.extend(near.iter().map(|r| r.window.start).filter(|s| cand.window.contains(*s)));
        for t in points {
            let (mut compute, mut same) = (p.compute_slices, 1);
            for r in near.iter().filter(|r| r.window.contains(t)) {
                if let Slot::Mig { profile: q, .. } = r.slot {
                    compute += g.profile(q).compute_slices;
                    same += u32::from(q == profile);
                }
            }
            if same > p.max {
                return Err(Reason::new(
                    ReasonCode::InstanceLimit,
                    format!("at most {} × {} on one GPU", p.max, p.name),
                ));
            }
            if compute > g.compute_slices {
                return Err(Reason::new(
                    ReasonCode::ComputeLimit,
                    format!("GPU {} would use {compute} of {} compute slices", self.gpu.id, g.compute_slices),
                ));
            }
        }
        Ok(())
    }

    /// Per-gpu mode: one layout for each busy epoch (reservations closer than `gap` in time). While the GPU
    /// is busy now, its running layout (the committed slots of the running epoch and the declared layout)
    /// cannot change at all.
    fn check_epoch(&self, cand: &Res, t: &Tentative<'_>, now: Instant, gap: i64) -> Result<(), Reason> {
        let (epoch, members) = self.epoch_around(cand.window, t, gap);
        let mut slots: BTreeSet<Slot> = members.iter().map(|r| r.slot).collect();
        slots.insert(cand.slot);
        let locked = |why: &str| {
            Reason::new(
                ReasonCode::LayoutLocked,
                format!(
                    "GPU {} changes its MIG layout only when idle; from {} to {} {why}",
                    self.gpu.id, epoch.start, epoch.end
                ),
            )
        };
        if epoch.contains(now) && members.iter().any(|r| r.window.contains(now)) {
            let running = self.running_layout(now, t, gap);
            if !slots.is_subset(&running) {
                return Err(locked("it runs a layout without that slot"));
            }
        }
        if slots.contains(&Slot::Whole) {
            return if slots.len() == 1 { Ok(()) } else { Err(locked("it runs another layout")) };
        }
        let g = self.geometry.as_ref().expect("MIG slots only on MIG GPUs");
        g.validate(&mig_layout(&slots)).map_err(|_| locked("it runs another layout"))
    }

    /// The slots a per-gpu GPU runs now: its declared layout and those of the epoch under way, on top of `t`
    /// (what the decision under way adds and takes off counts as if committed, so a request's devices see
    /// its earlier ones as they would once booked one by one).
    pub(crate) fn running_layout(&self, now: Instant, t: &Tentative<'_>, gap: i64) -> BTreeSet<Slot> {
        let mut slots: BTreeSet<Slot> = match &self.gpu.layout {
            Some(l) => l.placements().iter().map(|p| Slot::Mig { profile: p.profile, start: p.start }).collect(),
            None => [Slot::Whole].into(),
        };
        let (_, members) = self.epoch_around(Window { start: now, end: now.plus(1) }, t, gap);
        if members.iter().any(|r| r.window.contains(now)) {
            let used: BTreeSet<Slot> = members.iter().map(|x| x.slot).collect();
            if used.contains(&Slot::Whole) {
                return used;
            }
            slots.remove(&Slot::Whole);
            slots.extend(used);
        }
        slots
    }

    /// How much of the GPU's room for other instances during `w` the candidate takes: the summed size of the
    /// base placements that fit before and not after (the fragmentation-gradient idea). Lower is better.
    pub(crate) fn fragmentation_cost(&self, cand: &Res, near: &[&Res]) -> u32 {
        if self.geometry.is_none() {
            return 0;
        }
        let used = near.iter().fold(0, |m, r| m | r.mask);
        let room =
            |used: u32| -> u32 { self.base.iter().filter(|(mask, _)| mask & used == 0).map(|(_, size)| size).sum() };
        room(used) - room(used | cand.mask)
    }

    /// Whether the slot is new to the layout the GPU runs around `w` (a per-gpu layout change).
    pub(crate) fn needs_relayout(&self, cand: &Res, t: &Tentative<'_>, gap: i64) -> bool {
        if self.gpu.reconfiguration != Reconfiguration::PerGpu {
            return false;
        }
        let (_, members) = self.epoch_around(cand.window, t, gap);
        let in_epoch = members.iter().any(|r| r.slot == cand.slot);
        let in_current = match (&self.gpu.layout, cand.slot) {
            (Some(l), Slot::Mig { profile, start }) => l.placements().contains(&Placement { profile, start }),
            (None, Slot::Whole) => true,
            _ => false,
        };
        !in_epoch && !in_current
    }
}

/// (mask, size) of every base-profile placement of a geometry, for the fragmentation score.
pub(crate) fn base_rooms(geometry: Option<&MigGeometry>) -> Vec<(u32, u32)> {
    geometry.map_or_else(Vec::new, |g| {
        g.base_placements().iter().map(|p| (g.profile(p.profile).mask_at(p.start), g.profile(p.profile).size)).collect()
    })
}

/// The MIG placements among `slots`, as a layout.
pub(crate) fn mig_layout(slots: &BTreeSet<Slot>) -> Layout {
    Layout::new(
        slots
            .iter()
            .filter_map(|s| match *s {
                Slot::Mig { profile, start } => Some(Placement { profile, start }),
                Slot::Whole => None,
            })
            .collect(),
    )
}

/// The busy epoch around `w`: `w` grown by every reservation that overlaps it or comes within `gap`.
pub(crate) fn epoch_of(w: Window, all: &[&Res], gap: i64) -> Window {
    let mut epoch = w;
    loop {
        let mut grown = epoch;
        for r in all {
            let near = r.window.start < grown.end.plus(gap) && grown.start < r.window.end.plus(gap);
            if near {
                grown.start = grown.start.min(r.window.start);
                grown.end = grown.end.max(r.window.end);
            }
        }
        if grown == epoch {
            return epoch;
        }
        epoch = grown;
    }
}
