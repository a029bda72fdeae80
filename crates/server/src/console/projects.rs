//! Projects and quotas: each project's nominal quota per GPU model against what it uses over time and what
//! it borrows; per cohort, who borrows now and who lends.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use model::{Instant, ModelKey};

use super::layout::{Nav, page};
use super::session::Session;
use super::svg::{Scale, step_chart};
use super::tiers::projects;
use super::usage::{hourly, range};
use crate::app_state::AppState;

/// One project's quota of one model, in GPUs.
struct QuotaUse {
    project: String,
    cohort: Option<String>,
    model: ModelKey,
    nominal: f64,
    borrowing_limit: Option<f64>,
    lending_limit: Option<f64>,
    series: Vec<(Instant, f64)>,
    now: f64,
}

impl QuotaUse {
    fn peak(&self) -> f64 {
        self.series.iter().map(|s| s.1).fold(0.0, f64::max)
    }
}

pub(crate) async fn page_handler(State(st): State<AppState>, s: Session) -> Response {
    let who = s.who.clone();
    let read = st
        .engine
        .read(move |state, now| {
            let range = range(now);
            let mut out = Vec::new();
            for name in projects(state.defs(), &who, false) {
                let p = &state.defs().projects[&name];
                let mine: Vec<&model::Booking> =
                    state.planner.bookings().filter(|b| b.request.project == name).collect();
                for q in p.quotas.values() {
                    let units = f64::from(state.catalog.get(q.model.as_str()).map_or(1, |m| m.units()).max(1));
                    let gpus = |s: model::Slices| f64::from(s.0) / units;
                    let series: Vec<(Instant, f64)> = hourly(mine.iter().copied(), &state.catalog, &q.model, range)
                        .into_iter()
                        .map(|(t, v)| (t, v / units))
                        .collect();
                    // The series runs hour by hour from an hour boundary; the hour holding now is one of them.
                    let hour = Instant(now.0.div_euclid(3600) * 3600);
                    let at_now = series.iter().find(|(t, _)| *t == hour).map_or(0.0, |x| x.1);
                    out.push(QuotaUse {
                        project: name.clone(),
                        cohort: p.cohort.clone(),
                        model: q.model.clone(),
                        nominal: gpus(q.nominal),
                        borrowing_limit: q.borrowing_limit.map(gpus),
                        lending_limit: q.lending_limit.map(gpus),
                        series,
                        now: at_now,
                    });
                }
            }
            (out, now, range)
        })
        .await;
    let (quotas, now, range) = match read {
        Ok(r) => r,
        Err(e) => return super::error_page(&s, Nav::Projects, e),
    };
    let scale = Scale { from: range.start, to: range.end, width: 560.0 };
    let mut by_project: BTreeMap<&str, Vec<&QuotaUse>> = BTreeMap::new();
    for q in &quotas {
        by_project.entry(&q.project).or_default().push(q);
    }
    let body = html! {
        main.projects-page {
            h1 { "Projects and quotas" }
            p.help { "Quota is in GPUs of each model (a slice counts its share of the GPU's memory slices). Reserved bookings stay within nominal; opportunistic ones may borrow what others leave idle." }
            (cohorts(&quotas))
            @if by_project.is_empty() { p.empty { "You are in no project yet." } }
            @for (project, qs) in &by_project {
                section.project aria-labelledby=(format!("p-{project}")) {
                    h2 #(format!("p-{project}")) { (project) @if let Some(c) = &qs[0].cohort { " " span.muted { "cohort " (c) } } }
                    table.list {
                        thead { tr { th { "Model" } th { "Nominal" } th { "Borrowing limit" } th { "Lending limit" } th { "In use now" } th { "Peak, 7 days" } th { "Borrowed at peak" } } }
                        tbody { @for q in qs {
                            tr {
                                td { (q.model) }
                                td { (num(q.nominal)) }
                                td { (q.borrowing_limit.map_or("unlimited".into(), num)) }
                                td { (q.lending_limit.map_or("all of nominal".into(), num)) }
                                td { (num(q.now)) }
                                td { (num(q.peak())) }
                                td { (num((q.peak() - q.nominal).max(0.0))) }
                            }
                        } }
                    }
                    div.charts { @for q in qs { (step_chart(&format!("{} on {}", q.project, q.model), &q.series, q.nominal, scale, &s.tz, now, "GPUs (dashed: nominal)")) } }
                }
            }
        }
    };
    page(&s, Nav::Projects, "Projects and quotas", body).into_response()
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Per cohort and model, now: who uses more than its nominal (borrows) and who leaves nominal idle (lends).
fn cohorts(quotas: &[QuotaUse]) -> Markup {
    // (cohort, model) → (who borrows, who lends).
    type Pools<'a> = BTreeMap<(&'a str, &'a ModelKey), (Vec<String>, Vec<String>)>;
    let mut pools: Pools = BTreeMap::new();
    for q in quotas {
        let Some(c) = &q.cohort else { continue };
        let entry = pools.entry((c.as_str(), &q.model)).or_default();
        if q.now > q.nominal {
            entry.0.push(format!("{} borrows {}", q.project, num(q.now - q.nominal)));
        } else if q.now < q.nominal {
            let idle = q.nominal - q.now;
            let lends = q.lending_limit.map_or(idle, |l| l.min(idle));
            if lends > 0.0 {
                entry.1.push(format!("{} lends up to {}", q.project, num(lends)));
            }
        }
    }
    html! {
        @if !pools.is_empty() {
            section.cohorts aria-labelledby="cohorts" {
                h2 #cohorts { "Borrowing now" }
                table.list {
                    thead { tr { th { "Cohort" } th { "Model" } th { "Borrowing" } th { "Lending (idle nominal)" } } }
                    tbody { @for ((c, m), (borrow, lend)) in &pools {
                        tr { td { (c) } td { (m) }
                            td { @if borrow.is_empty() { span.muted { "nobody" } } @else { (borrow.join("; ")) } }
                            td { @if lend.is_empty() { span.muted { "nobody" } } @else { (lend.join("; ")) } } }
                    } }
                }
            }
        }
    }
}
