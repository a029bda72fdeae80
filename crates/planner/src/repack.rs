//! Late binding: bookings that have not started are not tied to their slot, so a device that finds no free
//! slot may take one held by such bookings if they can all be placed again elsewhere.

use model::{BookingId, Instant, Shape, Window};

use crate::admit::{Ctx, Found, NEW, Work};
use crate::calendar::Res;
use crate::quota::Change;
use crate::state::Planner;

/// Most bookings moved to make room for one device.
const MAX_MOVED: usize = 3;
/// Most slots tried by freeing them. Small fleets have fewer slots than this, so there every slot is tried
/// (the brute-force oracle test relies on it).
const MAX_TRIES: usize = 48;
/// On fleets with more GPUs of the model than this, each try costs fleet scans, so only a few are made.
const LARGE_FLEET: usize = 64;
const MAX_TRIES_LARGE: usize = 4;
/// ... and only this many of their GPUs are looked at, so a refusal does not scan the fleet: late binding
/// on large fleets is a bounded heuristic, exhaustive only on small ones.
const LOOKED_AT_LARGE: usize = 256;
/// The exact re-arrangement runs when the model has at most this many GPUs ...
const EXACT_GPUS: usize = 4;
/// ... and at most this many movable devices ...
const EXACT_DEVICES: usize = 8;
/// ... and gives up after this many slot checks.
const EXACT_CHECKS: usize = 20_000;

/// A device to place in the exact re-arrangement: its booking and index, window and shape.
struct ToPlace<'a> {
    booking: BookingId,
    device: u16,
    window: Window,
    shape: &'a Shape,
}

impl Planner {
    /// Whether a reservation may be re-placed at `now`: it has not started, and its booking holds. That
    /// includes the request's own devices placed so far and devices this decision moved already: once
    /// booked one by one, they would be movable bookings too (invariant 4).
    fn movable(&self, r: &Res, now: Instant) -> bool {
        if r.booking == NEW {
            return r.window.start > now;
        }
        self.bookings.get(&r.booking).is_some_and(|b| b.holds() && !b.started(now))
    }

    /// Tries every slot of `shape` that only movable reservations block: frees it, takes it, and places the
    /// displaced devices again. The first success wins.
    pub(crate) fn repack(
        &self,
        shape: &Shape,
        ctx: &Ctx,
        work: &Work,
        change: Change,
        borrowing: bool,
        now: Instant,
    ) -> Option<Work> {
        let gap = self.config.per_gpu_idle_gap_s;
        let mut tries = 0;
        let gpus = self.by_model.get(&shape.key.model)?;
        let large = gpus.len() > LARGE_FLEET;
        let max_tries = if large { MAX_TRIES_LARGE } else { MAX_TRIES };
        let looked_at = if large { LOOKED_AT_LARGE } else { gpus.len() };
        for &g in gpus.iter().take(looked_at) {
            let cal = &self.gpus[g];
            let slots = Self::slots_of(shape, cal);
            let t = self.tentative(g, work);
            let near = cal.overlapping(ctx.window, &t);
            for slot in slots {
                let mask = cal.mask_of(slot);
                let per_gpu = cal.gpu.reconfiguration == model::Reconfiguration::PerGpu;
                let conflicting: Vec<&&Res> = near.iter().filter(|r| r.mask & mask != 0 || per_gpu).collect();
                // Counting comes first: looking up whether bookings may move is the expensive part.
                if conflicting.is_empty()
                    || conflicting.len() > MAX_MOVED
                    || !conflicting.iter().all(|r| self.movable(r, now))
                {
                    continue;
                }
                // In booking order, whether committed or on the overlay, so that a decision places them as it
                // would once the request's earlier devices were booked (invariant 4).
                let mut blocking: Vec<&Res> = conflicting.into_iter().copied().collect();
                blocking.sort_by_key(|r| (r.booking, r.device));
                tries += 1;
                if tries > max_tries {
                    return None;
                }
                let mut trial = work.clone();
                let displaced: Vec<(usize, Res)> = blocking.into_iter().map(|r| trial.lift(g, r)).collect();
                let res = Res { booking: NEW, device: trial.devices.len() as u16, window: ctx.window, slot, mask };
                if cal.check(&res, &self.tentative(g, &trial), now, gap).is_err() {
                    continue;
                }
                let relayout = cal.needs_relayout(&res, &self.tentative(g, &trial), gap);
                self.take(&mut trial, Found { gpu: g, res, relayout }, change.clone(), borrowing);
                if self.replace_all(&displaced, &mut trial, now) {
                    return Some(trial);
                }
            }
        }
        None
    }

