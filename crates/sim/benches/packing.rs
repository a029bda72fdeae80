//! How much more of the fleet gpubook puts to use, and how fast a replay runs.
//!
//! `cargo bench -p sim --bench packing` prints, as Markdown:
//! 1. utilisation and acceptance per policy at offered loads 50/80/100/120/150% on the 64-GPU mixed fleet
//!    (`crates/sim/data/fleet-64.yaml`), for two demand mixes, 16,000 requests each (enough that the
//!    trace's ramp-up and the tail of bookings made days ahead are a small part of its span);
//! 2. each policy against the LP upper bound on small instances (8 GPUs, 400 requests);
//! 3. the replay speed of a 100,000-request trace on 1,000 GPUs (the 64-GPU fleet's nodes repeated),
//!    against the whole-GPU baseline in the same run.
//!
//! `-- --quick` runs fewer requests. Every trace is generated with a fixed seed, so runs repeat.

use std::time::Instant as Clock;

use model::{Catalog, Definitions, Fleet, Node};
use planner::Config;
use sim::{Knobs, Policy, Report, generate, offered_load, replay, upper_bound};

fn fleet_64(catalog: &Catalog) -> Definitions {
    let docs = api::parse_manifests("fleet-64.yaml", include_str!("../data/fleet-64.yaml")).unwrap();
    api::resolve(&docs, catalog).unwrap().0
}

/// The 64-GPU fleet's nodes repeated until it has `gpus` GPUs, quotas scaled alike.
fn scaled(defs: &Definitions, gpus: usize) -> Definitions {
    let base: Vec<&Node> = defs.fleet.nodes().collect();
    let mut nodes = Vec::new();
    let mut n = 0;
    'outer: for copy in 0.. {
        for node in &base {
            if n >= gpus {
                break 'outer;
            }
            let name = format!("{}-{copy}", node.name);
            let node_gpus: Vec<model::Gpu> = node
                .gpus
                .iter()
                .map(|g| model::Gpu { id: model::GpuId { node: name.clone(), index: g.id.index }, ..g.clone() })
                .collect();
            n += node_gpus.len();
            nodes.push(Node { name, gpus: node_gpus });
        }
    }
    let mut d = defs.clone();
    d.fleet = Fleet::new(nodes).unwrap();
    let copies = (gpus as u32).div_ceil(64);
    for p in d.projects.values_mut() {
        for q in p.quotas.values_mut() {
            q.nominal = model::Slices(q.nominal.0 * copies);
        }
    }
    d
}

/// Two GPUs of each model of the 64-GPU fleet: a small instance for the LP bound.
fn mini(defs: &Definitions) -> Definitions {
    let mut seen: std::collections::BTreeSet<model::ModelKey> = Default::default();
    let mut nodes = Vec::new();
    for node in defs.fleet.nodes() {
        if seen.insert(node.gpus[0].model.clone()) {
            nodes.push(Node { name: node.name.clone(), gpus: node.gpus[..2].to_vec() });
        }
    }
    let mut d = defs.clone();
    d.fleet = Fleet::new(nodes).unwrap();
    d
}

fn run(d: &Definitions, c: &Catalog, rows: &[sim::Row], p: Policy) -> (Report, f64) {
    let t = Clock::now();
    let r = replay(d, c, rows, p, &Config::default(), &mut |_, _| {}).unwrap();
    (r, t.elapsed().as_secs_f64())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let catalog = Catalog::builtin();
    let defs = fleet_64(&catalog);
    let mixes = [
        ("Training-heavy: 75% of requests are one-slice inference, most slice-hours are whole-GPU training", 0.75),
        ("Inference-heavy: 95% of requests are one-slice inference", 0.95),
    ];
    let requests = if quick { 2000 } else { 16_000 };
    for (mix, share) in mixes {
        println!("\n### {mix} ({requests} requests per load)\n");
        println!(
            "| load asked | load offered | policy | accepted | accepted slice-h | utilisation | ×whole-gpu | fragmentation refusals | moves |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for load in [0.5, 0.8, 1.0, 1.2, 1.5] {
            let knobs = Knobs { seed: 7, requests, load, inference_share: share, ..Knobs::default() };
            let rows = generate(&knobs, &defs, &catalog).unwrap();
            let offered = offered_load(&rows, &defs, &catalog).unwrap();
            let reports: Vec<Report> = Policy::ALL.iter().map(|&p| run(&defs, &catalog, &rows, p).0).collect();
            let whole = reports.iter().find(|r| r.policy == Policy::WholeGpu).unwrap().accepted_slice_hours;
            for r in &reports {
                println!(
                    "| {:.0}% | {:.0}% | {} | {} / {} | {:.0} | {:.1}% | {:.2} | {} | {} |",
                    load * 100.0,
                    offered * 100.0,
                    r.policy.as_str(),
                    r.accepted,
                    r.accepted + r.rejected,
                    r.accepted_slice_hours,
                    r.utilization * 100.0,
                    r.accepted_slice_hours / whole.max(1e-9),
                    r.fragmentation_refusals,
                    r.moves,
                );
            }
        }
    }

    let small = if quick { 150 } else { 400 };
    let mini = mini(&defs);
    println!("\n### Against the LP upper bound: 8 GPUs (2 of each model), {small} requests\n");
    println!(
        "| mix | load asked | load offered | bound slice-h | gpubook | first-fit | static-mig | whole-gpu | LP solve s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (mix, share) in [("inference-heavy", 0.95), ("training-heavy", 0.75)] {
        for load in [0.5, 1.0, 1.5] {
            let knobs = Knobs { seed: 11, requests: small, load, inference_share: share, ..Knobs::default() };
            let rows = generate(&knobs, &mini, &catalog).unwrap();
            let offered = offered_load(&rows, &mini, &catalog).unwrap();
            let t = Clock::now();
            let bound = upper_bound(&mini, &catalog, &rows).unwrap();
            let solve = t.elapsed().as_secs_f64();
            let pct = |p: Policy| 100.0 * run(&mini, &catalog, &rows, p).0.accepted_slice_hours / bound;
            println!(
                "| {mix} | {:.0}% | {:.0}% | {bound:.0} | {:.1}% | {:.1}% | {:.1}% | {:.1}% | {solve:.1} |",
                load * 100.0,
                offered * 100.0,
                pct(Policy::Gpubook),
                pct(Policy::FirstFit),
                pct(Policy::StaticMig),
                pct(Policy::WholeGpu)
            );
        }
    }

    let requests = if quick { 10_000 } else { 100_000 };
    let big = scaled(&defs, 1000);
    let knobs = Knobs { seed: 3, requests, load: 1.0, ..Knobs::default() };
    let rows = generate(&knobs, &big, &catalog).unwrap();
    println!("\n### Replay speed: {requests} requests on {} GPUs\n", big.fleet.gpus().count());
    println!("| policy | seconds | requests/s | accepted | ×whole-gpu time |");
    println!("|---|---|---|---|---|");
    let (_, base) = run(&big, &catalog, &rows, Policy::WholeGpu);
    for p in [Policy::WholeGpu, Policy::Gpubook] {
        let (r, s) = run(&big, &catalog, &rows, p);
        println!("| {} | {s:.1} | {:.0} | {} | {:.2} |", p.as_str(), requests as f64 / s, r.accepted, s / base);
    }
}
