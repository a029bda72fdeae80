//! Admission: a request in, a decision out. Devices are placed one at a time on a tentative overlay, so
//! booking k devices succeeds exactly when the first k single-device steps do; availability counts the same
//! steps (invariant 4 by construction). Each step treats the overlay as committed (the request's earlier
//! devices and moved devices may move again, reclaim counts the decision's own quota changes), so booking
//! the devices one by one gets the same answers.

use std::collections::{BTreeMap, BTreeSet};

use model::{Booking, BookingId, Device, Instant, Mode, Request, Shape, Slot, Status, Want, Window};

use crate::calendar::{Res, Tentative};
use crate::index::ROW_S;
use crate::quota::Change;
use crate::state::Planner;
use crate::verdict::{Decision, Move, Reason, ReasonCode, Verdict};

/// GPUs that could host a device examined after the first one, before the best of them is taken.
const SEARCH_AFTER_FIRST: usize = 16;

/// Unit openings verified before falling back to booking ends.
const OPENINGS_TRIED: usize = 32;
/// Fleets with at most this many GPUs of the request's models get an exhaustive "not before" search.
const SMALL_FLEET: usize = 64;
/// GPUs whose openings are read in each hour the index proposes, on large fleets.
const OPENING_GPUS: usize = 64;
/// Hours proposed by the index before the search gives up on it, on large fleets.
const INDEX_ROUNDS: usize = 16;
/// Instants where the project's quota usage changes, tried on large fleets once room alone found nothing.
const QUOTA_CHANGES_TRIED: usize = 8;

/// The booking being decided, before it has an id.
pub(crate) const NEW: BookingId = BookingId(u64::MAX);

/// A request checked against the project's rules, with the shapes it may take, cheapest first.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub(crate) project: String,
    pub(crate) mode: Mode,
    pub(crate) priority: i32,
    pub(crate) window: Window,
    pub(crate) shapes: Vec<Shape>,
}

/// What a decision would change, on top of the committed state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Work {
    pub(crate) added: Vec<(usize, Res)>,
    pub(crate) removed: BTreeSet<(BookingId, u16)>,
    pub(crate) changes: Vec<Change>,
    pub(crate) victims: Vec<BookingId>,
    pub(crate) moves: Vec<Move>,
    pub(crate) devices: Vec<Device>,
    pub(crate) borrowing: bool,
    pub(crate) layout_changes: u32,
}

impl Work {
    /// Takes a device the overlay shows on GPU `g` off it, so it can be placed again, and returns it: one
    /// this decision added (a device of the request, or one it moved already) leaves `added`; a committed one
    /// joins `removed`.
    pub(crate) fn lift(&mut self, g: usize, r: &Res) -> (usize, Res) {
        let key = (r.booking, r.device);
        // A device the overlay shows whose committed place is taken off is the copy the decision moved.
        if r.booking == NEW || self.removed.contains(&key) {
            self.added.retain(|(_, a)| (a.booking, a.device) != key);
        } else {
            self.removed.insert(key);
        }
        (g, r.clone())
    }

    /// Places a lifted device at `res` on GPU `g`: a device of the request changes where it goes; a committed
    /// one is moved (one move per device, however often it moves), or, back where it is committed, not moved.
    pub(crate) fn put(&mut self, planner: &Planner, g: usize, res: Res) {
        let to = Device { gpu: planner.gpus[g].gpu.id.clone(), shape: planner.slot_shape(g, res.slot), slot: res.slot };
        let (booking, device) = (res.booking, res.device);
        if booking == NEW {
            self.devices[usize::from(device)] = to;
            self.added.push((g, res));
            return;
        }
        self.moves.retain(|m| (m.booking, m.device) != (booking, device));
        let committed = &planner.bookings[&booking].devices[usize::from(device)];
        if committed.gpu == to.gpu && committed.slot == to.slot {
            self.removed.remove(&(booking, device));
        } else {
            self.added.push((g, res));
            self.moves.push(Move { booking, device, to });
        }
    }

    /// The shape of a device in the overlay: the request's own, or a committed booking's.
    pub(crate) fn shape_of<'p>(&self, planner: &'p Planner, booking: BookingId, device: u16) -> Option<&'p Shape> {
        let key = if booking == NEW {
            &self.devices.get(usize::from(device))?.shape
        } else {
            &planner.bookings.get(&booking)?.devices.get(usize::from(device))?.shape
        };
        planner.shapes.get(key)
    }
}

