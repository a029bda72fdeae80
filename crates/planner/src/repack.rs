//! Late binding: bookings that have not started are not tied to their slot, so a device that finds no free
//! slot may take one held by such bookings if they can all be placed again elsewhere.

use model::{BookingId, Instant, Shape, Slot, Window};

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

/// A device to place in the exact re-arrangement: its booking and index, window, shape, and where it was
/// (`None` for the new device).
struct ToPlace<'a> {
    booking: BookingId,
    device: u16,
    window: Window,
    shape: &'a Shape,
    was: Option<(usize, Slot)>,
}

impl Planner {
    /// Whether a reservation may be re-placed at `now`: its booking holds, has not started, and is not the
    /// request being decided.
    fn movable(&self, r: &Res, work: &Work, now: Instant) -> bool {
        r.booking != NEW
            && !work.moves.iter().any(|m| m.booking == r.booking && m.device == r.device)
            && self.bookings.get(&r.booking).is_some_and(|b| b.holds() && !b.started(now))
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
                    || !conflicting.iter().all(|r| self.movable(r, work, now))
                {
                    continue;
                }
                let blocking: Vec<(BookingId, u16)> = conflicting.iter().map(|r| (r.booking, r.device)).collect();
                tries += 1;
                if tries > max_tries {
                    return None;
                }
                let mut trial = work.clone();
                trial.removed.extend(blocking.iter().copied());
                let res = Res { booking: NEW, device: trial.devices.len() as u16, window: ctx.window, slot, mask };
                if cal.check(&res, &self.tentative(g, &trial), now, gap).is_err() {
                    continue;
                }
                let relayout = cal.needs_relayout(&res, &self.tentative(g, &trial), gap);
                self.take(&mut trial, Found { gpu: g, res, relayout }, change.clone(), borrowing);
                if self.replace_all(&blocking, &mut trial, now) {
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
        let mut movable: Vec<(BookingId, u16, Window, Slot, usize)> = Vec::new();
        for &g in gpus {
            let t = self.tentative(g, work);
            for r in self.gpus[g].reservations().iter().chain(t.added.iter().copied()) {
                let removed = work.removed.contains(&(r.booking, r.device));
                if !removed && self.movable(r, work, now) {
                    movable.push((r.booking, r.device, r.window, r.slot, g));
                }
            }
        }
        if movable.is_empty() || movable.len() > EXACT_DEVICES {
            return None;
        }
        let mut trial = work.clone();
        trial.removed.extend(movable.iter().map(|m| (m.0, m.1)));
        // The new device first, then the longest windows: the most constrained go first.
        let mut todo = vec![ToPlace { booking: NEW, device: 0, window: ctx.window, shape, was: None }];
        for &(b, d, w, slot, g) in &movable {
            let key = &self.bookings[&b].devices[usize::from(d)].shape;
            todo.push(ToPlace { booking: b, device: d, window: w, shape: self.shapes.get(key)?, was: Some((g, slot)) });
        }
        todo[1..].sort_by_key(|x| std::cmp::Reverse(x.window.seconds()));
        let mut placed: Vec<(usize, Res)> = Vec::new();
        let mut checks = 0;
        if !self.arrange(&todo, &mut trial, &mut placed, &mut checks, now) {
            return None;
        }
        let gap = self.config.per_gpu_idle_gap_s;
        for (x, (g, res)) in todo.iter().zip(placed) {
            let (b, d, was) = (&x.booking, &x.device, &x.was);
            if *b == NEW {
                let relayout = self.gpus[g].needs_relayout(&res, &self.tentative(g, &trial), gap);
                self.take(&mut trial, Found { gpu: g, res, relayout }, change.clone(), borrowing);
            } else if *was != Some((g, res.slot)) {
                let to = model::Device {
                    gpu: self.gpus[g].gpu.id.clone(),
                    shape: self.slot_shape(g, res.slot),
                    slot: res.slot,
                };
                trial.added.push((g, res));
                trial.moves.push(crate::verdict::Move { booking: *b, device: *d, to });
            } else {
                // Back where it was: undo its removal instead of recording a move.
                trial.removed.remove(&(*b, *d));
            }
        }
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

    /// Places the displaced devices again, each in the best slot of its own shape; false if one finds none.
    fn replace_all(&self, displaced: &[(BookingId, u16)], trial: &mut Work, now: Instant) -> bool {
        for &(id, device) in displaced {
            let b = &self.bookings[&id];
            let Some(shape) = self.shapes.get(&b.devices[usize::from(device)].shape) else { return false };
            let Some(found) = self.find_slot(shape, b.window(), id, device, trial, now) else { return false };
            let to = model::Device {
                gpu: self.gpus[found.gpu].gpu.id.clone(),
                shape: shape.key.clone(),
                slot: found.res.slot,
            };
            trial.layout_changes += u32::from(found.relayout);
            trial.added.push((found.gpu, found.res));
            trial.moves.push(crate::verdict::Move { booking: id, device, to });
        }
        true
    }
}
