//! Utilisation: booked GPU units against capacity over time, per GPU model, as SVG charts; and the hourly
//! usage series the projects page draws too.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use model::{Booking, Instant, ModelKey, Window};

use super::layout::{Nav, page};
use super::session::Session;
use super::svg::{Scale, step_chart};
use crate::app_state::AppState;

/// Days before and after now that the charts cover.
pub(crate) const DAYS_BEFORE: i64 = 3;
pub(crate) const DAYS_AFTER: i64 = 4;

/// The hours the charts cover, from `DAYS_BEFORE` days before the current hour.
pub(crate) fn range(now: Instant) -> Window {
    let hour = Instant(now.0.div_euclid(3600) * 3600);
    Window { start: hour.plus(-DAYS_BEFORE * 86_400), end: hour.plus(DAYS_AFTER * 86_400) }
}

/// Memory slices of `model` that `bookings` hold in each hour of `range`, averaged over the hour.
pub(crate) fn hourly<'a>(
    bookings: impl Iterator<Item = &'a Booking>,
    catalog: &model::Catalog,
    model: &ModelKey,
    range: Window,
) -> Vec<(Instant, f64)> {
    let hours = ((range.end.0 - range.start.0) / 3600) as usize;
    let mut out: Vec<f64> = vec![0.0; hours];
    for b in bookings.filter(|b| b.holds() && b.window().overlaps(&range)) {
        let w = b.window();
        let slices: u32 = b
            .devices
            .iter()
            .filter(|d| &d.shape.model == model)
            .filter_map(|d| catalog.shape(&d.shape).ok())
            .map(|s| s.slices.0)
            .sum();
        if slices == 0 {
            continue;
        }
        let first = ((w.start.0.max(range.start.0) - range.start.0) / 3600) as usize;
        let last = ((w.end.0.min(range.end.0) - 1 - range.start.0) / 3600) as usize;
        for (h, v) in out.iter_mut().enumerate().take(last.min(hours - 1) + 1).skip(first) {
            let hour = range.start.0 + h as i64 * 3600;
            let overlap = w.end.0.min(hour + 3600) - w.start.0.max(hour);
            *v += f64::from(slices) * overlap.max(0) as f64 / 3600.0;
        }
    }
    out.into_iter().enumerate().map(|(h, v)| (Instant(range.start.0 + h as i64 * 3600), v)).collect()
}

struct ModelUse {
    model: String,
    gpus: usize,
    units: u32,
    series: Vec<(Instant, f64)>,
}

pub(crate) async fn page_handler(State(st): State<AppState>, s: Session) -> Response {
    let who = s.who.clone();
    let read = st
        .engine
        .read(move |state, now| {
            let range = range(now);
            let mut gpus: BTreeMap<ModelKey, usize> = BTreeMap::new();
            for g in state.defs().fleet.gpus() {
                *gpus.entry(g.model.clone()).or_default() += 1;
            }
            // Everyone sees the fleet's totals; only bookings the user may read are what they add up from
            // for non-admins, so a tenant's chart is its projects' share.
            let visible: Vec<&Booking> =
                state.planner.bookings().filter(|b| who.can_read(&b.request.project)).collect();
            let models = gpus
                .into_iter()
                .map(|(m, n)| ModelUse {
                    model: m.to_string(),
                    gpus: n,
                    units: state.catalog.get(m.as_str()).map_or(1, |x| x.units()),
                    series: hourly(visible.iter().copied(), &state.catalog, &m, range),
                })
                .collect::<Vec<_>>();
            (models, now, range)
        })
        .await;
    let (models, now, range) = match read {
        Ok(r) => r,
        Err(e) => return super::error_page(&s, Nav::Usage, e),
    };
    let scale = Scale { from: range.start, to: range.end, width: 760.0 };
    let whose = if s.who.is_admin() { "every project" } else { "your projects" };
    let body = html! {
        main.usage-page {
            h1 { "Utilisation" }
            p.help { "Booked GPUs (a slice counts its share of the GPU's memory slices) against the fleet's capacity, hour by hour, for " (whose) ", from " (DAYS_BEFORE) " days ago to " (DAYS_AFTER) " days ahead." }
            @if models.is_empty() { p.empty { "No GPUs are declared yet." } }
            div.models { @for m in &models {
                @let units = f64::from(m.units.max(1));
                @let series: Vec<(Instant, f64)> = m.series.iter().map(|(t, v)| (*t, v / units)).collect();
                @let booked: f64 = series.iter().filter(|(t, _)| *t < now).map(|s| s.1).sum::<f64>();
                @let past_hours = series.iter().filter(|(t, _)| *t < now).count().max(1) as f64;
                section.model {
                    h2 { (m.model) " " span.muted { (m.gpus) " GPUs" } }
                    (step_chart(&m.model, &series, m.gpus as f64, scale, &s.tz, now, "GPUs"))
                    p.help { "Past " (DAYS_BEFORE) " days: " strong { (format!("{:.0}%", 100.0 * booked / past_hours / m.gpus as f64)) } " of capacity booked on average." }
                }
            } }
        }
    };
    page(&s, Nav::Usage, "Utilisation", body).into_response()
}
