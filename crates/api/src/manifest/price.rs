//! A `PriceList` document to a checked [`model::PriceList`]: known models, non-negative bounded rates with
//! at most nine decimals, an ISO 4217-shaped currency, RFC 3339 `effectiveFrom`, one rate per model and
//! instant, discounts of projects in percent.

use std::collections::{BTreeMap, BTreeSet};

use model::names::check_dns_label;
use model::price::{self, NANOS, Nanos, PPM};
use model::{Catalog, Instant, PriceList, Rate, SliceBasis};

use super::docs::PriceListDoc;
use super::{Located, ManifestError};

/// Most rates and most discounts in one list.
pub const MAX_RATES: usize = 1000;
/// The highest rate per GPU-hour, in currency units.
pub const MAX_RATE: i128 = 1_000_000;
/// The highest opportunistic factor.
pub const MAX_FACTOR: f64 = 10.0;

/// Checks one PriceList document; errors name its field.
pub fn price_list(d: &Located, p: &PriceListDoc, catalog: &Catalog) -> Result<PriceList, ManifestError> {
    check_dns_label(&p.name).map_err(|r| d.error("name", r))?;
    if p.currency.len() != 3 || !p.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(d.error("currency", format!("{:?} is not an ISO 4217 code such as EUR or USD", p.currency)));
    }
    let slice_basis = match p.slice_basis.as_deref() {
        None => SliceBasis::Memory,
        Some(s) => {
            SliceBasis::parse(s).ok_or_else(|| d.error("sliceBasis", format!("{s:?} is not memory or compute")))?
        }
    };
    let opportunistic_ppm = match p.opportunistic_factor {
        None => PPM,
        Some(f) if f.is_finite() && (0.0..=MAX_FACTOR).contains(&f) => ppm(f),
        Some(f) => return Err(d.error("opportunisticFactor", format!("{f} is not between 0 and {MAX_FACTOR}"))),
    };
    if p.rates.len() > MAX_RATES {
        return Err(d.error("rates", format!("more than {MAX_RATES} rates")));
    }
    let mut rates = Vec::with_capacity(p.rates.len());
    let mut seen = BTreeSet::new();
    for (i, r) in p.rates.iter().enumerate() {
        let field = |f: &str| format!("rates[{i}].{f}");
        let m = catalog.get(&r.model).ok_or_else(|| {
            let known = catalog.keys().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
            d.error(field("model"), format!("unknown GPU model {:?}; the catalog has {known}", r.model))
        })?;
        let per_gpu_hour = amount(r.gpu_hour).map_err(|reason| d.error(field("gpuHour"), reason))?;
        let from = r
            .effective_from
            .as_deref()
            .map(|s| {
                s.parse::<jiff::Timestamp>()
                    .map(Instant::from_timestamp)
                    .map_err(|e| d.error(field("effectiveFrom"), format!("{s:?} is not an RFC 3339 instant: {e}")))
            })
            .transpose()?;
        if !seen.insert((m.key.clone(), from)) {
            return Err(d.error(field("effectiveFrom"), format!("{} has two rates from the same instant", m.key)));
        }
        rates.push(Rate { model: m.key.clone(), from, per_gpu_hour });
    }
    rates.sort();
    if p.discounts.len() > MAX_RATES {
        return Err(d.error("discounts", format!("more than {MAX_RATES} discounts")));
    }
    let mut discounts = BTreeMap::new();
    for (i, x) in p.discounts.iter().enumerate() {
        let field = |f: &str| format!("discounts[{i}].{f}");
        check_dns_label(&x.project).map_err(|r| d.error(field("project"), r))?;
        if !(x.percent.is_finite() && (0.0..=100.0).contains(&x.percent)) {
            return Err(d.error(field("percent"), format!("{} is not between 0 and 100", x.percent)));
        }
        if discounts.insert(x.project.clone(), ppm(x.percent / 100.0)).is_some() {
            return Err(d.error(field("project"), format!("{} has two discounts", x.project)));
        }
    }
    Ok(PriceList {
        name: p.name.clone(),
        currency: p.currency.clone(),
        slice_basis,
        opportunistic_ppm,
        rates,
        discounts,
    })
}

/// A fraction in parts per million, rounded.
fn ppm(f: f64) -> i128 {
    (f * PPM as f64).round() as i128
}

/// A rate as written (a YAML or JSON number) to nano-units: its shortest decimal spelling, read exactly.
fn amount(v: f64) -> Result<Nanos, String> {
    if !v.is_finite() {
        return Err(format!("{v} is not a number"));
    }
    if v < 0.0 {
        return Err(format!("{v} is negative; a rate is at least 0"));
    }
    let n = price::parse_amount(&v.to_string())?;
    if n > MAX_RATE * NANOS {
        return Err(format!("{v} is more than {MAX_RATE} per GPU-hour"));
    }
    Ok(n)
}
