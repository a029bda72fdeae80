//! `gpubook simulate` replays a demand trace through the planner under each packing policy, and
//! `gpubook trace` writes a synthetic trace. Both read the fleet, sizes and projects from manifest files.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use model::{Catalog, Instant};
use serde_json::{Value, json};
use sim::{Policy, Report};

use super::ManifestArgs;
use super::output::{Format, emit, table};

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Manifest files with the fleet, sizes and projects.
    #[arg(long = "fleet", short = 'f')]
    fleet: Vec<PathBuf>,
    /// Use the demo definitions instead.
    #[arg(long)]
    demo: bool,
    /// The trace: CSV with the header `submit,start,end,project,size,count`.
    #[arg(long)]
    trace: PathBuf,
    /// gpubook, whole-gpu, static-mig, first-fit, or `all` to compare them in one run.
    #[arg(long, default_value = "gpubook")]
    policy: String,
    /// Also compute the LP upper bound on accepted slice-hours (traces of at most 1,500 requests).
    #[arg(long)]
    bound: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// Manifest files with the fleet, sizes and projects the trace is for.
    #[arg(long = "fleet", short = 'f')]
    fleet: Vec<PathBuf>,
    #[arg(long)]
    demo: bool,
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Offered load: requested slice-hours over the fleet's capacity over the trace's span (1.0 = 100%).
    #[arg(long, default_value_t = 1.0)]
    load: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The first submit time (RFC 3339).
    #[arg(long, default_value = "2026-01-05T00:00:00Z")]
    start: String,
    /// Share booked for now (the next quarter hour).
    #[arg(long, default_value_t = 0.4)]
    lead_now: f64,
    /// Share booked 1 to 12 hours ahead; the rest is booked 1 to 7 days ahead.
    #[arg(long, default_value_t = 0.4)]
    lead_hours: f64,
    /// Share of inference-style requests (one slice, 1 to 8 hours); the rest is training-style (1, 2 or 4
    /// devices for 4 to 48 hours).
    #[arg(long, default_value_t = 0.75)]
    inference_share: f64,
    /// Sizes or shapes of inference requests, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "gpu-small,gpu-medium")]
    inference: Vec<String>,
    /// Sizes or shapes of training requests, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "gpu-large")]
    training: Vec<String>,
    /// Projects the requests come from, comma-separated (all of the definitions' projects by default).
    #[arg(long, value_delimiter = ',')]
    projects: Vec<String>,
}

fn definitions(catalog: &Catalog, fleet: &[PathBuf], demo: bool) -> anyhow::Result<model::Definitions> {
    if fleet.is_empty() && !demo {
        bail!("give the fleet, sizes and projects with --fleet FILE (or --demo)");
    }
    let args = ManifestArgs { files: fleet.to_vec(), demo, output: Format::Table };
    let (defs, warnings) = super::definitions::load(catalog, &args)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(defs)
}

pub(crate) fn trace(catalog: &Catalog, args: TraceArgs) -> anyhow::Result<()> {
    let defs = definitions(catalog, &args.fleet, args.demo)?;
    let start = args.start.parse::<jiff::Timestamp>().with_context(|| format!("--start {:?}", args.start))?;
    let projects = if args.projects.is_empty() { defs.projects.keys().cloned().collect() } else { args.projects };
    for p in &projects {
        if !defs.projects.contains_key(p) {
            bail!("--projects: no project {p:?} is defined");
        }
    }
    let knobs = sim::Knobs {
        seed: args.seed,
        requests: args.requests,
        start: Instant(start.as_second()),
        load: args.load,
        lead_now: args.lead_now,
        lead_hours: args.lead_hours,
        inference_share: args.inference_share,
        inference: args.inference,
        training: args.training,
        projects,
    };
    let rows = sim::generate(&knobs, &defs, catalog).map_err(anyhow::Error::msg)?;
    let load = sim::offered_load(&rows, &defs, catalog).map_err(anyhow::Error::msg)?;
    eprintln!("{} requests, offered load {:.0}% of the fleet over the trace's span", rows.len(), 100.0 * load);
    super::output::say(&sim::write(&rows))
}

/// A progress bar on standard error, when it is a terminal.
fn progress(policy: Policy) -> impl FnMut(usize, usize) {
    let tty = std::io::stderr().is_terminal();
    move |done, total| {
        if !tty || total < 5000 {
            return;
        }
        let filled = done * 30 / total.max(1);
        eprint!("\r{:<10} [{}{}] {done}/{total}", policy.as_str(), "=".repeat(filled), " ".repeat(30 - filled));
        if done == total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

fn to_json(r: &Report) -> Value {
    let by_size: serde_json::Map<String, Value> =
        r.by_size.iter().map(|(k, c)| (k.clone(), json!({"accepted": c.accepted, "rejected": c.rejected}))).collect();
    json!({
        "policy": r.policy.as_str(),
        "offered_slice_hours": r.offered_slice_hours,
        "accepted_slice_hours": r.accepted_slice_hours,
        "capacity_slice_hours": r.capacity_slice_hours,
        "utilization": r.utilization,
        "accepted": r.accepted,
        "rejected": r.rejected,
        "acceptance_by_size": by_size,
        "fragmentation_refusals": r.fragmentation_refusals,
        "layout_changes": r.layout_changes,
        "preemptions": r.preemptions,
        "moves": r.moves,
    })
}

pub(crate) fn simulate(catalog: &Catalog, args: SimulateArgs) -> anyhow::Result<()> {
    let defs = definitions(catalog, &args.fleet, args.demo)?;
    let text = std::fs::read_to_string(&args.trace).with_context(|| format!("reading {}", args.trace.display()))?;
    let rows = sim::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.trace.display()))?;
    let policies: Vec<Policy> = match args.policy.as_str() {
        "all" => Policy::ALL.to_vec(),
        p => vec![
            Policy::parse(p)
                .with_context(|| format!("--policy: {p:?} is not gpubook, whole-gpu, static-mig, first-fit or all"))?,
        ],
    };
    let config = planner::Config::default();
    let mut reports = Vec::new();
    for p in policies {
        let report = sim::replay(&defs, catalog, &rows, p, &config, &mut progress(p))
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.trace.display()))?;
        reports.push(report);
    }
    let bound = args.bound.then(|| sim::upper_bound(&defs, catalog, &rows));
    let mut value = if reports.len() == 1 {
        to_json(&reports[0])
    } else {
        json!({"policies": reports.iter().map(to_json).collect::<Vec<_>>()})
    };
    match &bound {
        Some(Ok(b)) => value["lp_bound_slice_hours"] = json!(b),
        Some(Err(e)) => eprintln!("no bound: {e}"),
        None => {}
    }
    let bound_value = bound.and_then(Result::ok);
    emit(args.output, &value, || {
        let mut t = table(&[
            "policy",
            "accepted",
            "rejected",
            "accepted slice-h",
            "utilisation",
            "of bound",
            "fragmentation refusals",
            "layout changes",
            "moves",
        ]);
        for r in &reports {
            t.add_row(vec![
                r.policy.as_str().to_string(),
                r.accepted.to_string(),
                r.rejected.to_string(),
                format!("{:.0} of {:.0}", r.accepted_slice_hours, r.offered_slice_hours),
                format!("{:.1}%", 100.0 * r.utilization),
                bound_value.map_or("-".into(), |b| format!("{:.1}%", 100.0 * r.accepted_slice_hours / b.max(1e-9))),
                r.fragmentation_refusals.to_string(),
                r.layout_changes.to_string(),
                r.moves.to_string(),
            ]);
        }
        t
    })
}
