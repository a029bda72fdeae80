//! The planner's state: every GPU's calendar, every booking, and quota usage over time.

use std::collections::BTreeMap;
use std::sync::Arc;

use model::{Booking, BookingId, Catalog, Definitions, GpuId, Instant, ModelKey, Shape, ShapeKey, Slot, Status};

use crate::calendar::{GpuCal, Res};
use crate::cancel::CancelError;
use crate::index::{Cell, ModelIndex, row_of, row_window};
use crate::quota::{Change, Ledger};

/// Why [`Planner::restore`] cannot put a stored booking back on the calendar. Checked before anything
/// changes, so the planner is as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// A booking with this id is on the calendar already.
    #[error("booking {0} is already loaded")]
    AlreadyLoaded(BookingId),
    /// One of its devices is on a GPU the fleet does not have (any more).
    #[error("booking {booking}: no GPU {gpu}")]
    NoGpu { booking: BookingId, gpu: GpuId },
}

/// Planner settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Booking windows start and end on multiples of this many seconds.
    pub quantum_s: i64,
    /// A per-gpu GPU changes its layout only after it has been idle this long.
    pub per_gpu_idle_gap_s: i64,
    /// How far ahead "not before" and earliest-window searches look.
    pub horizon_s: i64,
    /// How a slot is chosen among those free.
    pub packing: Packing,
    /// Whether a refusal says when the request would first fit ("not before"). Simulations turn it off: a
    /// refusal is then answered "never" at once.
    pub search_not_before: bool,
    /// The longest window anyone may book or ask about, whatever the project allows (projects narrow it with
    /// `limits.maxDuration`). With [`Config::max_ahead_s`] it bounds the calendar's and the index's memory
    /// per booking.
    pub max_window_s: i64,
    /// How far after now a window may start, whatever the project allows (`limits.maxAhead` narrows it).
    pub max_ahead_s: i64,
}

/// How the planner chooses among free slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Packing {
    /// The slot that takes least room from larger profiles and whole GPUs (the FGD idea).
    #[default]
    LeastFragmentation,
    /// The first free slot in fleet order: the baseline that fragmentation awareness is measured against.
    FirstFit,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            quantum_s: 900,
            per_gpu_idle_gap_s: 0,
            horizon_s: 90 * 86_400,
            packing: Packing::default(),
            search_not_before: true,
            max_window_s: 92 * 86_400,
            max_ahead_s: 366 * 86_400,
        }
    }
}

/// The calendar of a fleet, with its bookings and quota usage.
#[derive(Clone, Debug)]
pub struct Planner {
    pub(crate) catalog: Catalog,
    pub(crate) defs: Definitions,
    pub(crate) config: Config,
    pub(crate) shapes: BTreeMap<ShapeKey, Shape>,
    pub(crate) gpus: Vec<GpuCal>,
    pub(crate) by_id: BTreeMap<GpuId, usize>,
    pub(crate) by_model: BTreeMap<ModelKey, Vec<usize>>,
    /// Each GPU's place among its model's GPUs (in `by_model`), which is its column in the model's index.
    pub(crate) pos: Vec<usize>,
    /// The free-units index of each model whose GPUs have at most 16 units.
    pub(crate) index: BTreeMap<ModelKey, ModelIndex>,
    /// While [`Planner::restore_all`] loads, reservations go to the calendars only; the index is built once
    /// at the end.
    index_deferred: bool,
    pub(crate) bookings: BTreeMap<BookingId, Booking>,
    pub(crate) ledger: Ledger,
    /// Holding opportunistic bookings: the only ones preemption looks at.
    pub(crate) opportunistic: std::collections::BTreeSet<BookingId>,
    next_id: u64,
}

