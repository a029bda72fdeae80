//! Property tests: random fleets and request sequences keep PRODUCT.md invariants 1–4.

use std::collections::BTreeMap;

use model::{
    BookingId, Catalog, Definitions, Instant, Mode, Placement, Reconfiguration, Request, ShapeKey, Slot, Status, Want,
    Window,
};
use planner::{Config, Planner};
use proptest::prelude::*;

const MODELS: [&str; 4] = ["H100-80GB", "A30-24GB", "RTX-PRO-6000-Blackwell-96GB", "L40S-48GB"];
const HOUR: i64 = 3600;
const DAY0: i64 = testkit::DAY0.0;

#[derive(Clone, Debug)]
pub(crate) struct GpuSpec {
    model: usize,
    mode: usize,
    /// Index into the model's maximal layouts for a static GPU (or none: MIG off).
    layout: Option<usize>,
}

#[derive(Clone, Debug)]
pub(crate) enum Op {
    Book { project: usize, shape: usize, count: u32, start_h: i64, hours: i64, opportunistic: bool, prio: i32 },
    Cancel(usize),
    Advance(i64),
}

impl GpuSpec {
    pub(crate) fn model_index(&self) -> usize {
        self.model
    }
}

pub(crate) fn gpu_spec() -> impl Strategy<Value = GpuSpec> {
    (0..MODELS.len(), 0..3usize, prop::option::of(0..5usize)).prop_map(|(model, mode, layout)| GpuSpec {
        model,
        mode,
        layout,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, 0..64usize, 1..4u32, 0..20i64, 1..6i64, any::<bool>(), -2..3i32).prop_map(
            |(project, shape, count, start_h, hours, opportunistic, prio)| Op::Book { project, shape, count, start_h, hours, opportunistic, prio }
        ),
        1 => (0..64usize).prop_map(Op::Cancel),
        1 => (1..6i64).prop_map(Op::Advance),
    ]
}

/// A GPU's mode from a drawn number: 0 dynamic, 1 per-gpu, 2 static; static without MIG.
pub(crate) fn reconfiguration(model: &model::GpuModel, mode: usize) -> Reconfiguration {
    match (&model.mig, mode) {
        (None, _) | (_, 2) => Reconfiguration::Static,
        (_, 0) => Reconfiguration::Dynamic,
        _ => Reconfiguration::PerGpu,
    }
}

/// A fleet of the specs, three projects in one cohort with random-ish quotas over every model.
pub(crate) fn build(catalog: &Catalog, specs: &[GpuSpec], quotas: &[(u32, Option<u32>, Option<u32>)]) -> Definitions {
    let mut fleet = testkit::fleet();
    for s in specs {
        let model = catalog.get(MODELS[s.model]).unwrap();
        let mig = model.mig.as_ref();
        let reconfiguration = reconfiguration(model, s.mode);
        let layout = match (mig, reconfiguration, s.layout) {
            (Some(g), Reconfiguration::Static, Some(l)) => {
                let all = g.maximal_layouts();
                Some(all[l % all.len()].clone())
            }
            _ => None,
        };
        fleet = fleet.gpu("n", MODELS[s.model], reconfiguration, layout);
    }
    let mut defs = testkit::definitions(fleet.build()).cohort("c", None);
    for (name, _, sel) in model::size::DEFAULT_SIZES {
        defs = defs.size(selector::resolve_size(name, None, sel, catalog).unwrap().size);
    }
    for (p, &(n, b, l)) in quotas.iter().enumerate() {
        let mut project = testkit::project(&format!("p{p}")).cohort("c").priority(p as i32);
        for m in MODELS {
            let units = catalog.get(m).unwrap().units();
            project = project.quota(m, n * units, b.map(|b| b * units), l.map(|l| l.min(n) * units));
        }
        defs = defs.project(project);
    }
    defs.build()
}

pub(crate) fn shapes_of(planner: &Planner) -> Vec<ShapeKey> {
    let mut keys: Vec<ShapeKey> = planner
        .catalog()
        .shapes()
        .into_iter()
        .filter(|s| planner.definitions().fleet.gpus().any(|g| g.model == s.key.model))
        .filter(|s| s.key.profile.as_deref().is_none_or(|p| !p.contains('+') && !p.ends_with("-me")))
        .map(|s| s.key)
        .collect();
    keys.sort();
    keys
}

fn request(planner: &Planner, op: &Op, now: Instant) -> Option<Request> {
    let Op::Book { project, shape, count, start_h, hours, opportunistic, prio } = op else { return None };
    let shapes = shapes_of(planner);
    let start = Instant(DAY0 + start_h * HOUR).max(now.ceil(HOUR));
    Some(Request {
        project: format!("p{project}"),
        owner: "prop".into(),
        want: Want::Shape(shapes[shape % shapes.len()].clone()),
        count: *count,
        window: Window::new(start, start.plus(hours * HOUR)).unwrap(),
        mode: if *opportunistic { Mode::Opportunistic } else { Mode::Reserved },
        priority: Some(*prio),
    })
}

