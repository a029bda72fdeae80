//! Prices: a rate per GPU-hour per GPU model, how a MIG slice is priced, the opportunistic factor and
//! per-project discounts. Money is kept in integer nano-units of the list's currency (`Nanos`), factors and
//! discounts in parts per million, so that the ledger's arithmetic is exact up to its final rounding.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, ModelKey};
use crate::shape::ShapeKey;
use crate::time::Instant;

/// An amount of money in billionths of the currency's unit (2.40 EUR is 2_400_000_000).
pub type Nanos = i128;

/// Nano-units per currency unit.
pub const NANOS: i128 = 1_000_000_000;

/// Parts per million: 1.0 is 1_000_000.
pub const PPM: i128 = 1_000_000;

/// How a MIG slice is priced: its share of the GPU's memory slices, or of its compute slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SliceBasis {
    Memory,
    Compute,
}

impl SliceBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            SliceBasis::Memory => "memory",
            SliceBasis::Compute => "compute",
        }
    }

    pub fn parse(s: &str) -> Option<SliceBasis> {
        [SliceBasis::Memory, SliceBasis::Compute].into_iter().find(|b| b.as_str() == s)
    }
}

/// The rate of one GPU model from an instant on (`from: None`: since always).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate {
    pub model: ModelKey,
    pub from: Option<Instant>,
    /// Per whole-GPU hour.
    pub per_gpu_hour: Nanos,
}

/// A checked price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceList {
    pub name: String,
    /// An ISO 4217 code such as `EUR`.
    pub currency: String,
    pub slice_basis: SliceBasis,
    /// What an opportunistic booking pays of the rate, in parts per million (500_000: half).
    pub opportunistic_ppm: i128,
    /// Sorted by model, then `from` (`None` first).
    pub rates: Vec<Rate>,
    /// What a project is let off, in parts per million of its cost (100_000: 10% off).
    pub discounts: BTreeMap<String, i128>,
}

impl PriceList {
    /// The rate of `model` in force at `t`: the entry with the latest `from` at or before `t`.
    pub fn rate_at(&self, model: &ModelKey, t: Instant) -> Option<Nanos> {
        self.rates
            .iter()
            .filter(|r| &r.model == model && r.from.is_none_or(|f| f <= t))
            .max_by_key(|r| r.from)
            .map(|r| r.per_gpu_hour)
    }

    /// The instants at which one of its rates starts.
    pub fn changes(&self) -> impl Iterator<Item = Instant> + '_ {
        self.rates.iter().filter_map(|r| r.from)
    }

    pub fn discount_ppm(&self, project: &str) -> i128 {
        self.discounts.get(project).copied().unwrap_or(0)
    }
}

/// The share of its GPU that one device of `shape` is, as `(numerator, denominator)`: 1/1 for a whole GPU,
/// the profile's memory (or compute) slices over the GPU's for a MIG instance. `None` for a shape the
/// catalog does not have.
pub fn share(catalog: &Catalog, shape: &ShapeKey, basis: SliceBasis) -> Option<(i128, i128)> {
    let model = catalog.get(shape.model.as_str())?;
    let Some(profile) = &shape.profile else {
        return Some((1, 1));
    };
    let geometry = model.mig.as_ref()?;
    let p = geometry.profile(geometry.find(profile)?);
    let (num, den) = match basis {
        SliceBasis::Memory => (p.size, geometry.units),
        SliceBasis::Compute => (p.compute_slices, geometry.compute_slices),
    };
    (den > 0).then_some((i128::from(num), i128::from(den)))
}

/// Reads a decimal amount such as `2.40` or `1200` into nano-units: at most nine decimals, non-negative.
pub fn parse_amount(text: &str) -> Result<Nanos, String> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if t.starts_with('-') {
        return Err(format!("{t} is negative"));
    }
    if !digits(whole) || !(frac.is_empty() || digits(frac)) || (t.contains('.') && frac.is_empty()) {
        return Err(format!("{t:?} is not a decimal number such as 2.40"));
    }
    if frac.len() > 9 {
        return Err(format!("{t} has more than nine decimals"));
    }
    if whole.len() > 15 {
        return Err(format!("{t} is too large"));
    }
    let w: i128 = whole.parse().map_err(|_| format!("{t:?} is not a number"))?;
    let f: i128 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().map_err(|_| format!("{t:?}"))? };
    Ok(w * NANOS + f)
}

/// An amount in nano-units as a number of currency units.
pub fn to_units(n: Nanos) -> f64 {
    // Rounded to the nano-unit first, then divided: exact for the figures a report shows.
    n as f64 / NANOS as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_exactly_and_refuse_what_is_not_one() {
        assert_eq!(parse_amount("2.40"), Ok(2_400_000_000));
        assert_eq!(parse_amount("1200"), Ok(1_200 * NANOS));
        assert_eq!(parse_amount("0.000000001"), Ok(1));
        assert!(parse_amount("-1").unwrap_err().contains("negative"));
        assert!(parse_amount("1e3").is_err());
        assert!(parse_amount("2.").is_err());
        assert!(parse_amount("0.0000000001").unwrap_err().contains("nine"));
        assert!(parse_amount("").is_err());
    }

    #[test]
    fn a_slice_is_its_share_of_memory_or_compute_slices() {
        let c = Catalog::builtin();
        let m = ModelKey("H100-80GB".into());
        assert_eq!(share(&c, &ShapeKey::mig(&m, "3g.40gb"), SliceBasis::Memory), Some((4, 8)));
        assert_eq!(share(&c, &ShapeKey::mig(&m, "3g.40gb"), SliceBasis::Compute), Some((3, 7)));
        assert_eq!(share(&c, &ShapeKey::whole(&m), SliceBasis::Compute), Some((1, 1)));
        assert_eq!(share(&c, &ShapeKey::mig(&m, "9g.1tb"), SliceBasis::Memory), None);
    }

    #[test]
    fn the_rate_in_force_is_the_latest_that_has_started() {
        let m = ModelKey("H100-80GB".into());
        let list = PriceList {
            name: "default".into(),
            currency: "EUR".into(),
            slice_basis: SliceBasis::Memory,
            opportunistic_ppm: PPM,
            rates: vec![
                Rate { model: m.clone(), from: None, per_gpu_hour: 2 * NANOS },
                Rate { model: m.clone(), from: Some(Instant(100)), per_gpu_hour: 3 * NANOS },
            ],
            discounts: BTreeMap::new(),
        };
        assert_eq!(list.rate_at(&m, Instant(99)), Some(2 * NANOS));
        assert_eq!(list.rate_at(&m, Instant(100)), Some(3 * NANOS));
        assert_eq!(list.rate_at(&ModelKey("A100-40GB".into()), Instant(100)), None);
    }
}
