//! The demo fleet plus a node whose GPU UUIDs are declared, and a few bookings across every mode.

use model::{BookingId, Catalog, Instant, Mode, Request, Want, Window};
use planner::{Config, Planner};

pub(crate) const HOUR: i64 = 3600;
/// Monday 2026-12-07 00:00 UTC.
pub(crate) const T0: i64 = 1_796_601_600;

const EXTRA: &str = "
---
kind: Node
name: hgx-h100-b
gpus:
  - model: H100-80GB
    devices: [{index: 0, uuid: GPU-5a1c0d3e-0000-4000-8000-000000000001}]
    reconfiguration: static
    layout: all-balanced
---
kind: Size
name: gpu-roomy
description: a whole GPU with room for a big host process
selector: device.attributes['gpu.nvidia.com'].type == 'gpu'
allowance: {cpu: 12, memory: 200Gi, ephemeralStorage: 100Gi}
";

pub(crate) fn planner() -> Planner {
    let catalog = Catalog::builtin();
    let text = format!("{}{EXTRA}", api::demo::MANIFEST);
    let docs = api::parse_manifests("fixture.yaml", &text).expect("fixture parses");
    let (defs, _) = api::resolve(&docs, &catalog).expect("fixture resolves");
    Planner::new(catalog, defs, Config { per_gpu_idle_gap_s: HOUR, ..Config::default() })
}

pub(crate) fn at(hours: f64) -> Instant {
    Instant(T0 + (hours * HOUR as f64) as i64)
}

fn want(s: &str) -> Want {
    if s.contains('/') { Want::Shape(s.parse().expect("shape")) } else { Want::Size(s.into()) }
}

/// Books `count` of `what` for `project` over hours `[from, to)` after T0, deciding a day earlier.
pub(crate) fn book(
    p: &mut Planner,
    project: &str,
    what: &str,
    count: u32,
    from: f64,
    to: f64,
    mode: Mode,
) -> BookingId {
    let req = Request {
        project: project.into(),
        owner: format!("{project}-owner"),
        want: want(what),
        count,
        window: Window::new(at(from), at(to)).expect("window"),
        mode,
        priority: None,
    };
    let (decision, id) = p.book(&req, Instant(T0 - 24 * HOUR));
    id.unwrap_or_else(|| panic!("{what} for {project} does not fit: {:?}", decision.reasons))
}

/// The bookings every test renders:
/// - b1: team-a, 2 × gpu-small, reserved, hours 1–5;
/// - b2: inference, 1 × H200 3g.71gb (a per-gpu GPU), reserved, hours 2–6;
/// - b3: team-b, 1 × whole H100, opportunistic, hours 1–3;
/// - b4: inference, 1 × A100 1g.10gb (static), reserved, hours 0–4;
/// - b5: team-a, 1 × H100 3g.40gb, reserved, hours 1–8, cancelled at hour 2.
pub(crate) fn booked() -> Planner {
    let mut p = planner();
    book(&mut p, "team-a", "gpu-small", 2, 1.0, 5.0, Mode::Reserved);
    book(&mut p, "inference", "H200-141GB/3g.71gb", 1, 2.0, 6.0, Mode::Reserved);
    book(&mut p, "team-b", "H100-80GB/full", 1, 1.0, 3.0, Mode::Opportunistic);
    book(&mut p, "inference", "A100-80GB/1g.10gb", 1, 0.0, 4.0, Mode::Reserved);
    let b5 = book(&mut p, "team-a", "H100-80GB/3g.40gb", 1, 1.0, 8.0, Mode::Reserved);
    p.cancel(b5, at(2.0)).expect("cancel");
    p
}