/// Every per-gpu GPU's planned layouts are valid, hold every device booked in their epoch, and epochs are
/// apart by at least the idle gap.
fn plan_is_sound(planner: &Planner) -> Result<(), String> {
    let gap = planner.config().per_gpu_idle_gap_s;
    for gpu in planner.definitions().fleet.gpus().filter(|g| g.reconfiguration == Reconfiguration::PerGpu) {
        let plan = planner.layout_plan(&gpu.id, Instant(0));
        // From any instant, the plan is the whole plan's epochs that end after it.
        for from in plan.iter().flat_map(|e| [e.window.start, e.window.end.plus(-1), e.window.end.plus(gap / 2)]) {
            let later: Vec<_> = plan.iter().filter(|e| e.window.end > from).cloned().collect();
            if planner.layout_plan(&gpu.id, from) != later {
                return Err(format!("GPU {}: the plan from {from} is not the whole plan's rest", gpu.id));
            }
        }
        for pair in plan.windows(2) {
            if pair[1].window.start < pair[0].window.end.plus(gap) {
                return Err(format!("GPU {}: epochs {:?} closer than the gap", gpu.id, pair));
            }
        }
        let geometry = planner.catalog().get(gpu.model.as_str()).and_then(|m| m.mig.clone());
        for epoch in &plan {
            if let (Some(layout), Some(g)) = (&epoch.layout, &geometry) {
                g.validate(layout).map_err(|e| format!("GPU {}: {e}", gpu.id))?;
            }
            for b in planner.bookings().filter(|b| b.holds() && b.window().overlaps(&epoch.window)) {
                for d in b.devices.iter().filter(|d| d.gpu == gpu.id) {
                    let held = match (d.slot, &epoch.layout) {
                        (Slot::Whole, None) => true,
                        (Slot::Mig { profile, start }, Some(l)) => {
                            l.placements().contains(&Placement { profile, start })
                        }
                        _ => false,
                    };
                    if !held {
                        return Err(format!("GPU {}: booking {} is not in its epoch's layout", gpu.id, b.id));
                    }
                }
            }
        }
    }
    Ok(())
}

fn quotas() -> impl Strategy<Value = Vec<(u32, Option<u32>, Option<u32>)>> {
    prop::collection::vec((0..3u32, prop::option::of(0..3u32), prop::option::of(0..3u32)), 3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Invariants 1–3 after every step, started bookings never move, reserved bookings are never preempted.
    #[test]
    fn random_sequences_keep_the_invariants(
        specs in prop::collection::vec(gpu_spec(), 1..4),
        quotas in quotas(),
        ops in prop::collection::vec(op(), 1..40),
        gap in prop::sample::select(vec![0i64, 1800, 3 * HOUR]),
    ) {
        let catalog = Catalog::builtin();
        let config = Config { per_gpu_idle_gap_s: gap, ..Config::default() };
        let mut planner = Planner::new(catalog.clone(), build(&catalog, &specs, &quotas), config);
        let mut now = Instant(DAY0);
        for op in &ops {
            let before: BTreeMap<BookingId, _> = planner.bookings().map(|b| (b.id, b.clone())).collect();
            match op {
                Op::Advance(h) => now = now.plus(h * HOUR),
                Op::Cancel(i) => {
                    let ids: Vec<BookingId> = before.keys().copied().collect();
                    if !ids.is_empty() {
                        let _ = planner.cancel(ids[i % ids.len()], now);
                    }
                }
                Op::Book { .. } => {
                    let req = request(&planner, op, now).unwrap();
                    let (decision, id) = planner.book(&req, now);
                    prop_assert_eq!(decision.fits(), id.is_some());
                    if let Some(id) = id {
                        prop_assert_eq!(planner.booking(id).unwrap().devices.len(), req.count as usize);
                    }
                }
            }
            prop_assert!(planner.check_invariants().is_ok(), "{:?} after {:?}", planner.check_invariants(), op);
            prop_assert_eq!(plan_is_sound(&planner), Ok(()));
            for (id, old) in &before {
                let new = planner.booking(*id).unwrap();
                if old.holds() && old.started(now) && new.holds() {
                    prop_assert_eq!(&old.devices, &new.devices, "started booking {} moved", id);
                }
                if old.holds() && old.request.mode == Mode::Reserved {
                    prop_assert!(!matches!(new.ended, Some(Status::Preempted { .. })), "reserved booking {} preempted", id);
                }
            }
        }
    }

    /// Invariant 4: availability k means booking k succeeds and k + 1 fails.
    #[test]
    fn availability_never_lies(
        specs in prop::collection::vec(gpu_spec(), 1..4),
        quotas in quotas(),
        ops in prop::collection::vec(op(), 0..12),
        probe in op(),
        size in prop::option::of(0..3usize),
    ) {
        let catalog = Catalog::builtin();
        let mut planner = Planner::new(catalog.clone(), build(&catalog, &specs, &quotas), Config::default());
        let now = Instant(DAY0);
        for op in &ops {
            if let Some(req) = request(&planner, op, now) {
                planner.book(&req, now);
            }
        }
        let Some(mut req) = request(&planner, &probe, now) else { return Ok(()) };
        if let Some(s) = size {
            req.want = Want::Size(["gpu-small", "gpu-medium", "gpu-large"][s].into());
        }
        let k = match planner.availability(&req, now) {
            Ok(k) => k,
            Err(_) => {
                // Refused outright: booking even one is refused too.
                let one = Request { count: 1, ..req };
                let fits = planner.clone().book(&one, now).0.fits();
                prop_assert!(!fits, "availability refused but booking one fits");
                return Ok(());
            }
        };
        if k > 0 {
            let mut yes = planner.clone();
            let (d, _) = yes.book(&Request { count: k, ..req.clone() }, now);
            prop_assert!(d.fits(), "availability {} but booking {} gave {:?}", k, k, d.verdict);
        }
        if k < planner::MAX_COUNTED {
            let mut no = planner.clone();
            let (d, _) = no.book(&Request { count: k + 1, ..req.clone() }, now);
            prop_assert!(!d.fits(), "availability {} but booking {} fits", k, k + 1);
        }
    }
}
