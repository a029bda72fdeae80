//! Replays through the real planner: counts add up, the LP bound is never beaten, MIG packing serves
//! slices that whole GPUs cannot, and bad traces name the line and field.

use model::{Catalog, Definitions, Instant, ShapeKey, Want, Window};
use planner::Config;
use sim::{Knobs, Policy, Row, generate, replay, upper_bound};

fn defs(yaml: &str) -> Definitions {
    let docs = api::parse_manifests("test.yaml", yaml).expect("valid manifests");
    api::resolve(&docs, &Catalog::builtin()).expect("valid definitions").0
}

fn fleet_64() -> Definitions {
    defs(include_str!("../data/fleet-64.yaml"))
}

const ONE_H100: &str = "kind: Node\nname: n\ngpus:\n  - {model: H100-80GB, count: 1, reconfiguration: dynamic}\n---\n\
kind: Project\nname: p\nquota:\n  - {model: H100-80GB, nominal: 1}\n";

const T0: i64 = testkit::DAY0.0;

fn row(line: usize, want: &str, from_h: i64, to_h: i64) -> Row {
    let want =
        if want.contains('/') { Want::Shape(want.parse::<ShapeKey>().unwrap()) } else { Want::Size(want.into()) };
    Row {
        line,
        submit: Instant(T0),
        window: Window::new(Instant(T0 + from_h * 3600), Instant(T0 + to_h * 3600)).unwrap(),
        project: "p".into(),
        want,
        count: 1,
    }
}

fn run(d: &Definitions, rows: &[Row], p: Policy) -> sim::Report {
    replay(d, &Catalog::builtin(), rows, p, &Config::default(), &mut |_, _| {}).unwrap()
}

#[test]
fn seven_slices_share_one_h100_and_whole_gpus_serve_one() {
    let d = defs(ONE_H100);
    let rows: Vec<Row> = (0..8).map(|i| row(i + 2, "H100-80GB/1g.10gb", 1, 3)).collect();
    let r = run(&d, &rows, Policy::Gpubook);
    assert_eq!((r.accepted, r.rejected), (7, 1), "7 × 1g fit on an H100 and an 8th does not");
    assert_eq!(r.offered_slice_hours, 16.0);
    assert_eq!(r.accepted_slice_hours, 14.0);
    assert_eq!(r.capacity_slice_hours, 16.0, "8 units over the trace's 2 hours");
    let w = run(&d, &rows, Policy::WholeGpu);
    assert_eq!((w.accepted, w.rejected), (1, 7));
    assert_eq!(w.accepted_slice_hours, 2.0, "a slice served by a whole GPU counts as the slice");
    assert_eq!(w.fragmentation_refusals, 0, "the GPU is full: no refusal is fragmentation");
}

#[test]
fn bad_rows_name_the_line_and_field() {
    let d = defs(ONE_H100);
    let catalog = Catalog::builtin();
    let bad = |r: Row| replay(&d, &catalog, &[r], Policy::Gpubook, &Config::default(), &mut |_, _| {}).unwrap_err();
    let e = bad(Row { project: "nobody".into(), ..row(7, "H100-80GB/1g.10gb", 1, 2) });
    assert_eq!((e.line, e.field.as_str()), (7, "project"));
    assert_eq!(bad(row(8, "gpu-huge", 1, 2)).field, "size");
    assert_eq!(bad(row(9, "A100-80GB/1g.10gb", 1, 2)).field, "size", "no GPU of the fleet offers it");
    let mut r = row(10, "H100-80GB/1g.10gb", 1, 2);
    r.window.start = Instant(r.window.start.0 + 60);
    assert_eq!(bad(r).field, "start");
}

#[test]
fn reports_add_up_and_the_bound_holds_for_every_policy() {
    let d = fleet_64();
    let catalog = Catalog::builtin();
    for (seed, load) in [(1, 0.8), (2, 1.5)] {
        let knobs = Knobs { seed, requests: 300, load, ..Knobs::default() };
        let rows = generate(&knobs, &d, &catalog).unwrap();
        assert_eq!(rows.len(), 300);
        let bound = upper_bound(&d, &catalog, &rows).unwrap();
        for p in Policy::ALL {
            let r = run(&d, &rows, p);
            assert_eq!(r.accepted + r.rejected, 300);
            assert!(r.accepted_slice_hours <= r.offered_slice_hours + 1e-6);
            assert!(r.utilization <= 1.0 + 1e-9, "{p:?}: {}", r.utilization);
            assert!(
                r.accepted_slice_hours <= bound + 1e-6,
                "{p:?} beat the LP bound: {} > {bound}",
                r.accepted_slice_hours
            );
        }
    }
}

#[test]
fn generated_traces_are_deterministic_and_read_back() {
    let d = fleet_64();
    let catalog = Catalog::builtin();
    let knobs = Knobs { requests: 50, ..Knobs::default() };
    let a = generate(&knobs, &d, &catalog).unwrap();
    assert_eq!(a, generate(&knobs, &d, &catalog).unwrap());
    let back = sim::parse(&sim::write(&a)).unwrap();
    assert_eq!(
        back.iter().map(|r| (r.submit, r.window, &r.want, r.count)).collect::<Vec<_>>(),
        a.iter().map(|r| (r.submit, r.window, &r.want, r.count)).collect::<Vec<_>>()
    );
    assert!(
        generate(&Knobs { inference: vec!["gpu-huge".into()], ..knobs }, &d, &catalog)
            .unwrap_err()
            .contains("gpu-huge")
    );
}
