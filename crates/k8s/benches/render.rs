//! How long rendering the cluster's objects takes, in its two steps: taking the snapshot (inside the server's
//! engine, so writes wait for it) and building the objects from it (outside), each against the floor of any
//! render that looks at every booking: a scan of all bookings for those active at the instant, measured in
//! the same run.
//!
//! `cargo bench -p k8s --bench render` (add `-- --quick` for 100 and 1,000 GPUs only). Each fleet is
//! H100-80GB GPUs in per-gpu mode (the MIG manager's), 8 to a node, over a 90-day calendar: segments of 2 to
//! 5 days, each running one maximal MIG layout with every instance booked (one booking per instance), an
//! hour idle between segments (the idle gap is 30 minutes). Rendered at day 40: about 40 days of history
//! behind, 50 ahead. The server takes a snapshot every reconcile interval and for `GET /k8s/objects`. Each
//! fleet is rendered in both queue modes (`--k8s-queues`); the first pass is every object, as YAML bytes.
//! Every object's annotations must stay within the API server's 256 KiB.

use std::time::Instant as Clock;

use k8s::render::QueueMode;
use model::{
    Booking, BookingId, Catalog, Definitions, Device, GpuId, Instant, Mode, Reconfiguration, Request, ShapeKey, Slot,
    Want, Window,
};
use planner::{Config, Planner};

use testkit::{DAY, DAY0, Rng};

const T0: i64 = DAY0.0;

fn definitions(gpus: u32) -> Definitions {
    let fleet = testkit::fleet().gpus("node", "H100-80GB", gpus, 8, Reconfiguration::PerGpu).build();
    testkit::definitions(fleet).project(testkit::project("bench").quota("H100-80GB", gpus * 8, None, None)).build()
}

fn load(gpus: u32) -> Planner {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let catalog = Catalog::builtin();
    let model = catalog.get("H100-80GB").unwrap();
    let geometry = model.mig.clone().unwrap();
    let layouts = geometry.maximal_layouts();
    let config = Config { per_gpu_idle_gap_s: 1800, ..Config::default() };
    let mut planner = Planner::new(catalog.clone(), definitions(gpus), config);
    let ids: Vec<GpuId> = planner.definitions().fleet.gpus().map(|g| g.id.clone()).collect();
    let mut all = Vec::new();
    for id in ids {
        let mut t = T0;
        while t < T0 + 90 * DAY {
            let end = t + (48 + rng.below(73) as i64) * 3600;
            let layout = &layouts[rng.below(layouts.len() as u64) as usize];
            for p in layout.placements() {
                let shape = ShapeKey::mig(&model.key, &geometry.profile(p.profile).name);
                let request = Request {
                    project: "bench".into(),
                    owner: "bench".into(),
                    want: Want::Shape(shape.clone()),
                    count: 1,
                    window: Window::new(Instant(t), Instant(end)).unwrap(),
                    mode: Mode::Reserved,
                    priority: None,
                };
                let slot = Slot::Mig { profile: p.profile, start: p.start };
                all.push(Booking {
                    id: BookingId(all.len() as u64 + 1),
                    request,
                    priority: 0,
                    devices: vec![Device { gpu: id.clone(), shape, slot }],
                    created: Instant(T0 - DAY),
                    ended: None,
                    ended_at: None,
                });
            }
            t = end + 3600;
        }
    }
    let refused = planner.restore_all(all);
    assert!(refused.is_empty(), "synthetic bookings are valid: {refused:?}");
    planner
}

fn median_ms(runs: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::new();
    let mut out = 0;
    for _ in 0..runs {
        let t = Clock::now();
        out = std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], out)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[u32] = if quick { &[100, 1_000] } else { &[100, 1_000, 10_000] };
    println!(
        "| GPUs | queues | bookings | live at day 40 | objects | largest | first pass (YAML) | scan p50 | snapshot p50 | build p50 | YAML p50 |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &gpus in sizes {
        let planner = load(gpus);
        let at = Instant(T0 + 40 * DAY + 7 * 3600);
        let runs = if gpus >= 10_000 { 5 } else { 15 };
        let (scan, live) =
            median_ms(runs, || planner.bookings().filter(|b| b.holds() && b.window().contains(at)).count());
        for (mode, queues) in [("per-booking", QueueMode::PerBooking), ("per-project", QueueMode::PerProject)] {
            let opts = k8s::Options { queues, ..k8s::Options::default() };
            let (take, _) = median_ms(runs, || k8s::Snapshot::take(&planner, at, &opts).at().0 as usize);
            let snapshot = k8s::Snapshot::take(&planner, at, &opts);
            let (build, objects) = median_ms(runs, || snapshot.render().len());
            let rendered = snapshot.render();
            // The API server refuses an object whose annotations take more than 256 KiB.
            for o in &rendered {
                let annotations = o.body["metadata"]["annotations"].as_object().into_iter().flatten();
                let size: usize = annotations.map(|(k, v)| k.len() + v.as_str().map_or(0, str::len)).sum();
                assert!(size < 256 << 10, "{} {}: {size} bytes of annotations", o.kind, o.name);
            }
            let (yaml, bytes) = median_ms(runs, || k8s::to_yaml_stream(&rendered).len());
            let (largest, kind) =
                rendered.iter().map(|o| (o.to_yaml().len(), o.kind)).max().unwrap_or((0, k8s::Kind::Node));
            println!(
                "| {gpus} | {mode} | {} | {live} | {objects} | {:.1} KiB ({kind}) | {:.1} MiB | {scan:.1} ms | {take:.1} ms | {build:.1} ms | {yaml:.1} ms |",
                planner.bookings().count(),
                largest as f64 / 1024.0,
                bytes as f64 / (1 << 20) as f64,
            );
        }
    }
}
