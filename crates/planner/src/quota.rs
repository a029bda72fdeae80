//! Quota over time with Kueue's semantics, per GPU model, in memory slices.
//!
//! For project P and model m: `nominal` N is guaranteed; usage U may reach N + borrowingLimit; P lends at
//! most `lendingLimit` L of its nominal, so G = N − L stays P's alone. A cohort tree is one pool per model
//! whose capacity is the sum of the members' L, and whose usage at each instant is Σ max(0, U_Q − G_Q):
//! what members take beyond their unlent part (reference/kueue.md, "lendingLimit caps lending").
//! Reserved bookings of P additionally stay within N at every instant.

use std::collections::{BTreeMap, BTreeSet};

use model::{Definitions, Instant, ModelKey, Window};

use crate::steps::Steps;
use crate::verdict::{Reason, ReasonCode};

/// The pool a project's usage of a model counts in: its root cohort, or the project alone.
pub(crate) type PoolKey = (String, ModelKey);
type Key = (String, ModelKey);

#[derive(Clone, Debug)]
pub(crate) struct Terms {
    pub(crate) nominal: i64,
    /// N + borrowingLimit; `None` when borrowing is unlimited.
    pub(crate) cap: Option<i64>,
    /// N − lendingLimit: never lent.
    pub(crate) guaranteed: i64,
    pub(crate) pool: PoolKey,
    /// Slices per GPU of the model, to speak in GPUs.
    pub(crate) units: u32,
}

/// Slices as GPUs, such as `2`, `0.25` or `0.375`.
pub(crate) fn gpus(slices: i64, units: u32) -> String {
    let v = slices as f64 / f64::from(units.max(1));
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} GPU")
}

/// A change of usage: `slices` (negative to release) of `model` for `project` over `window`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) project: String,
    pub(crate) model: ModelKey,
    pub(crate) window: Window,
    pub(crate) slices: i64,
    pub(crate) reserved: bool,
}

/// Usage of every project and pool over time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger {
    terms: BTreeMap<Key, Terms>,
    capacity: BTreeMap<PoolKey, i64>,
    total: BTreeMap<Key, Steps>,
    reserved: BTreeMap<Key, Steps>,
    pool: BTreeMap<PoolKey, Steps>,
}

fn root_of(defs: &Definitions, project: &str) -> String {
    let Some(mut at) = defs.projects.get(project).and_then(|p| p.cohort.clone()) else {
        return format!("project:{project}");
    };
    // Cohort trees are checked for cycles when defined; the bound is a second guard.
    for _ in 0..=defs.cohorts.len() {
        match defs.cohorts.get(&at).and_then(|c| c.parent.clone()) {
            Some(p) => at = p,
            None => break,
        }
    }
    format!("cohort:{at}")
}

impl Ledger {
    pub(crate) fn new(defs: &Definitions, units: impl Fn(&ModelKey) -> u32) -> Ledger {
        let mut ledger = Ledger::default();
        for p in defs.projects.values() {
            let root = root_of(defs, &p.name);
            for q in p.quotas.values() {
                let nominal = i64::from(q.nominal.0);
                let lend = q.lending_limit.map_or(nominal, |l| i64::from(l.0));
                let pool = (root.clone(), q.model.clone());
                *ledger.capacity.entry(pool.clone()).or_insert(0) += lend;
                let terms = Terms {
                    nominal,
                    cap: q.borrowing_limit.map(|b| nominal + i64::from(b.0)),
                    guaranteed: nominal - lend,
                    pool,
                    units: units(&q.model),
                };
                ledger.terms.insert((p.name.clone(), q.model.clone()), terms);
            }
        }
        ledger
    }

    pub(crate) fn terms(&self, project: &str, model: &ModelKey) -> Option<&Terms> {
        self.terms.get(&(project.to_string(), model.clone()))
    }

    /// Every model `project` has quota for, with its terms.
    pub(crate) fn terms_of<'a>(&'a self, project: &'a str) -> impl Iterator<Item = (&'a ModelKey, &'a Terms)> + 'a {
        self.terms.iter().filter(move |((p, _), _)| p == project).map(|((_, m), t)| (m, t))
    }

    /// Instants after `from`, up to `until`, at which a check of `project`'s use of `model` can change its
    /// answer: where the project's usage, its reserved usage or its pool's usage changes.
    pub(crate) fn changes_after(
        &self,
        project: &str,
        model: &ModelKey,
        from: Instant,
        until: Instant,
    ) -> BTreeSet<Instant> {
        let key = (project.to_string(), model.clone());
        let pool = self.terms.get(&key).and_then(|t| self.pool.get(&t.pool));
        [self.total.get(&key), self.reserved.get(&key), pool]
            .into_iter()
            .flatten()
            .flat_map(|s| s.breakpoints(from, until))
            .collect()
    }

    pub(crate) fn pool_capacity(&self, pool: &PoolKey) -> i64 {
        self.capacity.get(pool).copied().unwrap_or(0)
    }

    /// Records a change. Usage of a project without quota for the model is not tracked (it cannot book it).
    pub(crate) fn apply(&mut self, c: &Change) {
        let key = (c.project.clone(), c.model.clone());
        let Some(terms) = self.terms.get(&key).cloned() else { return };
        let total = self.total.entry(key.clone()).or_default();
        let pool = self.pool.entry(terms.pool.clone()).or_default();
        for (piece, u) in total.pieces(c.window) {
            pool.add(piece, beyond(u + c.slices, terms.guaranteed) - beyond(u, terms.guaranteed));
        }
        total.add(c.window, c.slices);
        if c.reserved {
            self.reserved.entry(key).or_default().add(c.window, c.slices);
        }
    }

