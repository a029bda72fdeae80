//! A brute-force oracle on tiny fleets: when the planner refuses a device, no arrangement of all the
//! bookings that have not started (each re-placed anywhere its shape fits) plus the new device exists.
//! The oracle checks validity on its own, naively, independently of the planner's calendar code.

use std::collections::BTreeSet;

use model::{
    Catalog, Gpu, Instant, Layout, MigGeometry, Mode, Placement, Reconfiguration, Request, ShapeKey, Slot, Want, Window,
};
use planner::{Config, Planner};
use proptest::prelude::*;

use crate::props::{GpuSpec, build, gpu_spec, shapes_of};

const HOUR: i64 = 3600;
const DAY0: i64 = testkit::DAY0.0;

/// One device to place: its shape and window.
#[derive(Clone, Debug)]
struct Want1 {
    shape: ShapeKey,
    window: Window,
}

fn slots_for(gpu: &Gpu, geometry: Option<&MigGeometry>, shape: &ShapeKey) -> Vec<Slot> {
    if gpu.model != shape.model {
        return vec![];
    }
    match (&shape.profile, geometry) {
        (None, _) => vec![Slot::Whole],
        (Some(p), Some(g)) => {
            let idx = g.find(p).unwrap();
            g.profile(idx).starts.iter().map(|&start| Slot::Mig { profile: idx, start }).collect()
        }
        (Some(_), None) => vec![],
    }
}

fn layout_ok(geometry: Option<&MigGeometry>, slots: &BTreeSet<Slot>) -> bool {
    if slots.contains(&Slot::Whole) {
        return slots.len() == 1;
    }
    let Some(g) = geometry else { return slots.is_empty() };
    let ps = slots
        .iter()
        .map(|s| match *s {
            Slot::Mig { profile, start } => Placement { profile, start },
            Slot::Whole => unreachable!(),
        })
        .collect();
    g.validate(&Layout::new(ps)).is_ok()
}

/// Naive validity of the devices held on one GPU (gap 0, nothing running yet).
fn gpu_ok(gpu: &Gpu, geometry: Option<&MigGeometry>, held: &[(Slot, Window)]) -> bool {
    if gpu.reconfiguration == Reconfiguration::Static {
        let fixed: BTreeSet<Slot> = match &gpu.layout {
            None => [Slot::Whole].into(),
            Some(l) => l.placements().iter().map(|p| Slot::Mig { profile: p.profile, start: p.start }).collect(),
        };
        if held.iter().any(|(s, _)| !fixed.contains(s)) {
            return false;
        }
    }
    for (_, w) in held {
        let active: Vec<Slot> = held.iter().filter(|(_, x)| x.contains(w.start)).map(|(s, _)| *s).collect();
        let set: BTreeSet<Slot> = active.iter().copied().collect();
        if set.len() != active.len() || !layout_ok(geometry, &set) {
            return false;
        }
    }
    if gpu.reconfiguration == Reconfiguration::PerGpu {
        // Epochs: windows chained by overlap; each epoch runs one layout.
        for (_, w) in held {
            let mut epoch = *w;
            loop {
                let grown = held
                    .iter()
                    .filter(|(_, x)| x.overlaps(&epoch))
                    .fold(epoch, |e, (_, x)| Window { start: e.start.min(x.start), end: e.end.max(x.end) });
                if grown == epoch {
                    break;
                }
                epoch = grown;
            }
            let slots: BTreeSet<Slot> = held.iter().filter(|(_, x)| x.overlaps(&epoch)).map(|(s, _)| *s).collect();
            if !layout_ok(geometry, &slots) {
                return false;
            }
        }
    }
    true
}

/// Depth-first search for an arrangement of every device; `None` once `budget` placements were tried.
fn arrange(
    gpus: &[(Gpu, Option<MigGeometry>)],
    devices: &[Want1],
    held: &mut Vec<Vec<(Slot, Window)>>,
    budget: &mut usize,
) -> Option<bool> {
    let Some((first, rest)) = devices.split_first() else { return Some(true) };
    for (gi, (gpu, geo)) in gpus.iter().enumerate() {
        for slot in slots_for(gpu, geo.as_ref(), &first.shape) {
            *budget = budget.checked_sub(1)?;
            held[gi].push((slot, first.window));
            let found = gpu_ok(gpu, geo.as_ref(), &held[gi]) && arrange(gpus, rest, held, budget)?;
            held[gi].pop();
            if found {
                return Some(true);
            }
        }
    }
    Some(false)
}

/// Whether the devices of every holding booking and one more device of `shape` for `window` can all be
/// placed on the fleet, each anywhere its shape fits (gap 0, nothing started); `None` when the search gave
/// up after `budget` placements tried.
pub(crate) fn arrangement_exists(
    planner: &Planner,
    catalog: &Catalog,
    shape: &ShapeKey,
    window: Window,
    budget: usize,
) -> Option<bool> {
    let mut devices: Vec<Want1> = planner
        .bookings()
        .filter(|b| b.holds())
        .flat_map(|b| b.devices.iter().map(move |d| Want1 { shape: d.shape.clone(), window: b.window() }))
        .collect();
    devices.push(Want1 { shape: shape.clone(), window });
    let gpus: Vec<(Gpu, Option<MigGeometry>)> = planner
        .definitions()
        .fleet
        .gpus()
        .map(|g| (g.clone(), catalog.get(g.model.as_str()).unwrap().mig.clone()))
        .collect();
    let mut held = vec![Vec::new(); gpus.len()];
    arrange(&gpus, &devices, &mut held, &mut { budget })
}

fn small_spec() -> impl Strategy<Value = GpuSpec> {
    // H100 or A30 only: small placement tables keep the exhaustive search quick.
    gpu_spec().prop_filter("H100 or A30", |s| s.model_index() <= 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_packer_refuses_only_what_no_arrangement_fits(
        specs in prop::collection::vec(small_spec(), 1..3),
        existing in prop::collection::vec((0..16usize, 0..4i64, 1..3i64), 0..4),
        probe in (0..16usize, 0..4i64, 1..3i64),
    ) {
        let catalog = Catalog::builtin();
        // Quotas far above the fleet: only placement can refuse.
        let defs = build(&catalog, &specs, &[(64, None, None), (64, None, None), (64, None, None)]);
        let mut planner = Planner::new(catalog.clone(), defs, Config::default());
        let now = Instant(DAY0);
        let shapes = shapes_of(&planner);
        let req = |(s, start, hours): (usize, i64, i64)| {
            let start = Instant(DAY0 + (1 + start) * HOUR);
            Request {
                project: "p0".into(),
                owner: "oracle".into(),
                want: Want::Shape(shapes[s % shapes.len()].clone()),
                count: 1,
                window: Window::new(start, start.plus(hours * HOUR)).unwrap(),
                mode: Mode::Reserved,
                priority: None,
            }
        };
        for e in &existing {
            planner.book(&req(*e), now);
        }
        let probe = req(probe);
        if planner.admit(&probe, now).fits() {
            return Ok(());
        }
        let Want::Shape(shape) = &probe.want else { unreachable!() };
        prop_assert!(
            arrangement_exists(&planner, &catalog, shape, probe.window, usize::MAX) == Some(false),
            "the planner refused {} for {:?} but an arrangement exists; bookings: {:?}",
            shape, probe.window, planner.bookings().map(|b| (&b.devices, b.window())).collect::<Vec<_>>()
        );
    }
}