/// The best slot found for a device: GPU index, reservation, and whether it changes a per-gpu layout.
pub(crate) struct Found {
    pub(crate) gpu: usize,
    pub(crate) res: Res,
    pub(crate) relayout: bool,
}

impl Planner {
    /// A tentative view of GPU `g` for checks: the committed calendar with the overlay's changes.
    pub(crate) fn tentative<'a>(&self, g: usize, work: &'a Work) -> Tentative<'a> {
        Tentative {
            added: work.added.iter().filter(|(gi, _)| *gi == g).map(|(_, r)| r).collect(),
            removed: Some(&work.removed),
        }
    }

    /// Checks a request against the project's rules and finds the shapes it may take.
    pub(crate) fn context(&self, req: &Request, now: Instant) -> Result<Ctx, Vec<Reason>> {
        let never = |code, msg: String| Err(vec![Reason::new(code, msg)]);
        let Some(project) = self.defs.projects.get(&req.project) else {
            return never(ReasonCode::UnknownProject, format!("no project {:?}", req.project));
        };
        let q = self.config.quantum_s;
        let w = req.window;
        if w.start.0 % q != 0 || w.end.0 % q != 0 {
            return never(
                ReasonCode::MisalignedWindow,
                format!("windows start and end on multiples of {} minutes", q / 60),
            );
        }
        if w.start < now.floor(q) {
            return never(ReasonCode::InThePast, "the window starts before now".into());
        }
        if req.count == 0 {
            return never(ReasonCode::BadCount, "count must be at least 1".into());
        }
        if w.seconds() > self.config.max_window_s {
            let days = self.config.max_window_s as f64 / 86_400.0;
            return never(ReasonCode::TooLong, format!("a window is at most {days} days long on this server"));
        }
        if w.start.0 - now.0 > self.config.max_ahead_s {
            let days = self.config.max_ahead_s as f64 / 86_400.0;
            return never(ReasonCode::TooFarAhead, format!("a window starts at most {days} days ahead on this server"));
        }
        let limits = &project.limits;
        if let Some(max) = limits.max_devices.filter(|m| req.count > *m) {
            return never(
                ReasonCode::TooManyDevices,
                format!("project {} books at most {max} devices at once", project.name),
            );
        }
        if let Some(max) = limits.max_duration_s.filter(|m| w.seconds() > *m) {
            return never(
                ReasonCode::TooLong,
                format!("project {} books at most {} hours at once", project.name, max as f64 / 3600.0),
            );
        }
        if let Some(max) = limits.max_lead_s.filter(|m| w.start.0 - now.0 > *m) {
            return never(
                ReasonCode::TooFarAhead,
                format!("project {} books at most {} days ahead", project.name, max as f64 / 86_400.0),
            );
        }
        let allowed = |size: &str| project.sizes.as_ref().is_none_or(|s| s.contains(size));
        let mut shapes: Vec<Shape> = match &req.want {
            Want::Size(name) => {
                let Some(size) = self.defs.sizes.get(name) else {
                    return never(ReasonCode::UnknownSize, format!("no size {name:?}"));
                };
                if !allowed(name) {
                    return never(ReasonCode::SizeNotAllowed, format!("project {} may not book {name}", project.name));
                }
                size.shapes.iter().filter_map(|k| self.shapes.get(k).cloned()).collect()
            }
            Want::Shape(key) => {
                if let Err(e) = self.catalog.shape(key) {
                    return never(ReasonCode::UnknownShape, e);
                }
                let by_allowed_size = self.defs.sizes.values().any(|s| allowed(&s.name) && s.shapes.contains(key));
                if project.sizes.is_some() && !by_allowed_size {
                    return never(
                        ReasonCode::SizeNotAllowed,
                        format!("{key} is in none of the sizes project {} may book", project.name),
                    );
                }
                self.shapes.get(key).cloned().into_iter().collect()
            }
        };
        if shapes.is_empty() {
            return never(ReasonCode::NoSuchGpu, format!("no GPU of the fleet offers {}", req.want));
        }
        shapes.sort_by(|a, b| {
            a.gpu_fraction().total_cmp(&b.gpu_fraction()).then(a.memory.cmp(&b.memory)).then(a.key.cmp(&b.key))
        });
        Ok(Ctx {
            project: project.name.clone(),
            mode: req.mode,
            priority: req.priority.unwrap_or(project.priority),
            window: w,
            shapes,
        })
    }

    /// The quota change one device of `shape` makes for the request.
    pub(crate) fn device_change(ctx: &Ctx, shape: &Shape) -> Change {
        Change {
            project: ctx.project.clone(),
            model: shape.key.model.clone(),
            window: ctx.window,
            slices: i64::from(shape.slices.0),
            reserved: ctx.mode == Mode::Reserved,
        }
    }

    /// The best slot for a device of `shape` over `window` on top of `work`: least fragmentation, then no
    /// layout change, then the lowest GPU index and start.
    pub(crate) fn find_slot(
        &self,
        shape: &Shape,
        window: Window,
        booking: BookingId,
        device: u16,
        work: &Work,
        now: Instant,
    ) -> Option<Found> {
        self.search_slot(shape, window, booking, device, work, now).ok()
    }

    /// [`Self::find_slot`], or the distinct reasons the slots were refused (besides plain "units busy").
    pub(crate) fn search_slot(
        &self,
        shape: &Shape,
        window: Window,
        booking: BookingId,
        device: u16,
        work: &Work,
        now: Instant,
    ) -> Result<Found, Vec<Reason>> {
        let gap = self.config.per_gpu_idle_gap_s;
        let mut best: Option<(u32, bool, Found)> = None;
        let mut why: BTreeMap<ReasonCode, Reason> = BTreeMap::new();
        let mut hosts = 0;
        for g in self.may_host(shape, window, work) {
            // Once a few GPUs could host the device, the best of them is good enough: accepted requests
            // must not scan the whole fleet.
            if hosts > SEARCH_AFTER_FIRST || best.as_ref().is_some_and(|(c, r, _)| *c == 0 && !*r) {
                break;
            }
            let cal = &self.gpus[g];
            let slots = Self::slots_of(shape, cal);
            let t = self.tentative(g, work);
            let busy = cal.busy_mask(window, &t);
            let mut hosted = false;
            for slot in slots {
                let mask = cal.mask_of(slot);
                if busy & mask != 0 {
                    continue;
                }
                let res = Res { booking, device, window, slot, mask };
                if let Err(r) = cal.check(&res, &t, now, gap) {
                    if r.code != ReasonCode::UnitsBusy {
                        why.entry(r.code).or_insert(r);
                    }
                    continue;
                }
                hosted = true;
                let cost = match self.config.packing {
                    crate::Packing::LeastFragmentation => cal.fragmentation_cost(&res, &cal.overlapping(window, &t)),
                    crate::Packing::FirstFit => 0,
                };
                let relayout = cal.needs_relayout(&res, &t, gap);
                let better = best.as_ref().is_none_or(|(c, r, _)| (cost, relayout) < (*c, *r));
                if better {
                    best = Some((cost, relayout, Found { gpu: g, res, relayout }));
                }
            }
            hosts += usize::from(hosted);
        }
        best.map(|(_, _, f)| f).ok_or_else(|| why.into_values().collect())
    }

    /// Adds a found slot for the new booking's next device to `work`.
    pub(crate) fn take(&self, work: &mut Work, found: Found, change: Change, borrowing: bool) {
        let Found { gpu, mut res, relayout } = found;
        res.device = work.devices.len() as u16;
        work.devices.push(Device {
            gpu: self.gpus[gpu].gpu.id.clone(),
            shape: self.slot_shape(gpu, res.slot),
            slot: res.slot,
        });
        work.added.push((gpu, res));
        work.changes.push(change);
        work.borrowing |= borrowing;
        work.layout_changes += u32::from(relayout);
    }

    /// Places one more device of the request on top of `work`: plainly, else by re-placing bookings that
    /// have not started, else (reserved requests) by preempting opportunistic bookings.
    pub(crate) fn place_one(&self, ctx: &Ctx, work: &mut Work, now: Instant) -> Result<(), Vec<Reason>> {
        let mut reasons = Vec::new();
        let mut quota_ok = Vec::new();
        for shape in &ctx.shapes {
            let change = Self::device_change(ctx, shape);
            match self.ledger.check(&change, &work.changes) {
                Err(r) => reasons.push(r),
                Ok(borrowing) => {
                    let next = work.devices.len() as u16;
                    match self.search_slot(shape, ctx.window, NEW, next, work, now) {
                        Ok(found) => {
                            self.take(work, found, change, borrowing);
                            return Ok(());
                        }
                        Err(why) => reasons.extend(why),
                    }
                    reasons.push(Reason::new(
                        ReasonCode::NoCapacity,
                        format!("no {} is free for the whole window", shape.key),
                    ));
                    quota_ok.push((shape, change, borrowing));
                }
            }
        }
        for (shape, change, borrowing) in &quota_ok {
            let repacked = self
                .repack(shape, ctx, work, change.clone(), *borrowing, now)
                .or_else(|| self.repack_exactly(shape, ctx, work, change.clone(), *borrowing, now));
            if let Some(trial) = repacked {
                *work = trial;
                return Ok(());
            }
        }
        if ctx.mode == Mode::Reserved {
            for shape in &ctx.shapes {
                if let Some(trial) = self.preempt(shape, ctx, work, now) {
                    *work = trial;
                    return Ok(());
                }
            }
        }
        reasons.sort();
        reasons.dedup();
        Err(reasons)
    }

    /// Places `count` devices; the work done, or why the next device did not fit.
    pub(crate) fn place_all(&self, ctx: &Ctx, count: u32, now: Instant) -> Result<Work, Vec<Reason>> {
        let mut work = Work::default();
        for _ in 0..count {
            self.place_one(ctx, &mut work, now)?;
        }
        Ok(work)
    }

    fn decide(&self, req: &Request, now: Instant) -> (Decision, Option<Work>) {
        let ctx = match self.context(req, now) {
            Ok(c) => c,
            Err(reasons) => return (Decision::refused(Verdict::Never, reasons), None),
        };
        match self.place_all(&ctx, req.count, now) {
            Ok(work) => {
                let verdict = if !work.victims.is_empty() {
                    Verdict::FitsAfterPreempting(work.victims.clone())
                } else if work.borrowing {
                    Verdict::FitsByBorrowing
                } else {
                    Verdict::Fits
                };
                let mut reasons = Vec::new();
                if work.borrowing {
                    reasons.push(Reason::new(
                        ReasonCode::Borrowing,
                        format!("{} borrows idle capacity of its cohort", ctx.project),
                    ));
                }
                for v in &work.victims {
                    let b = &self.bookings[v];
                    reasons.push(Reason::new(
                        ReasonCode::Preempts,
                        format!("reclaims the devices of opportunistic booking {v} of {}", b.request.project),
                    ));
                }
                let decision = Decision {
                    verdict,
                    reasons,
                    devices: work.devices.clone(),
                    moves: work.moves.clone(),
                    layout_changes: work.layout_changes,
                };
                (decision, Some(work))
            }
            Err(reasons) if !self.config.search_not_before => (Decision::refused(Verdict::Never, reasons), None),
            Err(reasons) => {
                let verdict = match self.earliest_start(&ctx, req.count, now) {
                    Some(t) => Verdict::NotBefore(t),
                    None => Verdict::Never,
                };
                (Decision::refused(verdict, reasons), None)
            }
        }
    }

    /// Answers a request without changing anything.
    pub fn admit(&self, req: &Request, now: Instant) -> Decision {
        self.decide(req, now).0
    }

    /// Answers a request and, when it fits, commits it: preempts the victims, moves re-placed bookings and
    /// adds the new booking. Returns its id when committed.
    pub fn book(&mut self, req: &Request, now: Instant) -> (Decision, Option<BookingId>) {
        let (decision, work) = self.decide(req, now);
        let Some(work) = work else { return (decision, None) };
        let id = self.allocate_id();
        self.commit(id, req, &decision, work, now);
        (decision, Some(id))
    }

    fn commit(&mut self, id: BookingId, req: &Request, decision: &Decision, work: Work, now: Instant) {
        for v in &work.victims {
            let reason = format!("reclaimed for reserved booking {id} of project {}", req.project);
            self.release(*v, Status::Preempted { by: Some(id), reason }, now).expect("victims hold their devices");
        }
        for m in &work.moves {
            let b = self.bookings.get_mut(&m.booking).expect("moved bookings exist");
            let old = std::mem::replace(&mut b.devices[usize::from(m.device)], m.to.clone());
            let window = b.window();
            let from = self.by_id[&old.gpu];
            self.unhold(from, m.booking, m.device);
            let to = self.by_id[&m.to.gpu];
            let mask = self.gpus[to].mask_of(m.to.slot);
            self.hold(to, Res { booking: m.booking, device: m.device, window, slot: m.to.slot, mask });
        }
        let project = &self.defs.projects[&req.project];
        let booking = Booking {
            id,
            request: req.clone(),
            priority: req.priority.unwrap_or(project.priority),
            devices: decision.devices.clone(),
            created: now,
            ended: None,
            ended_at: None,
        };
        for (i, d) in booking.devices.iter().enumerate() {
            let g = self.by_id[&d.gpu];
            let mask = self.gpus[g].mask_of(d.slot);
            self.hold(g, Res { booking: id, device: i as u16, window: booking.window(), slot: d.slot, mask });
            self.ledger.apply(&self.change(&booking, &d.shape, 1));
        }
        self.insert_booking(booking);
    }

    /// Start instants worth trying after `from`: the ends of bookings on the request's models and the
    /// instants where the project's use of them changes, in order. A window that fits at no earlier one of
    /// them fits at none of the instants in between either: moving a window's start to the next quantum
    /// only adds what it overlaps, unless something ends or the quota changes there.
    pub(crate) fn candidate_starts(&self, ctx: &Ctx, from: Instant, until: Instant) -> Vec<Instant> {
        let models: BTreeSet<&model::ModelKey> = ctx.shapes.iter().map(|s| &s.key.model).collect();
        let q = self.config.quantum_s;
        let mut starts: BTreeMap<Instant, ()> = BTreeMap::new();
        for m in &models {
            for t in self.ledger.changes_after(&ctx.project, m, from, until) {
                let t = t.ceil(q);
                if t > from && t <= until {
                    starts.insert(t, ());
                }
            }
        }
        for &g in models.iter().filter_map(|m| self.by_model.get(*m)).flatten() {
            for r in self.gpus[g].reservations() {
                // With an idle gap, a per-gpu layout may change only `gap` after a booking ends.
                for end in [r.window.end, r.window.end.plus(self.config.per_gpu_idle_gap_s)] {
                    let t = end.ceil(q);
                    if t > from && t <= until {
                        starts.insert(t, ());
                    }
                }
            }
        }
        starts.into_keys().collect()
    }

    /// The earliest start after the request's own at which the same duration fits, within the horizon and
    /// the project's lead limit. Every instant offered is verified by a full placement.
    ///
    /// Fleets of at most [`SMALL_FLEET`] GPUs: the instants where some GPU's units open up for one of the
    /// shapes, then every booking end, so re-placing and preempting are accounted for exactly. Larger fleets:
    /// the openings the free-units index proposes ([`Self::earliest_by_index`]), then from each instant where
    /// the project's quota usage changes; there the answer can be later than what re-placing bookings would
    /// allow, and never earlier than what is possible. Models with more than 16 units are not indexed and
    /// read every GPU's openings instead. Those searches are bounded: when they find nothing, that proves
    /// nothing (the index proposes one device's openings, a request of several needs several at once), so
    /// every candidate start ([`Self::candidate_starts`]) is tried before answering "never".
    pub(crate) fn earliest_start(&self, ctx: &Ctx, count: u32, now: Instant) -> Option<Instant> {
        let mut until = now.plus(self.config.horizon_s);
        if let Some(lead) = self.defs.projects[&ctx.project].limits.max_lead_s {
            until = until.min(now.plus(lead));
        }
        let fits_at = |t: Instant| {
            let moved = Ctx { window: ctx.window.moved_to(t), ..ctx.clone() };
            self.place_all(&moved, count, now).is_ok()
        };
        let gpus: usize = ctx.shapes.iter().map(|s| self.by_model.get(&s.key.model).map_or(0, Vec::len)).sum();
        let indexed = ctx.shapes.iter().all(|s| self.index.contains_key(&s.key.model));
        if gpus > SMALL_FLEET && indexed {
            let from = ctx.window.start.plus(self.config.quantum_s);
            if let Some(t) = self.earliest_by_index(ctx, from, until, &fits_at) {
                return Some(t);
            }
            // Quota, not room, may be what holds the request back: from each instant where the project's
            // usage changes, room is searched again.
            let q = self.config.quantum_s;
            let changes: BTreeSet<Instant> = ctx
                .shapes
                .iter()
                .flat_map(|s| self.ledger.changes_after(&ctx.project, &s.key.model, ctx.window.start, until))
                .map(|t| t.ceil(q))
                .filter(|t| *t > ctx.window.start && *t <= until)
                .collect();
            let found = changes
                .into_iter()
                .take(QUOTA_CHANGES_TRIED)
                .find_map(|t| if fits_at(t) { Some(t) } else { self.earliest_by_index(ctx, t, until, &fits_at) });
            if found.is_some() {
                return found;
            }
            return self.candidate_starts(ctx, ctx.window.start, until).into_iter().find(|t| fits_at(*t));
        }
        let mut openings = BTreeSet::new();
        for shape in &ctx.shapes {
            for &g in self.by_model.get(&shape.key.model).into_iter().flatten() {
                let cal = &self.gpus[g];
                for slot in Self::slots_of(shape, cal) {
                    if let Some(t) = cal.first_opening(cal.mask_of(slot), ctx.window, until, self.config.quantum_s) {
                        openings.insert(t);
                    }
                }
            }
        }
        openings.retain(|t| *t > ctx.window.start);
        if let Some(t) = openings.iter().copied().take(OPENINGS_TRIED).find(|t| fits_at(*t)) {
            if gpus > SMALL_FLEET {
                return Some(t);
            }
            // Re-placing or preempting bookings can open a GPU earlier than its units alone say: on small
            // fleets, look at every earlier booking end too.
            let earlier = self.candidate_starts(ctx, ctx.window.start, t);
            return Some(
                earlier.into_iter().filter(|e| *e < t).take(OPENINGS_TRIED).find(|e| fits_at(*e)).unwrap_or(t),
            );
        }
        self.candidate_starts(ctx, ctx.window.start, until).into_iter().find(|t| fits_at(*t))
    }

    /// Large fleets: from `from` on, the hours the free-units index says a window could start in, earliest
    /// first; in each, the openings of up to [`OPENING_GPUS`] GPUs it names, each verified by a full
    /// placement. Openings are tried only once no later hour could give an earlier one.
    fn earliest_by_index(
        &self,
        ctx: &Ctx,
        mut from: Instant,
        until: Instant,
        fits_at: &dyn Fn(Instant) -> bool,
    ) -> Option<Instant> {
        let (q, d) = (self.config.quantum_s, ctx.window.seconds());
        let covered = (d / ROW_S - 1).max(0);
        let mut pending: BTreeSet<Instant> = BTreeSet::new();
        let mut tried = 0;
        for _ in 0..INDEX_ROUNDS {
            let mut next: Option<i64> = None;
            let mut which: Vec<(&Shape, Vec<usize>)> = Vec::new();
            for shape in &ctx.shapes {
                let (index, members) = (&self.index[&shape.key.model], &self.by_model[&shape.key.model]);
                let cal = &self.gpus[members[0]];
                let masks = Self::slots_of(shape, cal).into_iter().filter_map(|s| index.mask_index(cal.mask_of(s)));
                let masks: Vec<usize> = masks.collect();
                if let Some(row) = index.first_possible_row(&masks, from, d, until) {
                    next = Some(next.map_or(row, |n| n.min(row)));
                    which.push((shape, masks));
                }
            }
            let bound = next.map_or(Instant(i64::MAX), |r| Instant(r * ROW_S));
            while let Some(t) = pending.first().copied().filter(|t| *t < bound) {
                pending.remove(&t);
                if fits_at(t) {
                    return Some(t);
                }
                tried += 1;
                if tried >= OPENINGS_TRIED {
                    return None;
                }
            }
            let row = next?;
            let start = from.max(Instant(row * ROW_S)).ceil(q);
            for (shape, masks) in &which {
                let (index, members) = (&self.index[&shape.key.model], &self.by_model[&shape.key.model]);
                for p in index.may_open(masks, row + 1..row + 1 + covered, OPENING_GPUS) {
                    let cal = &self.gpus[members[p]];
                    for slot in Self::slots_of(shape, cal) {
                        let w = Window { start, end: start.plus(d) };
                        pending.extend(cal.first_opening(cal.mask_of(slot), w, until, q));
                    }
                }
            }
            from = Instant((row + 1) * ROW_S);
        }
        pending.into_iter().take(OPENINGS_TRIED.saturating_sub(tried)).find(|t| fits_at(*t))
    }

    /// The slots a shape can take on a GPU.
    pub(crate) fn slots_of(shape: &Shape, cal: &crate::calendar::GpuCal) -> Vec<Slot> {
        match (shape.kind, &cal.geometry) {
            (model::ShapeKind::Whole, _) => vec![Slot::Whole],
            (model::ShapeKind::Mig(profile), Some(geo)) => {
                geo.profile(profile).starts.iter().map(|&start| Slot::Mig { profile, start }).collect()
            }
            (model::ShapeKind::Mig(_), None) => vec![],
        }
    }
}
