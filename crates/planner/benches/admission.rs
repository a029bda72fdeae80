//! Admission latency at 10, 1,000 and 10,000 GPUs with a 90-day calendar of about 100 bookings per GPU.
#![allow(unsafe_code)] // the counting allocator of the memory measurement
//!
//! `cargo bench -p planner --bench admission` (add `-- --quick` for 10 and 1,000 GPUs only). Each fleet is
//! H100-80GB GPUs in dynamic mode; each GPU's first 80 days hold back-to-back maximal MIG layouts whose
//! every instance is booked, the last 10 days are free. Requests are answered with `Planner::admit` (the
//! full decision, nothing committed): "fits" requests ask for one slice in the free days, "refused"
//! requests ask for a whole GPU for 48 hours or a 3g.40gb for 4 hours in the busy days (the answer is then
//! "not before" the free days), or, for a project whose one-GPU quota is held on days 81 to 85, a 1g.10gb
//! on those days (refused on quota; "not before" day 85).
//! Memory per booking comes from a counting allocator around loading the calendar (`Planner::restore_all`,
//! as the server loads its database). The console calendar's query is timed too: a week of hourly
//! availability cells of a 1g.10gb, each counted up to 50 (`Planner::availability_slots_up_to`).

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant as Clock;

use model::{
    Booking, BookingId, Catalog, Definitions, Device, GpuId, Instant, Limits, Mode, ModelKey, Project, Quota,
    Reconfiguration, Request, ShapeKey, Slices, Slot, Want, Window,
};
use planner::{Config, Planner, Verdict};

struct Counting;
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const DAY: i64 = 86_400;
const T0: i64 = testkit::DAY0.0;
use testkit::Rng;

fn definitions(gpus: u32) -> Definitions {
    let fleet = testkit::fleet().gpus("node", "H100-80GB", gpus, 8, Reconfiguration::Dynamic).build();
    let bench = testkit::project("bench").cohort("org").quota("H100-80GB", gpus * 8, None, None);
    let mut defs = testkit::definitions(fleet).cohort("org", None).project(bench).build();
    defs.projects.insert("small".to_string(), small());
    defs
}

/// A project of its own cohort with one GPU of nominal quota, to be refused on quota.
fn small() -> Project {
    let model = ModelKey("H100-80GB".into());
    let quota = Quota { model: model.clone(), nominal: Slices(8), borrowing_limit: None, lending_limit: None };
    Project {
        name: "small".into(),
        namespace: "small".into(),
        cohort: None,
        priority: 0,
        quotas: [(model, quota)].into(),
        sizes: None,
        limits: Limits::default(),
    }
}