    /// Small fleets: re-arranges every movable device of the model together with the new one by exhaustive
    /// search, so chains of moves (b must move, and then c to make room for b) are found too. Devices that
    /// end up where they were are not moves.
    pub(crate) fn repack_exactly(
        &self,
        shape: &Shape,
        ctx: &Ctx,
        work: &Work,
        change: Change,
        borrowing: bool,
        now: Instant,
    ) -> Option<Work> {
        let gpus = self.by_model.get(&shape.key.model)?;
        if gpus.len() > EXACT_GPUS {
            return None;
        }
        let mut movable: Vec<(usize, &Res)> = Vec::new();
        for &g in gpus {
            let t = self.tentative(g, work);
            let removed = |r: &Res| work.removed.contains(&(r.booking, r.device));
            for r in self.gpus[g].reservations().iter().filter(|r| !removed(r)).chain(t.added.iter().copied()) {
                if self.movable(r, now) {
                    movable.push((g, r));
                }
            }
        }
        if movable.is_empty() || movable.len() > EXACT_DEVICES {
            return None;
        }
        // In booking order, whether committed or on the overlay (invariant 4, as in `repack`).
        movable.sort_by_key(|(_, r)| (r.booking, r.device));
        let mut trial = work.clone();
        let mut todo = vec![ToPlace { booking: NEW, device: trial.devices.len() as u16, window: ctx.window, shape }];
        for &(g, r) in &movable {
            let shape = work.shape_of(self, r.booking, r.device)?;
            trial.lift(g, r);
            todo.push(ToPlace { booking: r.booking, device: r.device, window: r.window, shape });
        }
        // The new device first, then the longest windows: the most constrained go first.
        todo[1..].sort_by_key(|x| std::cmp::Reverse(x.window.seconds()));
        let mut placed: Vec<(usize, Res)> = Vec::new();
        let mut checks = 0;
        if !self.arrange(&todo, &mut trial, &mut placed, &mut checks, now) {
            return None;
        }
        let gap = self.config.per_gpu_idle_gap_s;
        let mut placed = placed.into_iter();
        let (g, res) = placed.next()?;
        // The others go back first, so that the new device's layout change is judged among them.
        let others: Vec<(usize, Res)> = placed.collect();
        for (g, res) in others {
            trial.put(self, g, res);
        }
        let relayout = self.gpus[g].needs_relayout(&res, &self.tentative(g, &trial), gap);
        self.take(&mut trial, Found { gpu: g, res, relayout }, change, borrowing);
        Some(trial)
    }

    /// Depth-first placement of `todo` on top of `trial`; on success `placed` holds one slot per device.
    fn arrange(
        &self,
        todo: &[ToPlace<'_>],
        trial: &mut Work,
        placed: &mut Vec<(usize, Res)>,
        checks: &mut usize,
        now: Instant,
    ) -> bool {
        let Some(&ToPlace { booking, device, window, shape, .. }) = todo.get(placed.len()) else { return true };
        let gap = self.config.per_gpu_idle_gap_s;
        for &g in &self.by_model[&shape.key.model] {
            let cal = &self.gpus[g];
            for slot in Self::slots_of(shape, cal) {
                *checks += 1;
                if *checks > EXACT_CHECKS {
                    return false;
                }
                let res = Res { booking, device, window, slot, mask: cal.mask_of(slot) };
                if cal.check(&res, &self.tentative(g, trial), now, gap).is_err() {
                    continue;
                }
                trial.added.push((g, res.clone()));
                placed.push((g, res));
                if self.arrange(todo, trial, placed, checks, now) {
                    trial.added.pop();
                    return true;
                }
                trial.added.pop();
                placed.pop();
            }
        }
        false
    }

    /// Places the displaced devices again, each in the best slot of its own shape, in order; false if one
    /// finds none.
    fn replace_all(&self, displaced: &[(usize, Res)], trial: &mut Work, now: Instant) -> bool {
        for (_, r) in displaced {
            let Some(shape) = trial.shape_of(self, r.booking, r.device) else { return false };
            let Some(found) = self.find_slot(shape, r.window, r.booking, r.device, trial, now) else { return false };
            trial.layout_changes += u32::from(found.relayout);
            trial.put(self, found.gpu, found.res);
        }
        true
    }
}
