//! Invariant 4, "the calendar never lies": when availability says k, booking k at once fits, so do k
//! single-device bookings in sequence, and the (k + 1)-th fails either way. Small fleets of per-gpu GPUs
//! with declared layouts (MIG off, all-balanced, other maximal layouts), static and dynamic GPUs; two
//! projects in a cohort with nominal and borrowing quota, so requests borrow and reserved ones reclaim;
//! cancellations between bookings; windows starting now (the running per-gpu layout) or later; shapes and
//! sizes. Where the fleet is tiny and nothing has started, a refusal on room is also held to the
//! brute-force oracle.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use model::{BookingId, Catalog, Definitions, Gpu, Instant, Mode, Reconfiguration, Request, ShapeKey, Want, Window};
use planner::{Config, Planner};
use proptest::prelude::*;

use crate::oracle::arrangement_exists;

/// A100-40GB first and most often: per-gpu A100s are where the calendar was found to lie.
const MODELS: [&str; 5] = ["A100-40GB", "H100-80GB", "A30-24GB", "RTX-PRO-6000-Blackwell-96GB", "H200-141GB"];
const SIZES: [&str; 3] = ["gpu-small", "gpu-medium", "gpu-large"];
const QUARTER: i64 = 900;
/// Now: 06:00 on day 0 of the scenarios (2026-01-05).
const NOW: i64 = testkit::DAY0.0 + 6 * 3600;

#[derive(Clone, Debug)]
struct Spec {
    model: usize,
    /// 0 dynamic, 1 per-gpu, 2 static.
    mode: usize,
    /// The declared layout: `None` MIG off, `Some(0)` all-balanced, `Some(i)` the model's i-th maximal
    /// layout.
    layout: Option<usize>,
}

#[derive(Clone, Debug)]
struct Ask {
    project: usize,
    /// A shape (of the model of the fleet's GPU at the first index, the second indexing its shapes) or a
    /// size.
    want: Result<(usize, usize), usize>,
    count: u32,
    /// Quarter hours after now.
    start_q: i64,
    len_q: i64,
    opportunistic: bool,
}

#[derive(Clone, Debug)]
enum Op {
    Book(Ask),
    Cancel(usize),
}

fn spec() -> impl Strategy<Value = Spec> {
    let model = prop_oneof![3 => Just(0usize), 2 => 1..MODELS.len()];
    let mode = prop_oneof![2 => Just(1usize), 1 => Just(0usize), 1 => Just(2usize)];
    let layout = prop_oneof![1 => Just(None), 2 => Just(Some(0usize)), 1 => (1..40usize).prop_map(Some)];
    (model, mode, layout).prop_map(|(model, mode, layout)| Spec { model, mode, layout })
}