impl Planner {
    pub fn new(catalog: Catalog, defs: Definitions, config: Config) -> Planner {
        let mut gpus = Vec::new();
        let mut by_id = BTreeMap::new();
        let mut by_model: BTreeMap<ModelKey, Vec<usize>> = BTreeMap::new();
        type PerModel = (Option<Arc<model::MigGeometry>>, Arc<Vec<(u32, u32)>>);
        let mut per_model: BTreeMap<ModelKey, PerModel> = BTreeMap::new();
        for g in defs.fleet.gpus() {
            let (geometry, base) = per_model
                .entry(g.model.clone())
                .or_insert_with(|| {
                    let geometry = catalog.get(g.model.as_str()).and_then(|m| m.mig.clone()).map(Arc::new);
                    let base = Arc::new(crate::calendar::base_rooms(geometry.as_deref()));
                    (geometry, base)
                })
                .clone();
            by_id.insert(g.id.clone(), gpus.len());
            by_model.entry(g.model.clone()).or_default().push(gpus.len());
            gpus.push(GpuCal::new(g.clone(), geometry, base));
        }
        let shapes = catalog
            .shapes()
            .into_iter()
            .filter(|s| by_model.contains_key(&s.key.model))
            .map(|s| (s.key.clone(), s))
            .collect();
        let ledger = Ledger::new(&defs, |m| catalog.get(m.as_str()).map_or(1, |x| x.units()));
        let mut pos = vec![0; gpus.len()];
        let mut index = BTreeMap::new();
        for (model, members) in &by_model {
            for (p, &g) in members.iter().enumerate() {
                pos[g] = p;
            }
            let cal: &GpuCal = &gpus[members[0]];
            let mut masks = vec![cal.full_mask()];
            if let Some(geo) = &cal.geometry {
                for p in &geo.profiles {
                    masks.extend(p.starts.iter().map(|&s| p.mask_at(s)));
                }
            }
            if let Some(i) = ModelIndex::new(members.len(), masks) {
                index.insert(model.clone(), i);
            }
        }
        Planner {
            catalog,
            defs,
            config,
            shapes,
            gpus,
            by_id,
            by_model,
            pos,
            index,
            index_deferred: false,
            bookings: BTreeMap::new(),
            ledger,
            opportunistic: Default::default(),
            next_id: 1,
        }
    }

    pub fn definitions(&self) -> &Definitions {
        &self.defs
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.bookings.values()
    }

    pub fn booking(&self, id: BookingId) -> Option<&Booking> {
        self.bookings.get(&id)
    }

    /// Adds a booking that was decided before (loaded from storage), as it is.
    pub fn restore(&mut self, booking: Booking) -> Result<(), RestoreError> {
        self.restorable(&booking)?;
        if booking.holds() {
            for (i, d) in booking.devices.iter().enumerate() {
                let g = self.by_id[&d.gpu];
                let mask = self.gpus[g].mask_of(d.slot);
                self.hold(
                    g,
                    Res { booking: booking.id, device: i as u16, window: booking.window(), slot: d.slot, mask },
                );
                self.ledger.apply(&self.change(&booking, &d.shape, 1));
            }
        }
        self.next_id = self.next_id.max(booking.id.0 + 1);
        self.insert_booking(booking);
        Ok(())
    }

    /// Why a booking cannot be restored (a second copy, a GPU the fleet no longer has), checked before
    /// anything is changed.
    fn restorable(&self, booking: &Booking) -> Result<(), RestoreError> {
        if self.bookings.contains_key(&booking.id) {
            return Err(RestoreError::AlreadyLoaded(booking.id));
        }
        if booking.holds()
            && let Some(d) = booking.devices.iter().find(|d| !self.by_id.contains_key(&d.gpu))
        {
            return Err(RestoreError::NoGpu { booking: booking.id, gpu: d.gpu.clone() });
        }
        Ok(())
    }

    /// [`Self::restore`] for many bookings, as loading from storage does: the free-units index is built once,
    /// GPU by GPU, instead of booking by booking. Returns the bookings that could not be restored, and why.
    pub fn restore_all(&mut self, bookings: impl IntoIterator<Item = Booking>) -> Vec<(Booking, RestoreError)> {
        self.index_deferred = true;
        let mut refused = Vec::new();
        for b in bookings {
            match self.restorable(&b) {
                Ok(()) => self.restore(b).expect("checked as restorable"),
                Err(e) => {
                    // Kept off the calendar (archived), its id is still taken: never give it to another.
                    self.next_id = self.next_id.max(b.id.0 + 1);
                    refused.push((b, e))
                }
            }
        }
        self.index_deferred = false;
        self.rebuild_index();
        refused
    }

    /// Builds every model's index from the calendars: per GPU, the hours its reservations cover whole take
    /// their units; the hours one only touches are read exactly from the calendar.
    fn rebuild_index(&mut self) {
        for (model, members) in &self.by_model {
            let Some(index) = self.index.get_mut(model) else { continue };
            index.clear();
            for &g in members {
                let cal = &self.gpus[g];
                let res = cal.reservations();
                let (Some(first), Some(last)) = (
                    res.iter().map(|r| row_of(r.window.start)).min(),
                    res.iter().map(|r| row_of(r.window.end.plus(-1))).max(),
                ) else {
                    continue;
                };
                // (held at some instant, held throughout, touched by a reservation that does not cover it)
                let mut hours = vec![(0u32, 0u32, false); (last - first + 1) as usize];
                for r in res {
                    for row in row_of(r.window.start)..=row_of(r.window.end.plus(-1)) {
                        let hour = row_window(row);
                        let h = &mut hours[(row - first) as usize];
                        if r.window.start <= hour.start && hour.end <= r.window.end {
                            h.0 |= r.mask;
                            h.1 |= r.mask;
                        } else {
                            h.2 = true;
                        }
                    }
                }
                for (k, (some, all, partial)) in hours.into_iter().enumerate() {
                    let row = first + k as i64;
                    let (some, all) = if partial { cal.held(row_window(row)) } else { (some, all) };
                    index.set(row, self.pos[g], some as Cell, all as Cell);
                }
            }
        }
    }

