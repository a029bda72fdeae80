//! An independent check of PRODUCT.md invariants 1–3 over the committed calendar, recomputed from the
//! bookings rather than read from the planner's own indexes. Tests call it after every change.

use std::collections::{BTreeMap, BTreeSet};

use model::{BookingId, GpuId, Instant, LayoutError, Mode, ModelKey, Placement, Reconfiguration, Slot, Window};

use crate::calendar::{Res, epoch_of, mig_layout};
use crate::state::Planner;
use crate::steps::Steps;

/// The first invariant the committed calendar breaks, with where. Placement breaks (invariants 1 and 2) and
/// quota breaks (invariant 3) are told apart by [`InvariantError::is_quota`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvariantError {
    /// A booked device is on the calendar twice.
    #[error("GPU {gpu}: booking {booking} device {device} twice")]
    DeviceTwice { gpu: GpuId, booking: BookingId, device: u16 },
    /// The calendar and the bookings name different devices (the first difference, as debugged).
    #[error("calendar and bookings disagree: {0}")]
    CalendarDisagrees(String),
    /// Two devices hold the same units of a GPU at one instant.
    #[error("GPU {gpu} at {at}: two devices share units")]
    SharedUnits { gpu: GpuId, at: Instant },
    /// A whole-GPU device shares its GPU (`at`: the GPU and the instant or layout epoch).
    #[error("{at}: a whole-GPU booking shares the GPU")]
    WholeShared { at: String },
    /// A MIG device on a GPU model without MIG.
    #[error("{at}: MIG slot on a GPU without MIG")]
    MigWithoutMig { at: String },
    /// The devices held at once are not one valid MIG layout.
    #[error("{at}: {error}")]
    Layout { at: String, error: LayoutError },
    /// A static GPU holds a device outside its declared layout.
    #[error("GPU {gpu}: booking {booking} uses a slot outside its static layout")]
    OutsideStaticLayout { gpu: GpuId, booking: BookingId },
    /// A project holds a model it has no quota of.
    #[error("{project} uses {model} without quota")]
    NoQuota { project: String, model: ModelKey },
    /// A project holds more than nominal + borrowing limit.
    #[error("{project} uses more than nominal + borrowing limit ({cap}) of {model}")]
    OverCap { project: String, model: ModelKey, cap: i64 },
    /// A project's reserved bookings exceed its nominal quota.
    #[error("reserved bookings of {project} exceed its nominal quota of {model}")]
    OverNominal { project: String, model: ModelKey },
    /// A cohort pool lends more than it has.
    #[error("pool {cohort} of {model} over its lendable capacity at {at}")]
    PoolOverCapacity { cohort: String, model: ModelKey, at: Instant },
}

impl InvariantError {
    /// A quota invariant (3), rather than a placement one (1, 2).
    pub fn is_quota(&self) -> bool {
        matches!(
            self,
            InvariantError::NoQuota { .. }
                | InvariantError::OverCap { .. }
                | InvariantError::OverNominal { .. }
                | InvariantError::PoolOverCapacity { .. }
        )
    }
}