/// Loads ~100 bookings per GPU over 80 busy days; returns the planner and the number of bookings.
fn load(gpus: u32, rng: &mut Rng) -> (Planner, usize) {
    let catalog = Catalog::builtin();
    let model = catalog.get("H100-80GB").unwrap();
    let geometry = model.mig.clone().unwrap();
    let layouts = geometry.maximal_layouts();
    let mut planner = Planner::new(catalog.clone(), definitions(gpus), Config::default());
    let ids: Vec<GpuId> = planner.definitions().fleet.gpus().map(|g| g.id.clone()).collect();
    let mut next = 1u64;
    let mut all: Vec<Booking> = Vec::new();
    for id in ids {
        let mut t = T0;
        while t < T0 + 80 * DAY {
            // Segments of 2 to 5 days, each running one maximal layout with every instance booked: about 100
            // bookings per GPU over the 80 busy days.
            let len = (48 + rng.below(73) as i64) * 3600;
            let end = (t + len).min(T0 + 80 * DAY);
            let layout = &layouts[rng.below(layouts.len() as u64) as usize];
            for p in layout.placements() {
                let profile = &geometry.profile(p.profile).name;
                let shape = ShapeKey::mig(&model.key, profile);
                let window = Window::new(Instant(t), Instant(end)).unwrap();
                let booking = Booking {
                    id: BookingId(next),
                    request: Request {
                        project: "bench".into(),
                        owner: "bench".into(),
                        want: Want::Shape(shape.clone()),
                        count: 1,
                        window,
                        mode: Mode::Reserved,
                        priority: None,
                    },
                    priority: 0,
                    devices: vec![Device {
                        gpu: id.clone(),
                        shape,
                        slot: Slot::Mig { profile: p.profile, start: p.start },
                    }],
                    created: Instant(T0 - DAY),
                    ended: None,
                    ended_at: None,
                };
                all.push(booking);
                next += 1;
            }
            t = end;
        }
    }
    // Project "small" holds its whole quota, one GPU, for days 81 to 85.
    let gpu = planner.definitions().fleet.gpus().next().expect("a GPU").id.clone();
    let shape = ShapeKey::whole(&ModelKey("H100-80GB".into()));
    let window = Window::new(Instant(T0 + 81 * DAY), Instant(T0 + 85 * DAY)).unwrap();
    let request = Request {
        project: "small".into(),
        owner: "small".into(),
        want: Want::Shape(shape.clone()),
        count: 1,
        window,
        mode: Mode::Reserved,
        priority: None,
    };
    let devices = vec![Device { gpu, shape, slot: Slot::Whole }];
    let booking = Booking {
        id: BookingId(next),
        request,
        priority: 0,
        devices,
        created: Instant(T0),
        ended: None,
        ended_at: None,
    };
    all.push(booking);
    // As the server loads its database: all at once, the free-units index built once at the end.
    let refused = planner.restore_all(all);
    assert!(refused.is_empty(), "synthetic bookings are valid: {refused:?}");
    (planner, next as usize)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Row {
    gpus: u32,
    bookings: usize,
    bytes_per_booking: f64,
    load_s: f64,
    fits: (f64, f64, usize),
    refused: (f64, f64, usize),
    /// p50 and p99 per kind of refusal: whole GPU, 3g slice, quota.
    by_kind: [(f64, f64, usize); 3],
    /// The console's calendar: one week of hourly availability of a 1g.10gb, counted up to 50, in ms, for a
    /// busy week (days 10 to 17), the week the busy days end (77 to 84) and a free week (81 to 88); and the
    /// cells of the free week summed.
    calendar: [f64; 3],
    free_cells: u32,
}

/// Milliseconds for the console calendar's week of hourly cells (the median of three runs), and the cells.
fn calendar_week(planner: &Planner, now: Instant, from_day: i64) -> (f64, u32) {
    let want = Want::Shape(ShapeKey::mig(&ModelKey("H100-80GB".into()), "1g.10gb"));
    let week = Window::new(Instant(T0 + from_day * DAY), Instant(T0 + (from_day + 7) * DAY)).unwrap();
    let mut runs = Vec::new();
    let mut cells = 0;
    for _ in 0..3 {
        let t = Clock::now();
        let slots = planner
            .availability_slots_up_to("bench", &want, week, (3600, 50), Mode::Reserved, now)
            .expect("a valid query");
        runs.push(t.elapsed().as_secs_f64() * 1e3);
        cells = slots.iter().map(|(_, n)| n).sum();
    }
    runs.sort_by(f64::total_cmp);
    (runs[1], cells)
}

fn measure(gpus: u32, samples: usize) -> Row {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ u64::from(gpus));
    let before = ALLOCATED.load(Ordering::Relaxed);
    let started = Clock::now();
    let (planner, bookings) = load(gpus, &mut rng);
    let load_s = started.elapsed().as_secs_f64();
    let bytes_per_booking = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / bookings as f64;
    let now = Instant(T0 - DAY);
    let shape = |p: &str| Want::Shape(ShapeKey::mig(&ModelKey("H100-80GB".into()), p));
    let mut fits = Vec::new();
    let mut refused = Vec::new();
    let mut by_kind: [Vec<f64>; 3] = Default::default();
    for i in 0..samples * 2 {
        let accept = i % 2 == 0;
        let (project, want, day, hours) = if accept {
            ("bench", shape(["1g.10gb", "2g.20gb", "3g.40gb"][i % 3]), 81 + rng.below(8) as i64, 4)
        } else {
            match (i / 2) % 3 {
                0 => {
                    ("bench", Want::Shape(ShapeKey::whole(&ModelKey("H100-80GB".into()))), 1 + rng.below(70) as i64, 48)
                }
                1 => ("bench", shape("3g.40gb"), 1 + rng.below(70) as i64, 4),
                _ => ("small", shape("1g.10gb"), 81 + rng.below(3) as i64, 4),
            }
        };
        let start = Instant(T0 + day * DAY + rng.below(24) as i64 * 3600);
        let req = Request {
            project: project.into(),
            owner: project.into(),
            want,
            count: 1,
            window: Window::new(start, start.plus(hours * 3600)).unwrap(),
            mode: Mode::Reserved,
            priority: None,
        };
        let t = Clock::now();
        let decision = planner.admit(&req, now);
        let us = t.elapsed().as_secs_f64() * 1e6;
        // The figures are only worth something if each request got the answer the calendar implies.
        assert_eq!(decision.fits(), accept, "{req:?}: {decision:?}");
        assert!(accept || matches!(decision.verdict, Verdict::NotBefore(_)), "{req:?}: {decision:?}");
        if accept {
            fits.push(us)
        } else {
            refused.push(us);
            by_kind[(i / 2) % 3].push(us);
        }
    }
    let stats = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        if v.is_empty() { (f64::NAN, f64::NAN, 0) } else { (percentile(&v, 0.5), percentile(&v, 0.99), v.len()) }
    };
    let by_kind = by_kind.map(stats);
    let (busy, _) = calendar_week(&planner, now, 10);
    let (edge, _) = calendar_week(&planner, now, 77);
    let (free, free_cells) = calendar_week(&planner, now, 81);
    Row {
        gpus,
        bookings,
        bytes_per_booking,
        load_s,
        fits: stats(fits),
        refused: stats(refused),
        by_kind,
        calendar: [busy, edge, free],
        free_cells,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let profile = std::env::args().any(|a| a == "--profile-refusals");
    let sizes: &[(u32, usize)] = if profile {
        &[(10, 10), (3000, 40)]
    } else if quick {
        &[(10, 400), (1000, 100)]
    } else {
        &[(10, 400), (1000, 200), (10_000, 200)]
    };
    let rows: Vec<Row> = sizes.iter().map(|&(g, n)| measure(g, n)).collect();
    let base = &rows[0];
    println!(
        "| GPUs | bookings | bytes/booking | load s | fits p50 µs | fits p99 µs | refused p50 µs | refused p99 µs | fits p50 ×10-GPU | refused p50 ×10-GPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} |",
            r.gpus,
            r.bookings,
            r.bytes_per_booking,
            r.load_s,
            r.fits.0,
            r.fits.1,
            r.refused.0,
            r.refused.1,
            r.fits.0 / base.fits.0,
            r.refused.0 / base.refused.0
        );
        eprintln!("({} GPUs: {} fitting and {} refused requests timed)", r.gpus, r.fits.2, r.refused.2);
        for (kind, (p50, p99, n)) in ["whole GPU 48 h", "3g.40gb 4 h", "quota"].iter().zip(r.by_kind) {
            eprintln!("  refused, {kind}: p50 {p50:.0} µs, p99 {p99:.0} µs ({n})");
        }
    }
    println!();
    println!(
        "| GPUs | calendar week, busy ms | calendar week, busy days end ms | calendar week, free ms | free week cells |"
    );
    println!("|---|---|---|---|---|");
    for r in &rows {
        let [busy, edge, free] = r.calendar;
        println!("| {} | {busy:.1} | {edge:.1} | {free:.1} | {} |", r.gpus, r.free_cells);
    }
}
