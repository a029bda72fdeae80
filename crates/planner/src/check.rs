//! An independent check of PRODUCT.md invariants 1–3 over the committed calendar, recomputed from the
//! bookings rather than read from the planner's own indexes. Tests call it after every change.

use std::collections::{BTreeMap, BTreeSet};

use model::{Instant, Mode, Placement, Reconfiguration, Slot, Window};

use crate::calendar::{Res, epoch_of, mig_layout};
use crate::state::Planner;
use crate::steps::Steps;

impl Planner {
    /// `Err` names the first violated invariant.
    pub fn check_invariants(&self) -> Result<(), String> {
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
                        return Err(format!("GPU {id} at {t}: two devices share units"));
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
                        return Err(format!("GPU {id}: booking {} uses a slot outside its static layout", r.booking));
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
    fn check_devices(&self) -> Result<(), String> {
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
                    return Err(format!("GPU {}: booking {} device {} twice", cal.gpu.id, r.booking, r.device));
                }
            }
        }
        if expected != found {
            return Err(format!("calendar and bookings disagree: {:?}", expected.symmetric_difference(&found).next()));
        }
        Ok(())
    }

    /// The slots form one valid layout (all whole, alone; or valid MIG placements).
    fn check_layout(&self, cal: &crate::calendar::GpuCal, slots: &BTreeSet<Slot>, at: &str) -> Result<(), String> {
        if slots.contains(&Slot::Whole) {
            return if slots.len() == 1 { Ok(()) } else { Err(format!("{at}: a whole-GPU booking shares the GPU")) };
        }
        let Some(g) = &cal.geometry else {
            return if slots.is_empty() { Ok(()) } else { Err(format!("{at}: MIG slot on a GPU without MIG")) };
        };
        g.validate(&mig_layout(slots)).map_err(|e| format!("{at}: {e}"))
    }

    /// Reserved within nominal, everything within nominal + borrowing limit, pools within lendable capacity.
    fn check_quota(&self) -> Result<(), String> {
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
            let terms =
                self.ledger.terms(&key.0, &key.1).ok_or_else(|| format!("{} uses {} without quota", key.0, key.1))?;
            if let Some(cap) = terms.cap.filter(|c| steps.max_over(all) > *c) {
                return Err(format!("{} uses more than nominal + borrowing limit ({cap}) of {}", key.0, key.1));
            }
            pools
                .entry(terms.pool.clone())
                .or_default()
                .extend(steps.pieces(all).into_iter().map(|(piece, _)| piece.start));
        }
        for (key, steps) in &reserved {
            let nominal = self.ledger.terms(&key.0, &key.1).map_or(0, |t| t.nominal);
            if steps.max_over(all) > nominal {
                return Err(format!("reserved bookings of {} exceed its nominal quota of {}", key.0, key.1));
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
                    return Err(format!("pool {} of {} over its lendable capacity at {t}", pool.0, pool.1));
                }
            }
        }
        Ok(())
    }
}
