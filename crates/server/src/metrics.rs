//! Prometheus text exposition for `/metrics`: admission and commit latency histograms, bookings by status
//! and GPU units booked against capacity per model, read off the engine's state at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use model::Instant;

use crate::engine::state::State;

/// Bucket upper bounds in seconds.
const BUCKETS: [f64; 14] =
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// Time to decide one write (a booking's admission, a cancel, an apply).
    pub decide: Histogram,
    /// Time to commit one batch.
    pub commit: Histogram,
    pub kube: KubeMetrics,
}

/// The Kubernetes reconciler's passes; shown once it has run one.
#[derive(Debug, Default)]
pub struct KubeMetrics {
    passes: AtomicU64,
    failed_passes: AtomicU64,
    applied: AtomicU64,
    deleted: AtomicU64,
    errors: AtomicU64,
    objects: AtomicU64,
    last_clean_unix: AtomicU64,
    last_pass_ns: AtomicU64,
}

impl KubeMetrics {
    /// Records a pass over `objects` objects that took `took`, its snapshot taken at `at`.
    pub fn observe(&self, report: &k8s::Report, objects: usize, took: Duration, at: Instant) {
        self.passes.fetch_add(1, Ordering::Relaxed);
        self.applied.fetch_add(report.applied as u64, Ordering::Relaxed);
        self.deleted.fetch_add(report.deleted.len() as u64, Ordering::Relaxed);
        self.errors.fetch_add(report.errors.len() as u64, Ordering::Relaxed);
        self.objects.store(objects as u64, Ordering::Relaxed);
        self.last_pass_ns.store(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
        if report.errors.is_empty() {
            self.last_clean_unix.store(u64::try_from(at.0).unwrap_or(0), Ordering::Relaxed);
        } else {
            self.failed_passes.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn render(&self, out: &mut String) {
        let passes = self.passes.load(Ordering::Relaxed);
        if passes == 0 {
            return;
        }
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        let rows: [(&str, &str, &str, f64); 8] = [
            ("gpubook_k8s_passes_total", "counter", "Reconcile passes run.", passes as f64),
            (
                "gpubook_k8s_failed_passes_total",
                "counter",
                "Passes with at least one failed API call.",
                n(&self.failed_passes),
            ),
            ("gpubook_k8s_applied_total", "counter", "Objects sent with server-side apply.", n(&self.applied)),
            (
                "gpubook_k8s_deleted_total",
                "counter",
                "Owned objects deleted because no longer rendered.",
                n(&self.deleted),
            ),
            ("gpubook_k8s_errors_total", "counter", "Failed API calls.", n(&self.errors)),
            ("gpubook_k8s_objects", "gauge", "Objects rendered by the last pass.", n(&self.objects)),
            (
                "gpubook_k8s_last_clean_pass_timestamp_seconds",
                "gauge",
                "When the last pass without errors took its snapshot (server clock).",
                n(&self.last_clean_unix),
            ),
            ("gpubook_k8s_last_pass_seconds", "gauge", "How long the last pass took.", n(&self.last_pass_ns) / 1e9),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
    }
}

impl Metrics {
    pub fn render(&self, state: &State, now: Instant) -> String {
        let mut out = String::new();
        self.decide.render(&mut out, "gpubook_admission_seconds", "Time the engine takes to decide one write.");
        self.commit.render(&mut out, "gpubook_commit_seconds", "Time to commit one batch of writes durably.");
        let mut by_status: BTreeMap<&str, u64> =
            ["confirmed", "active", "completed", "cancelled", "preempted"].into_iter().map(|s| (s, 0)).collect();
        let mut booked: BTreeMap<String, f64> = BTreeMap::new();
        for b in state.all_bookings() {
            let status = b.status(now);
            *by_status.entry(status.as_str()).or_default() += 1;
            if status == model::Status::Active {
                for d in &b.devices {
                    let units = state.catalog.get(d.shape.model.as_str()).map_or(1, |m| m.units());
                    let slices = state.catalog.shape(&d.shape).map_or(0, |s| s.slices.0);
                    *booked.entry(d.shape.model.to_string()).or_default() +=
                        f64::from(slices) / f64::from(units.max(1));
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP gpubook_bookings Bookings by status (by the server clock).\n# TYPE gpubook_bookings gauge"
        );
        for (status, n) in by_status {
            let _ = writeln!(out, "gpubook_bookings{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP gpubook_gpu_units_booked GPU units held by active bookings.\n# TYPE gpubook_gpu_units_booked gauge"
        );
        let _ = writeln!(
            out,
            "# HELP gpubook_gpu_units_capacity GPUs in the fleet.\n# TYPE gpubook_gpu_units_capacity gauge"
        );
        let mut capacity: BTreeMap<String, u64> = BTreeMap::new();
        for g in state.defs().fleet.gpus() {
            *capacity.entry(g.model.to_string()).or_default() += 1;
        }
        for (model, cap) in capacity {
            let used = booked.get(&model).copied().unwrap_or(0.0);
            let _ = writeln!(out, "gpubook_gpu_units_booked{{model=\"{model}\"}} {used}");
            let _ = writeln!(out, "gpubook_gpu_units_capacity{{model=\"{model}\"}} {cap}");
        }
        metering(&mut out, state, now);
        self.kube.render(&mut out);
        out
    }
}

/// The ledger up to `now`, per project, model and mode: booked GPU-hours and their cost (counters: held
/// time only grows, and price versions only append, so neither ever goes down).
fn metering(out: &mut String, state: &State, now: Instant) {
    let Ok(upto) = model::Window::new(Instant(0), now) else {
        return;
    };
    let mut sums: BTreeMap<(String, String, &'static str), model::Charge> = BTreeMap::new();
    for b in state.all_bookings() {
        for (m, c) in model::ledger::charge(b, upto, &state.prices, &state.catalog) {
            sums.entry((b.request.project.clone(), m.0, b.request.mode.as_str())).or_default().add(&c);
        }
    }
    let _ = writeln!(
        out,
        "# HELP gpubook_booked_gpu_hours_total GPU-hours held by bookings up to now (a slice counts its share).\n\
         # TYPE gpubook_booked_gpu_hours_total counter"
    );
    for ((project, m, mode), c) in &sums {
        let _ = writeln!(
            out,
            "gpubook_booked_gpu_hours_total{{project=\"{project}\",model=\"{m}\",mode=\"{mode}\"}} {}",
            c.gpu_hours
        );
    }
    let currency = state.prices.currency().unwrap_or("");
    let _ = writeln!(
        out,
        "# HELP gpubook_booked_cost_total Cost of the GPU-hours held up to now, in the price list's currency.\n\
         # TYPE gpubook_booked_cost_total counter"
    );
    for ((project, m, mode), c) in &sums {
        let _ = writeln!(
            out,
            "gpubook_booked_cost_total{{project=\"{project}\",model=\"{m}\",mode=\"{mode}\",currency=\"{currency}\"}} {}",
            model::price::to_units(c.cost)
        );
    }
}