/// `lender`: the project that mostly books (the other one mostly asks), opportunistic with odds `opp` in 4.
fn ask(lender: usize, opp: u32) -> impl Strategy<Value = Ask> {
    let want = prop_oneof![4 => (0..4usize, 0..16usize).prop_map(Ok), 1 => (0..SIZES.len()).prop_map(Err)];
    let project = prop_oneof![3 => Just(lender), 1 => Just(1 - lender)];
    let opportunistic = prop::bool::weighted(f64::from(opp) / 4.0);
    (project, want, 1..5u32, prop_oneof![1 => Just(0i64), 3 => 0..12i64], 1..17i64, opportunistic).prop_map(
        |(project, want, count, start_q, len_q, opportunistic)| Ask {
            project,
            want,
            count,
            start_q,
            len_q,
            opportunistic,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![5 => ask(1, 3).prop_map(Op::Book), 1 => (0..16usize).prop_map(Op::Cancel)]
}

/// The built-in catalog and the default sizes, made once: reading the catalog and compiling the sizes' CEL
/// take longer than a case.
static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
static SIZE_DEFS: LazyLock<BTreeMap<String, model::Size>> = LazyLock::new(|| {
    model::size::DEFAULT_SIZES
        .iter()
        .map(|(name, _, sel)| (name.to_string(), selector::resolve_size(name, None, sel, &CATALOG).unwrap().size))
        .collect()
});

/// Per project and model: nominal and borrowing limit, in halves of a GPU.
type Terms = Vec<(u32, Option<u32>)>;

fn terms() -> impl Strategy<Value = Terms> {
    prop::collection::vec((0..5u32, prop::option::of(0..5u32)), 2 * MODELS.len())
}

fn definitions(catalog: &Catalog, specs: &[Spec], terms: &Terms) -> Definitions {
    let mut fleet = testkit::fleet();
    for s in specs {
        let model = catalog.get(MODELS[s.model]).unwrap();
        let mig = model.mig.as_ref();
        let reconfiguration = crate::props::reconfiguration(model, s.mode);
        let layout = match (mig, reconfiguration, s.layout) {
            (Some(_), Reconfiguration::Dynamic, _) | (_, _, None) | (None, _, _) => None,
            (Some(g), _, Some(0)) => g.layout_named("all-balanced"),
            (Some(g), _, Some(l)) => {
                let all = g.maximal_layouts();
                Some(all[l % all.len()].clone())
            }
        };
        fleet = fleet.gpu("n", MODELS[s.model], reconfiguration, layout);
    }
    let mut defs = testkit::definitions(fleet.build()).cohort("c", None);
    for size in SIZE_DEFS.values() {
        defs = defs.size(size.clone());
    }
    for p in 0..2 {
        let mut project = testkit::project(&format!("p{p}")).cohort("c");
        for (m, key) in MODELS.iter().enumerate() {
            let units = catalog.get(key).unwrap().units();
            let (nominal, borrow) = terms[p * MODELS.len() + m];
            let halves = |h: u32| h * units / 2;
            project = project.quota(key, halves(nominal), borrow.map(halves), None);
        }
        defs = defs.project(project);
    }
    defs.build()
}

/// The shapes of the model of the fleet's `i`-th GPU (wrapping around), without the media-extension variants.
fn shapes(planner: &Planner, i: usize) -> Vec<ShapeKey> {
    let gpus: Vec<&Gpu> = planner.definitions().fleet.gpus().collect();
    let model = &gpus[i % gpus.len()].model;
    let mut keys: Vec<ShapeKey> = planner
        .catalog()
        .shapes()
        .into_iter()
        .filter(|s| &s.key.model == model)
        .filter(|s| s.key.profile.as_deref().is_none_or(|p| !p.contains('+') && !p.ends_with("-me")))
        .map(|s| s.key)
        .collect();
    keys.sort();
    keys
}

fn request(planner: &Planner, ask: &Ask, count: u32) -> Request {
    let start = Instant(NOW + ask.start_q * QUARTER);
    let want = match ask.want {
        Ok((g, s)) => {
            let all = shapes(planner, g);
            Want::Shape(all[s % all.len()].clone())
        }
        Err(s) => Want::Size(SIZES[s].into()),
    };
    Request {
        project: format!("p{}", ask.project),
        owner: "prop".into(),
        want,
        count,
        window: Window::new(start, start.plus(ask.len_q * QUARTER)).unwrap(),
        mode: if ask.opportunistic { Mode::Opportunistic } else { Mode::Reserved },
        priority: None,
    }
}

/// Reason codes of a refusal on quota rather than room.
const QUOTA: [planner::ReasonCode; 4] = [
    planner::ReasonCode::NoQuota,
    planner::ReasonCode::ExceedsNominal,
    planner::ReasonCode::ExceedsBorrowingLimit,
    planner::ReasonCode::CohortExhausted,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn available_k_means_k_book_one_by_one_and_no_more(
        specs in prop::collection::vec(spec(), 1..4),
        terms in terms(),
        ops in prop::collection::vec(op(), 0..12),
        probe in ask(0, 1),
        gap in prop_oneof![3 => Just(0i64), 1 => Just(1800i64)],
    ) {
        let catalog = &*CATALOG;
        let config = Config { per_gpu_idle_gap_s: gap, search_not_before: false, ..Config::default() };
        let mut planner = Planner::new(catalog.clone(), definitions(catalog, &specs, &terms), config);
        let now = Instant(NOW);
        for op in &ops {
            match op {
                Op::Book(ask) => {
                    planner.book(&request(&planner, ask, ask.count), now);
                }
                Op::Cancel(i) => {
                    let ids: Vec<BookingId> = planner.bookings().filter(|b| b.holds()).map(|b| b.id).collect();
                    if !ids.is_empty() {
                        planner.cancel(ids[i % ids.len()], now).unwrap();
                    }
                }
            }
        }
        let one = request(&planner, &probe, 1);
        let k = match planner.availability(&one, now) {
            Ok(k) => k,
            Err(_) => {
                prop_assert!(!planner.admit(&one, now).fits(), "availability refused but one device fits");
                return Ok(());
            }
        };
        // At once.
        if k > 0 {
            let d = planner.clone().book(&Request { count: k, ..one.clone() }, now).0;
            prop_assert!(d.fits(), "available {} but booking {} at once: {:?} {:?}", k, k, d.verdict, d.reasons);
        }
        let d = planner.clone().book(&Request { count: k + 1, ..one.clone() }, now).0;
        prop_assert!(!d.fits(), "available {} but {} fit at once", k, k + 1);
        // One by one.
        let mut seq = planner.clone();
        for i in 0..k {
            let d = seq.book(&one, now).0;
            prop_assert!(d.fits(), "available {} but single booking {} of them: {:?} {:?}", k, i + 1, d.verdict, d.reasons);
            prop_assert_eq!(seq.check_invariants(), Ok(()));
        }
        let last = seq.admit(&one, now);
        prop_assert!(!last.fits(), "available {} but a single booking {} fits too", k, k + 1);
        // The oracle: on tiny fleets, with nothing started and room (not quota) refusing, no arrangement of
        // every device and one more exists.
        let Want::Shape(shape) = &one.want else { return Ok(()) };
        let devices: usize = seq.bookings().filter(|b| b.holds()).map(|b| b.devices.len()).sum();
        let model_gpus = specs.iter().filter(|s| MODELS[s.model] == shape.model.as_str()).count();
        let started = seq.bookings().any(|b| b.holds() && b.started(now)) || one.window.start <= now;
        let on_quota = last.reasons.iter().any(|r| QUOTA.contains(&r.code));
        if gap == 0 && model_gpus <= 2 && devices < 5 && !started && !on_quota {
            let exists = arrangement_exists(&seq, catalog, shape, one.window, 200_000);
            prop_assert_ne!(exists, Some(true), "refused {} for {:?}, but an arrangement exists", shape, one.window);
        }
    }
}