impl Planner {
    /// `Err` names the first violated invariant.
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        self.check_devices()?;
        for cal in &self.gpus {
            let res = cal.reservations();
            let id = &cal.gpu.id;
            let mut points: Vec<Instant> = res.iter().map(|r| r.window.start).collect();
            points.dedup();
            for t in points {
                let active: Vec<&Res> = res.iter().filter(|r| r.window.contains(t)).collect();
                let mut used = 0u32;
                for r in &active {
                    if used & r.mask != 0 {
                        return Err(InvariantError::SharedUnits { gpu: id.clone(), at: t });
                    }
                    used |= r.mask;
                }
                self.check_layout(cal, &active.iter().map(|r| r.slot).collect(), &format!("GPU {id} at {t}"))?;
            }
            if cal.gpu.reconfiguration == Reconfiguration::Static {
                for r in res {
                    let ok = match (&cal.gpu.layout, r.slot) {
                        (None, Slot::Whole) => true,
                        (Some(l), Slot::Mig { profile, start }) => {
                            l.placements().contains(&Placement { profile, start })
                        }
                        _ => false,
                    };
                    if !ok {
                        return Err(InvariantError::OutsideStaticLayout { gpu: id.clone(), booking: r.booking });
                    }
                }
            }
            if cal.gpu.reconfiguration == Reconfiguration::PerGpu {
                let all: Vec<&Res> = res.iter().collect();
                for r in res {
                    let epoch = epoch_of(r.window, &all, self.config.per_gpu_idle_gap_s);
                    let slots: BTreeSet<Slot> =
                        all.iter().filter(|x| x.window.overlaps(&epoch)).map(|x| x.slot).collect();
                    self.check_layout(cal, &slots, &format!("GPU {id}, layout of {}..{}", epoch.start, epoch.end))?;
                }
            }
        }
        self.check_quota()
    }

    /// Every holding booking's devices are on the calendar once; nothing else is.
    fn check_devices(&self) -> Result<(), InvariantError> {
        let mut expected = BTreeSet::new();
        for b in self.bookings.values().filter(|b| b.holds()) {
            for (i, d) in b.devices.iter().enumerate() {
                expected.insert((d.gpu.clone(), b.id, i as u16, d.slot, b.window()));
            }
        }
        let mut found = BTreeSet::new();
        for cal in &self.gpus {
            for r in cal.reservations() {
                if !found.insert((cal.gpu.id.clone(), r.booking, r.device, r.slot, r.window)) {
                    return Err(InvariantError::DeviceTwice {
                        gpu: cal.gpu.id.clone(),
                        booking: r.booking,
                        device: r.device,
                    });
                }
            }
        }
        if expected != found {
            let first = expected.symmetric_difference(&found).next();
            return Err(InvariantError::CalendarDisagrees(format!("{first:?}")));
        }
        Ok(())
    }

    /// The slots form one valid layout (all whole, alone; or valid MIG placements).
    fn check_layout(
        &self,
        cal: &crate::calendar::GpuCal,
        slots: &BTreeSet<Slot>,
        at: &str,
    ) -> Result<(), InvariantError> {
        if slots.contains(&Slot::Whole) {
            return if slots.len() == 1 { Ok(()) } else { Err(InvariantError::WholeShared { at: at.to_string() }) };
        }
        let Some(g) = &cal.geometry else {
            return if slots.is_empty() { Ok(()) } else { Err(InvariantError::MigWithoutMig { at: at.to_string() }) };
        };
        g.validate(&mig_layout(slots)).map_err(|error| InvariantError::Layout { at: at.to_string(), error })
    }

    /// Reserved within nominal, everything within nominal + borrowing limit, pools within lendable capacity.
    fn check_quota(&self) -> Result<(), InvariantError> {
        let mut total: BTreeMap<(String, model::ModelKey), Steps> = BTreeMap::new();
        let mut reserved: BTreeMap<(String, model::ModelKey), Steps> = BTreeMap::new();
        for b in self.bookings.values().filter(|b| b.holds()) {
            for d in &b.devices {
                let slices = i64::from(self.shapes[&d.shape].slices.0);
                let key = (b.request.project.clone(), d.shape.model.clone());
                total.entry(key.clone()).or_default().add(b.window(), slices);
                if b.request.mode == Mode::Reserved {
                    reserved.entry(key).or_default().add(b.window(), slices);
                }
            }
        }
        let all = Window { start: Instant(i64::MIN / 2), end: Instant(i64::MAX / 2) };
        // Each pool is checked at every instant where one of its members' usage changes.
        let mut pools: BTreeMap<crate::quota::PoolKey, BTreeSet<Instant>> = BTreeMap::new();
        for (key, steps) in &total {
            let terms = self
                .ledger
                .terms(&key.0, &key.1)
                .ok_or_else(|| InvariantError::NoQuota { project: key.0.clone(), model: key.1.clone() })?;
            if let Some(cap) = terms.cap.filter(|c| steps.max_over(all) > *c) {
                return Err(InvariantError::OverCap { project: key.0.clone(), model: key.1.clone(), cap });
            }
            pools
                .entry(terms.pool.clone())
                .or_default()
                .extend(steps.pieces(all).into_iter().map(|(piece, _)| piece.start));
        }
        for (key, steps) in &reserved {
            let nominal = self.ledger.terms(&key.0, &key.1).map_or(0, |t| t.nominal);
            if steps.max_over(all) > nominal {
                return Err(InvariantError::OverNominal { project: key.0.clone(), model: key.1.clone() });
            }
        }
        for (pool, points) in &pools {
            for &t in points {
                let used: i64 = total
                    .iter()
                    .filter_map(|(key, steps)| {
                        let terms = self.ledger.terms(&key.0, &key.1)?;
                        (&terms.pool == pool).then(|| (steps.at(t) - terms.guaranteed).max(0))
                    })
                    .sum();
                if used > self.ledger.pool_capacity(pool) {
                    return Err(InvariantError::PoolOverCapacity {
                        cohort: pool.0.clone(),
                        model: pool.1.clone(),
                        at: t,
                    });
                }
            }
        }
        Ok(())
    }
}
