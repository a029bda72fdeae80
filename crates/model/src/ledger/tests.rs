//! The ledger's arithmetic against figures computed by hand, and its properties.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::booking::{BookingId, Device, Request, Slot, Status, Want};
use crate::fleet::GpuId;
use crate::price::{NANOS, Rate};
use crate::shape::ShapeKey;

const H: i64 = 3600;

fn t(s: &str) -> Instant {
    Instant::from_timestamp(s.parse().unwrap())
}

fn h100() -> ModelKey {
    ModelKey("H100-80GB".into())
}

fn list(rates: Vec<Rate>) -> PriceList {
    PriceList {
        name: "default".into(),
        currency: "EUR".into(),
        slice_basis: SliceBasis::Memory,
        opportunistic_ppm: 500_000,
        rates,
        discounts: BTreeMap::new(),
    }
}

fn rate(per_gpu_hour: &str, from: Option<&str>) -> Rate {
    Rate { model: h100(), from: from.map(t), per_gpu_hour: price::parse_amount(per_gpu_hour).unwrap() }
}

fn prices(list: PriceList) -> Prices {
    Prices::new(vec![PriceVersion { applied_at: Instant(0), list: Some(list) }])
}

/// A booking of `count` devices of `profile` (`None`: whole GPUs) on H100s over `[start, start + hours)`.
fn booking(profile: Option<&str>, count: u32, start: Instant, hours: i64, mode: Mode) -> Booking {
    let catalog = Catalog::builtin();
    let g = catalog.get("H100-80GB").unwrap().mig.clone().unwrap();
    let shape = ShapeKey { model: h100(), profile: profile.map(str::to_string) };
    let slot = match profile {
        None => Slot::Whole,
        Some(p) => Slot::Mig { profile: g.find(p).unwrap(), start: 0 },
    };
    Booking {
        id: BookingId(1),
        request: Request {
            project: "team-x".into(),
            owner: "ada".into(),
            want: Want::Shape(shape.clone()),
            count,
            window: Window::new(start, start.plus(hours * H)).unwrap(),
            mode,
            priority: None,
        },
        priority: 0,
        devices: (0..count)
            .map(|i| Device { gpu: GpuId { node: "n".into(), index: i }, shape: shape.clone(), slot })
            .collect(),
        created: Instant(0),
        ended: None,
        ended_at: None,
    }
}

fn wide() -> Window {
    Window::new(Instant(0), t("2030-01-01T00:00:00Z")).unwrap()
}

fn one(b: &Booking, w: Window, p: &Prices) -> Charge {
    charge(b, w, p, &Catalog::builtin()).remove(&h100()).unwrap_or_default()
}

#[test]
fn a_3g40gb_on_an_h100_for_8_hours_at_2_40_costs_9_60() {
    let b = booking(Some("3g.40gb"), 1, t("2026-03-02T09:00:00Z"), 8, Mode::Reserved);
    let c = one(&b, wide(), &prices(list(vec![rate("2.40", None)])));
    // 4 of 8 memory slices × 2.40 × 8 hours.
    assert_eq!(c.cost, 9_600_000_000);
    assert_eq!(c.gpu_hours, 4.0);
    assert_eq!(c.device_hours, 8.0);
    // Priced by compute slices: 3 of 7 × 2.40 × 8 = 8.228571428…
    let compute = PriceList { slice_basis: SliceBasis::Compute, ..list(vec![rate("2.40", None)]) };
    assert_eq!(one(&b, wide(), &prices(compute)).cost, 8_228_571_429);
}

#[test]
fn cancelled_mid_window_is_charged_until_the_cancellation_and_before_start_nothing() {
    let start = t("2026-03-02T09:00:00Z");
    let p = prices(list(vec![rate("2.40", None)]));
    let mut b = booking(None, 2, start, 8, Mode::Reserved);
    b.ended = Some(Status::Cancelled);
    b.ended_at = Some(start.plus(3 * H));
    // 2 GPUs × 3 hours × 2.40.
    let c = one(&b, wide(), &p);
    assert_eq!((c.device_hours, c.gpu_hours, c.cost), (6.0, 6.0, 14_400_000_000));
    b.ended_at = Some(start.plus(-H));
    assert_eq!(one(&b, wide(), &p), Charge::default());
    assert!(charge(&b, wide(), &p, &Catalog::builtin()).is_empty());
}

#[test]
fn a_price_change_mid_month_splits_the_interval() {
    // 2.40 until noon on 15 March, 3.00 from then; a whole GPU from 08:00 to 16:00 that day.
    let p = prices(list(vec![rate("2.40", None), rate("3.00", Some("2026-03-15T12:00:00Z"))]));
    let b = booking(None, 1, t("2026-03-15T08:00:00Z"), 8, Mode::Reserved);
    // 4 h × 2.40 + 4 h × 3.00 = 21.60.
    assert_eq!(one(&b, wide(), &p).cost, 21_600_000_000);
    // A report of March's first half sees only the old price.
    let first_half = Window::new(t("2026-03-01T00:00:00Z"), t("2026-03-15T12:00:00Z")).unwrap();
    assert_eq!(one(&b, first_half, &p).cost, 9_600_000_000);
}

