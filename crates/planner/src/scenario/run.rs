//! Running a scenario: every step against a fresh planner, a transcript, and the expectations that failed.

use model::{BookingId, Catalog, Instant, Request};

use super::parse::{DAY0, Expect, Step, parse, show_time};
use crate::state::{Config, Planner};
use crate::verdict::{Decision, Verdict};

/// What a scenario run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// One line per step with the answer given.
    pub transcript: Vec<String>,
    /// Expectations that did not hold, each naming its line.
    pub failures: Vec<String>,
}

fn verdict_text(d: &Decision) -> String {
    match &d.verdict {
        Verdict::FitsAfterPreempting(v) => {
            format!("fits-after-preempting {}", v.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(" "))
        }
        Verdict::NotBefore(t) => format!("not-before {}", show_time(*t)),
        other => other.code().to_string(),
    }
}

fn mismatch(d: &Decision, e: &Expect) -> Option<String> {
    let got = verdict_text(d);
    let want = std::iter::once(e.verdict.clone()).chain(e.args.iter().cloned()).collect::<Vec<_>>().join(" ");
    if got != want {
        return Some(format!("expected {want}, got {got}"));
    }
    if let Some(gpu) = &e.on_gpu
        && let Some(dev) = d.devices.iter().find(|x| &x.gpu.to_string() != gpu)
    {
        return Some(format!("expected every device on {gpu}, one is on {}", dev.gpu));
    }
    if let Some(n) = e.moved
        && d.moves.len() != n
    {
        return Some(format!("expected {n} moved devices, got {}", d.moves.len()));
    }
    let codes: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
    e.reasons.iter().find(|c| !codes.contains(&c.as_str())).map(|c| format!("expected a reason {c}, got {codes:?}"))
}

/// Runs a scenario text; `Err` when it cannot be read.
pub fn run(text: &str, catalog: &Catalog) -> Result<Outcome, String> {
    let parsed = parse(text, catalog)?;
    let config = Config { per_gpu_idle_gap_s: parsed.gap_s, ..Config::default() };
    let mut planner = Planner::new(catalog.clone(), parsed.defs, config);
    let mut now = Instant(DAY0);
    let mut out = Outcome { transcript: Vec::new(), failures: Vec::new() };
    for step in parsed.steps {
        match step {
            Step::Now(t) => now = t,
            Step::Book { line, text, project, want, count, window, mode, priority, expect } => {
                let req = Request { project, owner: "scenario".into(), want, count, window, mode, priority };
                let (d, id) = planner.book(&req, now);
                let devices: Vec<String> = d.devices.iter().map(|x| format!("{} {}", x.gpu, slot_text(x))).collect();
                let mut entry = format!("{text} => {}", verdict_text(&d));
                if let Some(id) = id {
                    entry.push_str(&format!(" as {id}: {}", devices.join(", ")));
                }
                for m in &d.moves {
                    entry.push_str(&format!(
                        "\n    moves {} device {} to {} {}",
                        m.booking,
                        m.device,
                        m.to.gpu,
                        slot_text(&m.to)
                    ));
                }
                for r in &d.reasons {
                    entry.push_str(&format!("\n    {r}"));
                }
                out.transcript.push(entry);
                if let Some(m) = mismatch(&d, &expect) {
                    out.failures.push(format!("line {line}: {text}: {m}"));
                }
                if let Err(e) = planner.check_invariants() {
                    out.failures.push(format!("line {line}: invariant broken: {e}"));
                }
            }
            Step::Availability { line, text, project, want, window, mode, expect } => {
                let req = Request { project, owner: "scenario".into(), want, count: 1, window, mode, priority: None };
                let got = planner.availability(&req, now);
                let shown = match &got {
                    Ok(n) => n.to_string(),
                    Err(r) => format!("refused: {}", r.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ")),
                };
                out.transcript.push(format!("{text} => {shown}"));
                if got.as_ref().ok() != Some(&expect) {
                    out.failures.push(format!("line {line}: {text}: expected {expect}, got {shown}"));
                }
            }
            Step::Earliest { line, text, request, expect } => {
                let got = planner.earliest_window(&request, now).map(|w| w.map(|w| w.start));
                let shown = match &got {
                    Ok(Some(t)) => show_time(*t),
                    Ok(None) => "none".into(),
                    Err(r) => format!("refused: {}", r.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ")),
                };
                out.transcript.push(format!("{text} => {shown}"));
                if got.as_ref().ok() != Some(&expect) {
                    let want = expect.map_or("none".into(), show_time);
                    out.failures.push(format!("line {line}: {text}: expected {want}, got {shown}"));
                }
            }
            Step::Cancel { line, id } => {
                let r = planner.cancel(BookingId(id), now);
                out.transcript
                    .push(format!("cancel b{id} => {}", r.as_ref().map_or_else(ToString::to_string, |_| "ok".into())));
                if let Err(e) = r {
                    out.failures.push(format!("line {line}: cancel b{id}: {e}"));
                }
            }
            Step::Check { line } => {
                if let Err(e) = planner.check_invariants() {
                    out.failures.push(format!("line {line}: {e}"));
                }
            }
        }
    }
    Ok(out)
}

fn slot_text(d: &model::Device) -> String {
    match (d.slot, &d.shape.profile) {
        (model::Slot::Mig { start, .. }, Some(profile)) => format!("{profile}@{start}"),
        _ => "whole".into(),
    }
}
