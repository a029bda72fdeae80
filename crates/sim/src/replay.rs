//! Replaying a trace: each request is decided by the planner when it is submitted (the simulated clock),
//! in submit order, and booked when it fits. The report counts what was asked and what was served.

use std::collections::BTreeMap;

use model::{BookingId, Catalog, Definitions, Instant, ModelKey, Request, Want, Window};
use planner::{Config, Planner, Verdict};

use crate::policy::Policy;
use crate::trace::{Row, TraceError};

/// Accepted and rejected requests of one size or shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeCount {
    pub accepted: u64,
    pub rejected: u64,
}

/// What a replay served. Slice-hours count what was requested (memory-slice units of the cheapest shape
/// that matches the request, times devices, times hours), whatever the policy gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub policy: Policy,
    pub offered_slice_hours: f64,
    pub accepted_slice_hours: f64,
    /// Every GPU's memory-slice units times the hours from the first window start to the last window end.
    pub capacity_slice_hours: f64,
    /// accepted / capacity.
    pub utilization: f64,
    pub accepted: u64,
    pub rejected: u64,
    pub by_size: BTreeMap<String, SizeCount>,
    /// Requests refused for room while the model had enough free memory slices over the window in total.
    pub fragmentation_refusals: u64,
    pub layout_changes: u64,
    pub preemptions: u64,
    /// Bookings that had not started and were re-placed to make room (late binding).
    pub moves: u64,
}

/// What a request needs per model it can run on: the fewest memory slices of a matching shape.
struct Need {
    slices_by_model: BTreeMap<ModelKey, u32>,
    /// The cheapest shape's slices: what the request counts as asking for.
    units: u32,
    label: String,
}

fn need(row: &Row, defs: &Definitions, catalog: &Catalog) -> Result<Need, TraceError> {
    let err = |field: &str, reason: String| TraceError { line: row.line, field: field.into(), reason };
    let (keys, label) = match &row.want {
        Want::Size(name) => {
            let size = defs.sizes.get(name).ok_or_else(|| err("size", format!("no size {name:?} is defined")))?;
            (size.shapes.iter().cloned().collect::<Vec<_>>(), name.clone())
        }
        Want::Shape(k) => (vec![k.clone()], k.to_string()),
    };
    let mut shapes: Vec<model::Shape> = keys.iter().filter_map(|k| catalog.shape(k).ok()).collect();
    shapes.retain(|s| defs.fleet.gpus().any(|g| g.model == s.key.model));
    if shapes.is_empty() {
        return Err(err("size", format!("no GPU of the fleet offers {}", row.want)));
    }
    shapes.sort_by(|a, b| a.gpu_fraction().total_cmp(&b.gpu_fraction()));
    let mut slices_by_model: BTreeMap<ModelKey, u32> = BTreeMap::new();
    for s in &shapes {
        let e = slices_by_model.entry(s.key.model.clone()).or_insert(s.slices.0);
        *e = (*e).min(s.slices.0);
    }
    Ok(Need { slices_by_model, units: shapes[0].slices.0, label })
}

/// Memory slices held per model and hour, to tell fragmentation from a full fleet.
struct Held {
    from: i64,
    hours: BTreeMap<ModelKey, Vec<u32>>,
}

/// The hours of `w` among `len` hours from `from`.
fn hours_of(from: i64, w: Window, len: usize) -> std::ops::Range<usize> {
    let first = ((w.start.0 - from) / 3600).max(0) as usize;
    let last = ((w.end.0 - 1 - from) / 3600).max(0) as usize;
    first.min(len)..(last + 1).min(len)
}

impl Held {
    fn add(&mut self, model: &ModelKey, w: Window, slices: u32) {
        let v = self.hours.entry(model.clone()).or_default();
        let r = hours_of(self.from, w, v.len());
        for h in &mut v[r] {
            *h += slices;
        }
    }

    /// The most slices held in an hour `w` touches: free capacity over `w` is at most capacity minus this.
    fn peak(&self, model: &ModelKey, w: Window) -> u32 {
        let v = &self.hours[model];
        v[hours_of(self.from, w, v.len())].iter().copied().max().unwrap_or(0)
    }
}