#[test]
fn a_later_version_never_changes_what_came_before_it() {
    let b = booking(None, 1, t("2026-03-15T08:00:00Z"), 8, Mode::Reserved);
    let mut p = prices(list(vec![rate("2.40", None)]));
    let march = Window::new(t("2026-03-01T00:00:00Z"), t("2026-04-01T00:00:00Z")).unwrap();
    let before = one(&b, march, &p);
    // In April the rate is raised, even "since always": March keeps its price.
    p.push(PriceVersion { applied_at: t("2026-04-02T00:00:00Z"), list: Some(list(vec![rate("9.99", None)])) });
    assert_eq!(one(&b, march, &p), before);
    // A version applied mid-booking prices only what follows it.
    p.push(PriceVersion { applied_at: t("2026-03-15T12:00:00Z"), list: None });
    assert_eq!(p.versions().last().unwrap().applied_at, t("2026-04-02T00:00:00Z"), "the past is not rewritten");
}

#[test]
fn opportunistic_pays_the_factor_and_a_discount_comes_off_the_end() {
    let b = booking(Some("3g.40gb"), 1, t("2026-03-02T09:00:00Z"), 8, Mode::Opportunistic);
    let mut l = list(vec![rate("2.40", None)]);
    assert_eq!(one(&b, wide(), &prices(l.clone())).cost, 4_800_000_000);
    l.discounts.insert("team-x".into(), 100_000);
    // 9.60 × 0.5 × 0.9.
    assert_eq!(one(&b, wide(), &prices(l)).cost, 4_320_000_000);
}

#[test]
fn a_month_boundary_in_a_non_utc_time_zone() {
    // 22:00 UTC on 31 March to 02:00 UTC on 1 April: all of it is April in Berlin (UTC+2), half in UTC.
    let b = booking(None, 1, t("2026-03-31T22:00:00Z"), 4, Mode::Reserved);
    let p = prices(list(vec![rate("2.40", None)]));
    let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    let utc = jiff::tz::TimeZone::UTC;
    let in_march = |tz: &jiff::tz::TimeZone| one(&b, crate::time::month_of(t("2026-03-15T00:00:00Z"), tz).unwrap(), &p);
    let in_april = |tz: &jiff::tz::TimeZone| one(&b, crate::time::month_of(t("2026-04-15T00:00:00Z"), tz).unwrap(), &p);
    assert_eq!(in_march(&berlin), Charge::default());
    assert_eq!(in_april(&berlin).cost, 9_600_000_000);
    assert_eq!(in_march(&utc).cost, 4_800_000_000);
    assert_eq!(in_april(&utc).cost, 4_800_000_000);
}

#[test]
fn a_model_without_a_rate_costs_nothing_but_its_hours_count() {
    let b = booking(None, 1, t("2026-03-02T09:00:00Z"), 2, Mode::Reserved);
    let mut l = list(vec![]);
    l.rates.push(Rate { model: ModelKey("A100-40GB".into()), from: None, per_gpu_hour: NANOS });
    let c = one(&b, wide(), &prices(l));
    assert_eq!((c.gpu_hours, c.cost), (2.0, 0));
    assert_eq!(one(&b, wide(), &Prices::default()).gpu_hours, 2.0);
}

proptest! {
    /// Splitting a report window anywhere gives parts that add up to the whole (to rounding of the parts),
    /// and a booking is never charged for more than its window.
    #[test]
    fn windows_add_up(start_h in 0i64..48, hours in 1i64..48, cut_h in 0i64..100, change_h in 0i64..100,
                      cancel_h in proptest::option::of(0i64..100), opportunistic in any::<bool>()) {
        let day = t("2026-03-01T00:00:00Z");
        let mode = if opportunistic { Mode::Opportunistic } else { Mode::Reserved };
        let mut b = booking(Some("2g.20gb"), 3, day.plus(start_h * H), hours, mode);
        if let Some(c) = cancel_h {
            b.ended = Some(Status::Cancelled);
            b.ended_at = Some(day.plus(c * H));
        }
        let p = prices(list(vec![rate("2.40", None), rate("3.10", Some("2026-03-02T00:00:00Z"))
            .clone_with_from(day.plus(change_h * H))]));
        let all = Window::new(day, day.plus(200 * H)).unwrap();
        let cut = day.plus(cut_h * H);
        let whole = one(&b, all, &p);
        let parts: Vec<Charge> = [Window::new(day, cut), Window::new(cut, all.end)]
            .into_iter()
            .flatten()
            .map(|w| one(&b, w, &p))
            .collect();
        let cost: i128 = parts.iter().map(|c| c.cost).sum();
        let gpu_hours: f64 = parts.iter().map(|c| c.gpu_hours).sum();
        // Each part rounds each device's segments to the nano-unit: a cut adds at most one per device.
        prop_assert!((cost - whole.cost).abs() <= 3);
        prop_assert!((gpu_hours - whole.gpu_hours).abs() < 1e-9);
        prop_assert!(whole.device_hours <= (3 * hours) as f64 + 1e-9);
        prop_assert!(whole.gpu_hours <= whole.device_hours);
    }
}

impl Rate {
    fn clone_with_from(&self, from: Instant) -> Rate {
        Rate { from: Some(from), ..self.clone() }
    }
}
