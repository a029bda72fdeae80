//! The ledger: what a booking holds within a report window, and what it costs at the prices in force.
//!
//! Rules (docs/metering.md):
//! - a booking is charged from its start until its end, cancellation or preemption (`Booking::released_at`);
//!   cancelled before it started, it is charged nothing; reserved or not, the whole held time counts;
//! - each device counts its share of a GPU ([`price::share`]: 1 for a whole GPU, memory or compute slices
//!   of the GPU for a MIG instance, as the price list says);
//! - the price of an instant is that of the price-list version applied at or before it (the first version
//!   for instants before any), at the rate of the device's model in force then (`effectiveFrom`); an
//!   interval over a change is split there;
//! - an opportunistic booking pays the list's factor of the rate; a project's discount comes off the end.
//!
//! Price lists are kept as an append-only history of versions, each applied at an instant: an instant
//! before a version's application is priced by the versions before it, so a report for a closed month
//! never changes when prices change later.

mod report;

use std::collections::BTreeMap;

use crate::booking::{Booking, Mode};
use crate::catalog::{Catalog, ModelKey};
use crate::price::{self, Nanos, PPM, PriceList, SliceBasis};
use crate::time::{Instant, Window};

pub use report::{By, Row, report};

/// One version of the price list, in force from `applied_at` until the next version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceVersion {
    pub applied_at: Instant,
    /// `None`: the price list was deleted then; nothing is charged while it is.
    pub list: Option<PriceList>,
}

/// The price-list history, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prices {
    versions: Vec<PriceVersion>,
}

impl Prices {
    /// The history from versions in any order (sorted by when they were applied, stable for equal instants).
    pub fn new(mut versions: Vec<PriceVersion>) -> Prices {
        versions.sort_by_key(|v| v.applied_at);
        Prices { versions }
    }

    pub fn versions(&self) -> &[PriceVersion] {
        &self.versions
    }

    /// Appends a version; one applied before the newest is recorded at the newest's instant instead, so the
    /// past is never rewritten.
    pub fn push(&mut self, mut v: PriceVersion) {
        if let Some(last) = self.versions.last() {
            v.applied_at = v.applied_at.max(last.applied_at);
        }
        self.versions.push(v);
    }

    /// The version in force at `t`: the last one applied at or before it, else the first.
    pub fn at(&self, t: Instant) -> Option<&PriceList> {
        let i = self.versions.partition_point(|v| v.applied_at <= t);
        let v = if i == 0 { self.versions.first() } else { self.versions.get(i - 1) };
        v.and_then(|v| v.list.as_ref())
    }

    /// The currency of the newest list, if any was ever applied.
    pub fn currency(&self) -> Option<&str> {
        self.versions.iter().rev().find_map(|v| v.list.as_ref()).map(|l| l.currency.as_str())
    }

    /// The instants strictly inside `w` at which the price of something may change.
    fn changes_within(&self, w: Window) -> Vec<Instant> {
        let mut out: Vec<Instant> = self
            .versions
            .iter()
            .flat_map(|v| std::iter::once(v.applied_at).chain(v.list.iter().flat_map(|l| l.changes())))
            .filter(|t| w.start < *t && *t < w.end)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// What one booking holds of one GPU model within a window, and its cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Charge {
    /// Devices × hours.
    pub device_hours: f64,
    /// Each device's share of its GPU × hours.
    pub gpu_hours: f64,
    pub cost: Nanos,
}

impl Charge {
    pub fn add(&mut self, other: &Charge) {
        self.device_hours += other.device_hours;
        self.gpu_hours += other.gpu_hours;
        self.cost += other.cost;
    }
}

/// The part of the booking's window it held that lies within `within`; `None` when nothing does (a booking
/// cancelled before it started, or one outside the window).
pub fn held(b: &Booking, within: Window) -> Option<Window> {
    let w = b.window();
    let start = w.start.max(within.start);
    let end = b.released_at().min(w.end).min(within.end);
    Window::new(start, end).ok()
}

/// What `b` holds and costs within `within`, per GPU model of its devices. Devices of shapes the catalog
/// does not have count nothing.
pub fn charge(b: &Booking, within: Window, prices: &Prices, catalog: &Catalog) -> BTreeMap<ModelKey, Charge> {
    let mut out: BTreeMap<ModelKey, Charge> = BTreeMap::new();
    let Some(held) = held(b, within) else {
        return out;
    };
    let mut cuts = vec![held.start];
    cuts.extend(prices.changes_within(held));
    cuts.push(held.end);
    for d in &b.devices {
        let entry = out.entry(d.shape.model.clone()).or_default();
        for pair in cuts.windows(2) {
            let (a, z) = (pair[0], pair[1]);
            let secs = i128::from(z.0 - a.0);
            let list = prices.at(a);
            let basis = list.map_or(SliceBasis::Memory, |l| l.slice_basis);
            let Some((num, den)) = price::share(catalog, &d.shape, basis) else {
                continue;
            };
            entry.device_hours += secs as f64 / 3600.0;
            entry.gpu_hours += (secs * num) as f64 / (den * 3600) as f64;
            if let Some(list) = list {
                entry.cost += cost(list, b, &d.shape.model, a, secs, num, den);
            }
        }
    }
    out
}

/// The cost of `secs` seconds of a `num/den` share of a GPU of `model` from `at`, rounded to the nano-unit.
fn cost(list: &PriceList, b: &Booking, model: &ModelKey, at: Instant, secs: i128, num: i128, den: i128) -> Nanos {
    let Some(rate) = list.rate_at(model, at) else {
        return 0;
    };
    let factor = match b.request.mode {
        Mode::Reserved => PPM,
        Mode::Opportunistic => list.opportunistic_ppm,
    };
    let keep = PPM - list.discount_ppm(&b.request.project);
    let numer = rate * num * secs * factor * keep;
    let denom = den * 3600 * PPM * PPM;
    // Round half up; every factor is non-negative.
    (numer + denom / 2) / denom
}

#[cfg(test)]
mod tests;