    /// Checks that `c` (an addition) fits on top of the `pending` changes. `Ok(true)` when it fits by
    /// borrowing beyond the project's nominal at some instant.
    pub(crate) fn check(&self, c: &Change, pending: &[Change]) -> Result<bool, Reason> {
        let key = (c.project.clone(), c.model.clone());
        let Some(terms) = self.terms.get(&key) else {
            return Err(Reason::new(
                ReasonCode::NoQuota,
                format!("project {} has no quota for {}", c.project, c.model),
            ));
        };
        let all: Vec<&Change> = pending.iter().chain(std::iter::once(c)).collect();
        let w = c.window;
        if c.reserved {
            let peak = self.peak(&self.reserved, &key, w, &all, true);
            if peak > terms.nominal {
                return Err(Reason::new(
                    ReasonCode::ExceedsNominal,
                    format!(
                        "reserved bookings of {} would hold {} of {} at once; its nominal quota is {}",
                        c.project,
                        gpus(peak, terms.units),
                        c.model,
                        gpus(terms.nominal, terms.units)
                    ),
                ));
            }
        }
        let peak = self.peak(&self.total, &key, w, &all, false);
        if let Some(cap) = terms.cap
            && peak > cap
        {
            return Err(Reason::new(
                ReasonCode::ExceedsBorrowingLimit,
                format!(
                    "{} would use {peak} slices of {} at once, nominal plus borrowing limit is {cap}",
                    c.project, c.model
                ),
            ));
        }
        let (pool_peak, at) = self.pool_peak(&terms.pool, w, &all);
        let capacity = self.pool_capacity(&terms.pool);
        if pool_peak > capacity {
            let pool = terms.pool.0.replace(':', " ");
            return Err(Reason::new(
                ReasonCode::CohortExhausted,
                format!(
                    "{pool} can lend {} of {}; at {at} it would need {}",
                    gpus(capacity, terms.units),
                    c.model,
                    gpus(pool_peak, terms.units)
                ),
            ));
        }
        Ok(peak > terms.nominal)
    }

    /// Highest value over `w` of a project's series plus the changes that apply to it.
    fn peak(
        &self,
        which: &BTreeMap<Key, Steps>,
        key: &Key,
        w: Window,
        changes: &[&Change],
        reserved_only: bool,
    ) -> i64 {
        let base = which.get(key);
        let relevant: Vec<&&Change> = changes
            .iter()
            .filter(|x| {
                x.project == key.0 && x.model == key.1 && (!reserved_only || x.reserved) && x.window.overlaps(&w)
            })
            .collect();
        let mut points: BTreeSet<Instant> = base.map(|s| s.points_in(w).collect()).unwrap_or_else(|| [w.start].into());
        points.extend(relevant.iter().flat_map(|x| [x.window.start, x.window.end]).filter(|t| w.contains(*t)));
        points
            .into_iter()
            .map(|t| {
                base.map_or(0, |s| s.at(t))
                    + relevant.iter().filter(|x| x.window.contains(t)).map(|x| x.slices).sum::<i64>()
            })
            .max()
            .unwrap_or(0)
    }

    /// Highest pool usage over `w` with the changes applied, and where it peaks.
    fn pool_peak(&self, pool: &PoolKey, w: Window, changes: &[&Change]) -> (i64, Instant) {
        let base = self.pool.get(pool);
        let affected: BTreeSet<Key> = changes
            .iter()
            .filter(|x| x.model == pool.1 && self.terms(&x.project, &x.model).is_some_and(|t| &t.pool == pool))
            .map(|x| (x.project.clone(), x.model.clone()))
            .collect();
        let mut points: BTreeSet<Instant> = base.map(|s| s.points_in(w).collect()).unwrap_or_else(|| [w.start].into());
        for key in &affected {
            if let Some(s) = self.total.get(key) {
                points.extend(s.points_in(w));
            }
        }
        points.extend(changes.iter().flat_map(|x| [x.window.start, x.window.end]).filter(|t| w.contains(*t)));
        points
            .into_iter()
            .map(|t| {
                let mut v = base.map_or(0, |s| s.at(t));
                for key in &affected {
                    let g = self.terms[key].guaranteed;
                    let u = self.total.get(key).map_or(0, |s| s.at(t));
                    let d: i64 = changes
                        .iter()
                        .filter(|x| x.project == key.0 && x.model == key.1 && x.window.contains(t))
                        .map(|x| x.slices)
                        .sum();
                    v += beyond(u + d, g) - beyond(u, g);
                }
                (v, t)
            })
            .max()
            .unwrap_or((0, w.start))
    }

    /// Highest usage of a project over `w`, with the `pending` changes applied.
    pub(crate) fn usage_peak(&self, project: &str, model: &ModelKey, w: Window, pending: &[Change]) -> i64 {
        let key = (project.to_string(), model.clone());
        if !pending.iter().any(|c| c.project == project && &c.model == model) {
            return self.total.get(&key).map_or(0, |s| s.max_over(w));
        }
        let changes: Vec<&Change> = pending.iter().collect();
        self.peak(&self.total, &key, w, &changes, false)
    }
}

fn beyond(u: i64, guaranteed: i64) -> i64 {
    (u - guaranteed).max(0)
}

#[cfg(test)]
mod tests;