    pub(crate) fn insert_booking(&mut self, booking: Booking) {
        if booking.holds() && booking.request.mode == model::Mode::Opportunistic {
            self.opportunistic.insert(booking.id);
        }
        self.bookings.insert(booking.id, booking);
    }

    pub(crate) fn change(&self, b: &Booking, shape: &ShapeKey, sign: i64) -> Change {
        let slices = self.shapes.get(shape).map_or(0, |s| i64::from(s.slices.0));
        Change {
            project: b.request.project.clone(),
            model: shape.model.clone(),
            window: b.window(),
            slices: sign * slices,
            reserved: b.request.mode == model::Mode::Reserved,
        }
    }

    /// The id the next booking gets.
    pub fn next_id(&self) -> BookingId {
        BookingId(self.next_id)
    }

    /// Never hands out an id below `next`: a state reloaded after a failed commit keeps counting from where
    /// the failed one was, so an id answered once (even with an error) is never given to another booking.
    pub fn skip_ids_below(&mut self, next: BookingId) {
        self.next_id = self.next_id.max(next.0);
    }

    pub(crate) fn allocate_id(&mut self) -> BookingId {
        let id = BookingId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Releases a booking's devices and quota and records how it ended.
    pub(crate) fn release(&mut self, id: BookingId, ended: Status, at: Instant) -> Result<(), CancelError> {
        let b = self.bookings.get(&id).ok_or(CancelError::NoBooking(id))?.clone();
        if let Some(status) = &b.ended {
            return Err(CancelError::Ended { id, status: status.as_str() });
        }
        for (i, d) in b.devices.iter().enumerate() {
            if let Some(&g) = self.by_id.get(&d.gpu) {
                self.unhold(g, id, i as u16);
            }
            self.ledger.apply(&self.change(&b, &d.shape, -1));
        }
        let b = self.bookings.get_mut(&id).expect("present");
        b.ended = Some(ended);
        b.ended_at = Some(at);
        self.opportunistic.remove(&id);
        Ok(())
    }

    /// Cancels a booking, freeing its devices at once. A booking that has completed cannot be cancelled.
    pub fn cancel(&mut self, id: BookingId, now: Instant) -> Result<(), CancelError> {
        let b = self.bookings.get(&id).ok_or(CancelError::NoBooking(id))?;
        if b.holds() && now >= b.window().end {
            return Err(CancelError::Completed(id));
        }
        self.release(id, Status::Cancelled, now)
    }

    /// Adds a reservation to GPU `g`'s calendar and index. Hours the window covers only gain its units;
    /// the hours it starts or ends in are read again from the calendar.
    pub(crate) fn hold(&mut self, g: usize, res: Res) {
        let (w, mask) = (res.window, res.mask);
        self.gpus[g].insert(res);
        if self.index_deferred {
            return;
        }
        let model = &self.gpus[g].gpu.model;
        let Some(index) = self.index.get_mut(model) else { return };
        let (cal, pos) = (&self.gpus[g], self.pos[g]);
        for row in row_of(w.start)..=row_of(w.end.plus(-1)) {
            let hour = row_window(row);
            if w.start <= hour.start && hour.end <= w.end {
                let (some, all) = index.get(row, pos);
                index.set(row, pos, some | mask as Cell, all | mask as Cell);
            } else {
                let (some, all) = cal.held(hour);
                index.set(row, pos, some as Cell, all as Cell);
            }
        }
    }

    /// Removes a reservation from GPU `g`'s calendar and index; the hours it spanned are read again.
    pub(crate) fn unhold(&mut self, g: usize, booking: BookingId, device: u16) -> Option<Res> {
        let res = self.gpus[g].remove(booking, device)?;
        if let Some(index) = self.index.get_mut(&self.gpus[g].gpu.model) {
            for row in row_of(res.window.start)..=row_of(res.window.end.plus(-1)) {
                let (some, all) = self.gpus[g].held(row_window(row));
                index.set(row, self.pos[g], some as Cell, all as Cell);
            }
        }
        Some(res)
    }

    pub(crate) fn slot_shape(&self, g: usize, slot: Slot) -> ShapeKey {
        let gpu = &self.gpus[g];
        match (slot, &gpu.geometry) {
            (Slot::Mig { profile, .. }, Some(geo)) => ShapeKey::mig(&gpu.gpu.model, &geo.profile(profile).name),
            _ => ShapeKey::whole(&gpu.gpu.model),
        }
    }
}