/// Replays `rows` (in submit order) on `defs` under `policy`; `progress(done, total)` is called as it goes.
pub fn replay(
    defs: &Definitions,
    catalog: &Catalog,
    rows: &[Row],
    policy: Policy,
    config: &Config,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, TraceError> {
    let needs: Vec<Need> = rows.iter().map(|r| need(r, defs, catalog)).collect::<Result<_, _>>()?;
    for r in rows {
        let err = |field: &str, reason: String| TraceError { line: r.line, field: field.into(), reason };
        if !defs.projects.contains_key(&r.project) {
            return Err(err("project", format!("no project {:?} is defined", r.project)));
        }
        let q = config.quantum_s;
        if r.window.start.0 % q != 0 || r.window.end.0 % q != 0 {
            return Err(err("start", format!("windows start and end on multiples of {} minutes", q / 60)));
        }
    }
    let (start, end) = match (rows.iter().map(|r| r.window.start).min(), rows.iter().map(|r| r.window.end).max()) {
        (Some(s), Some(e)) => (s, e),
        _ => (Instant(0), Instant(0)),
    };
    let span_h = (end.0 - start.0) as f64 / 3600.0;
    let capacity = crate::capacity(defs, catalog);
    let hours = ((end.0 - start.0 + 3599) / 3600).max(0) as usize;
    let mut held = Held { from: start.0, hours: capacity.keys().map(|m| (m.clone(), vec![0; hours])).collect() };

    let (defs_p, config_p) = policy.setup(defs, catalog, config);
    let mut planner = Planner::new(catalog.clone(), defs_p, config_p);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].submit, i));
    let mut report = Report {
        policy,
        offered_slice_hours: 0.0,
        accepted_slice_hours: 0.0,
        capacity_slice_hours: capacity.values().map(|&u| f64::from(u)).sum::<f64>() * span_h,
        utilization: 0.0,
        accepted: 0,
        rejected: 0,
        by_size: BTreeMap::new(),
        fragmentation_refusals: 0,
        layout_changes: 0,
        preemptions: 0,
        moves: 0,
    };
    for (done, &i) in order.iter().enumerate() {
        let (r, n) = (&rows[i], &needs[i]);
        let slice_hours = f64::from(n.units * r.count) * r.window.seconds() as f64 / 3600.0;
        report.offered_slice_hours += slice_hours;
        let req = Request {
            project: r.project.clone(),
            owner: "sim".into(),
            want: policy.want(&r.want),
            count: r.count,
            window: r.window,
            mode: model::Mode::Reserved,
            priority: None,
        };
        let (decision, id): (planner::Decision, Option<BookingId>) = planner.book(&req, r.submit);
        let counts = report.by_size.entry(n.label.clone()).or_default();
        if id.is_some() {
            report.accepted += 1;
            counts.accepted += 1;
            report.accepted_slice_hours += slice_hours;
            report.layout_changes += u64::from(decision.layout_changes);
            report.moves += decision.moves.len() as u64;
            if let Verdict::FitsAfterPreempting(v) = &decision.verdict {
                report.preemptions += v.len() as u64;
            }
            for d in &decision.devices {
                let slices = catalog.shape(&d.shape).map_or(0, |s| s.slices.0);
                held.add(&d.shape.model, r.window, slices);
            }
        } else {
            report.rejected += 1;
            counts.rejected += 1;
            let for_room = decision.reasons.iter().any(|x| x.code == planner::ReasonCode::NoCapacity);
            let room_in_total = n
                .slices_by_model
                .iter()
                .any(|(m, s)| capacity[m].saturating_sub(held.peak(m, r.window)) >= s * r.count);
            if for_room && room_in_total {
                report.fragmentation_refusals += 1;
            }
        }
        if done % 1000 == 0 || done + 1 == rows.len() {
            progress(done + 1, rows.len());
        }
    }
    report.utilization =
        if report.capacity_slice_hours > 0.0 { report.accepted_slice_hours / report.capacity_slice_hours } else { 0.0 };
    Ok(report)
}
