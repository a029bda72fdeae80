//! A synthetic demand trace with documented knobs: how many requests, the offered load, how far ahead they
//! are booked, how long they run, the mix of inference-style slices and training-style whole GPUs, and the
//! projects. Deterministic for a seed.

use model::{Catalog, Definitions, Instant, ShapeKey, Want, Window};

use crate::trace::Row;

/// The knobs of [`generate`].
#[derive(Clone, Debug)]
pub struct Knobs {
    pub seed: u64,
    pub requests: usize,
    /// The first submit time.
    pub start: Instant,
    /// Offered slice-hours over the capacity slice-hours of the trace's span: 1.0 asks for the whole fleet.
    pub load: f64,
    /// Shares of requests booked for now (the next quarter hour) and a few hours ahead (1 to 12); the rest is
    /// booked days ahead (1 to 7).
    pub lead_now: f64,
    pub lead_hours: f64,
    /// Share of inference-style requests: one device of an `inference` size or shape for 1 to 8 hours. The
    /// rest is training-style: 1, 2 or 4 devices (60/30/10%) of a `training` size or shape for 4 to 48 hours.
    pub inference_share: f64,
    pub inference: Vec<String>,
    pub training: Vec<String>,
    pub projects: Vec<String>,
}

impl Default for Knobs {
    fn default() -> Knobs {
        Knobs {
            seed: 1,
            requests: 1000,
            start: Instant(1_767_571_200),
            load: 1.0,
            lead_now: 0.4,
            lead_hours: 0.4,
            inference_share: 0.75,
            inference: vec!["gpu-small".into(), "gpu-medium".into()],
            training: vec!["gpu-large".into()],
            projects: vec!["team-a".into(), "team-b".into(), "team-c".into(), "team-d".into()],
        }
    }
}

/// xorshift64*: small, deterministic, good enough for a workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const QUARTER: i64 = 900;
const HOUR: i64 = 3600;

/// The memory slices of the cheapest shape a size or shape names, for the load arithmetic.
fn units(want: &str, defs: &Definitions, catalog: &Catalog) -> Result<u32, String> {
    let keys: Vec<ShapeKey> = if want.contains('/') {
        vec![want.parse::<ShapeKey>()?]
    } else {
        defs.sizes.get(want).ok_or(format!("no size {want:?} is defined"))?.shapes.iter().cloned().collect()
    };
    keys.iter()
        .filter_map(|k| catalog.shape(k).ok())
        .filter(|s| defs.fleet.gpus().any(|g| g.model == s.key.model))
        .min_by(|a, b| a.gpu_fraction().total_cmp(&b.gpu_fraction()))
        .map(|s| s.slices.0)
        .ok_or(format!("no GPU of the fleet offers {want}"))
}

/// A trace for `defs` with the `knobs`; an error names a knob that does not fit the definitions.
pub fn generate(knobs: &Knobs, defs: &Definitions, catalog: &Catalog) -> Result<Vec<Row>, String> {
    if knobs.requests == 0 || knobs.load <= 0.0 {
        return Err("requests and load must be positive".into());
    }
    if knobs.inference.is_empty() || knobs.training.is_empty() || knobs.projects.is_empty() {
        return Err("inference, training and projects each need at least one entry".into());
    }
    let capacity: f64 = crate::capacity(defs, catalog).values().map(|&u| f64::from(u)).sum();
    if capacity == 0.0 {
        return Err("the fleet has no GPUs".into());
    }
    let mut rng = Rng(knobs.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // Shapes of the requests first (what, how many, how long, how far ahead), then submit times spread so
    // that the offered slice-hours over the span come to `load` times the capacity.
    struct Draft {
        project: String,
        want: String,
        count: u32,
        lead: i64,
        duration: i64,
        slice_hours: f64,
    }
    let mut drafts = Vec::with_capacity(knobs.requests);
    for _ in 0..knobs.requests {
        let inference = rng.unit() < knobs.inference_share;
        let (want, count, duration) = if inference {
            (rng.pick(&knobs.inference).clone(), 1, (1 + rng.below(8) as i64) * HOUR)
        } else {
            let count = match rng.below(10) {
                0..=5 => 1,
                6..=8 => 2,
                _ => 4,
            };
            (rng.pick(&knobs.training).clone(), count, (4 + rng.below(45) as i64) * HOUR)
        };
        let u = rng.unit();
        let lead = if u < knobs.lead_now {
            0
        } else if u < knobs.lead_now + knobs.lead_hours {
            (1 + rng.below(12) as i64) * HOUR
        } else {
            (1 + rng.below(7) as i64) * 24 * HOUR
        };
        let slice_hours = f64::from(units(&want, defs, catalog)? * count) * duration as f64 / HOUR as f64;
        drafts.push(Draft { project: rng.pick(&knobs.projects).clone(), want, count, lead, duration, slice_hours });
    }
    let offered: f64 = drafts.iter().map(|d| d.slice_hours).sum();
    let offsets: Vec<f64> = {
        let mut v: Vec<f64> = (0..drafts.len()).map(|_| rng.unit()).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    // The span the windows cover grows with the submit span; a few rounds settle it. Lead times and long
    // jobs add a tail the submit span cannot shrink below, so a short trace may fall short of a high load:
    // [`offered_load`] says what it came to.
    let mut submit_span = offered / (capacity * knobs.load) * HOUR as f64;
    let mut rows = Vec::new();
    for _ in 0..4 {
        rows = drafts
            .iter()
            .zip(&offsets)
            .map(|(d, o)| {
                let submit = Instant(knobs.start.0 + (o * submit_span) as i64);
                let start = submit.ceil(QUARTER).plus(d.lead);
                Row {
                    line: 0,
                    submit,
                    window: Window { start, end: start.plus(d.duration) },
                    project: d.project.clone(),
                    want: if d.want.contains('/') {
                        Want::Shape(d.want.parse().expect("checked by units()"))
                    } else {
                        Want::Size(d.want.clone())
                    },
                    count: d.count,
                }
            })
            .collect();
        let first = rows.iter().map(|r| r.window.start.0).min().unwrap_or(0);
        let last = rows.iter().map(|r| r.window.end.0).max().unwrap_or(0);
        let load_now = offered / (capacity * (last - first) as f64 / HOUR as f64);
        submit_span = (submit_span * load_now / knobs.load).max(MIN_SUBMIT_SPAN);
    }
    Ok(rows)
}

/// Requests are submitted over at least a day, however high the load asked.
const MIN_SUBMIT_SPAN: f64 = 86_400.0;

/// The offered load of a trace: requested slice-hours (cheapest matching shape) over the fleet's capacity
/// over the span from the first window start to the last window end.
pub fn offered_load(rows: &[Row], defs: &Definitions, catalog: &Catalog) -> Result<f64, String> {
    let capacity: f64 = crate::capacity(defs, catalog).values().map(|&u| f64::from(u)).sum();
    let mut offered = 0.0;
    for r in rows {
        let want = match &r.want {
            Want::Size(s) => s.clone(),
            Want::Shape(k) => k.to_string(),
        };
        offered += f64::from(units(&want, defs, catalog)? * r.count) * r.window.seconds() as f64 / HOUR as f64;
    }
    let first = rows.iter().map(|r| r.window.start.0).min().unwrap_or(0);
    let last = rows.iter().map(|r| r.window.end.0).max().unwrap_or(0);
    Ok(offered / (capacity * ((last - first) as f64 / HOUR as f64)).max(1e-9))
}
