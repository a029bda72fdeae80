//! The fleet, for admins: every node and GPU with its MIG layout drawn to scale in memory slices, and a
//! timeline of the instances booked on it, with the layout changes the calendar plans for per-gpu GPUs.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use model::{Instant, Reconfiguration, Slot, Window};

use super::layout::{Nav, forbidden, page};
use super::session::Session;
use super::svg::{Scale, axis, now_line};
use crate::app_state::AppState;

/// Hours of timeline shown from the start of the current hour.
const HOURS: i64 = 48;
const UNIT_PX: f64 = 36.0;
const LANE_PX: f64 = 9.0;
const TIMELINE_PX: f64 = 760.0;

/// Memory-slice units `[first, first + size)` of a GPU.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Units {
    first: u32,
    size: u32,
}

struct Held {
    booking: String,
    project: String,
    label: String,
    window: Window,
    units: Units,
}

struct GpuRow {
    id: String,
    model: String,
    mode: Reconfiguration,
    units: u32,
    /// The declared layout (what the GPU is configured with), as (profile, units).
    declared: Vec<(String, Units)>,
    held: Vec<Held>,
    /// Planned layout changes inside the timeline: when, and the instances of the new layout.
    changes: Vec<(Instant, String)>,
}

pub(crate) async fn page_handler(State(st): State<AppState>, s: Session) -> Response {
    if !s.who.is_admin() {
        return forbidden(&s, Nav::Fleet, "The fleet view is for platform admins.");
    }
    let rows = st.engine.read(|state, now| (rows(state, now), now)).await;
    let (rows, now) = match rows {
        Ok(r) => r,
        Err(e) => return super::error_page(&s, Nav::Fleet, e),
    };
    let from = Instant(now.0.div_euclid(3600) * 3600);
    let scale = Scale { from, to: from.plus(HOURS * 3600), width: TIMELINE_PX };
    let nodes: BTreeSet<&str> = rows.iter().map(|r| r.id.split('/').next().unwrap_or("")).collect();
    let body = html! {
        main.fleet-page {
            h1 { "Fleet" }
            p.help { (rows.len()) " GPUs on " (nodes.len()) " nodes. Each GPU's memory slices are drawn to scale; filled instances are booked now. The timeline shows the next " (HOURS) " hours." }
            @if rows.is_empty() { p.empty { "No GPUs are declared yet: apply a fleet with " code { "gpubook apply -f fleet.yaml" } "." } }
            @for node in &nodes {
                section.node aria-label=(format!("node {node}")) {
                    h2 { (node) }
                    @for r in rows.iter().filter(|r| r.id.split('/').next() == Some(*node)) { (gpu(&s, r, scale, now)) }
                }
            }
        }
    };
    page(&s, Nav::Fleet, "Fleet", body).into_response()
}

fn rows(state: &crate::engine::state::State, now: Instant) -> Vec<GpuRow> {
    let horizon = Window {
        start: Instant(now.0.div_euclid(3600) * 3600),
        end: Instant(now.0.div_euclid(3600) * 3600 + HOURS * 3600),
    };
    let mut rows: Vec<GpuRow> = state
        .defs()
        .fleet
        .gpus()
        .map(|g| {
            let geo = state.catalog.get(g.model.as_str()).and_then(|m| m.mig.clone());
            let declared = match (&geo, &g.layout) {
                (Some(geo), Some(l)) => l
                    .placements()
                    .iter()
                    .map(|p| {
                        (
                            geo.profile(p.profile).name.clone(),
                            Units { first: p.start, size: geo.profile(p.profile).size },
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            GpuRow {
                id: g.id.to_string(),
                model: g.model.to_string(),
                mode: g.reconfiguration,
                units: geo.as_ref().map_or(1, |x| x.units),
                declared,
                held: Vec::new(),
                changes: Vec::new(),
            }
        })
        .collect();
    let index: std::collections::BTreeMap<String, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
    for b in state.planner.bookings().filter(|b| b.holds() && b.window().overlaps(&horizon)) {
        for d in &b.devices {
            let Some(&i) = index.get(&d.gpu.to_string()) else { continue };
            let units = match d.slot {
                Slot::Whole => Units { first: 0, size: rows[i].units },
                Slot::Mig { profile, start } => {
                    let geo = state.catalog.get(d.shape.model.as_str()).and_then(|m| m.mig.as_ref());
                    let size = geo.map_or(1, |g| g.profile(profile).size);
                    Units { first: start, size }
                }
            };
            let label = d.shape.profile.clone().unwrap_or_else(|| "full".into());
            rows[i].held.push(Held {
                booking: b.id.to_string(),
                project: b.request.project.clone(),
                label,
                window: b.window(),
                units,
            });
        }
    }
    for (r, g) in rows.iter_mut().zip(state.defs().fleet.gpus()) {
        r.changes = planned_changes(state, g, horizon);
    }
    rows
}

/// The planner's layout changes of a per-gpu GPU inside the timeline: an epoch whose layout differs from
/// the one before it is reconfigured ahead of its start (shown at the start).
fn planned_changes(state: &crate::engine::state::State, g: &model::Gpu, horizon: Window) -> Vec<(Instant, String)> {
    let geo = state.catalog.get(g.model.as_str()).and_then(|m| m.mig.clone());
    let describe = |l: &Option<model::Layout>| match (l, &geo) {
        (Some(l), Some(geo)) => l.describe(geo),
        _ => "whole GPU".to_string(),
    };
    let mut current = g.layout.clone();
    let mut out = Vec::new();
    for epoch in state.planner.layout_plan(&g.id, horizon.start) {
        if epoch.layout != current && epoch.window.start >= horizon.start && epoch.window.start < horizon.end {
            out.push((epoch.window.start, describe(&epoch.layout)));
        }
        current = epoch.layout;
    }
    out
}

fn gpu(s: &Session, r: &GpuRow, scale: Scale, now: Instant) -> Markup {
    let lanes = r.units.max(1) as f64;
    let tl_h = lanes * LANE_PX;
    let running: Vec<&Held> = r.held.iter().filter(|h| h.window.contains(now)).collect();
    html! {
        article.gpu aria-label=(format!("GPU {}", r.id)) {
            header {
                h3 { (r.id) }
                span.muted { (r.model) " · " (r.mode.as_str()) }
            }
            svg.layout width=(lanes * UNIT_PX + 2.0) height="30" role="img"
                aria-label=(format!("{} memory slices; booked now: {}", r.units, if running.is_empty() { "none".to_string() } else { running.iter().map(|h| h.label.as_str()).collect::<Vec<_>>().join(", ") })) {
                @for u in 0..r.units { rect.unit x=(1.0 + u as f64 * UNIT_PX) y="1" width=(UNIT_PX) height="28" {} }
                @for (p, u) in &r.declared {
                    rect.declared x=(1.0 + u.first as f64 * UNIT_PX) y="1" width=(u.size as f64 * UNIT_PX) height="28" { title { (p) " (declared)" } }
                }
                @for h in &running {
                    rect.busy x=(1.0 + h.units.first as f64 * UNIT_PX) y="1" width=(h.units.size as f64 * UNIT_PX) height="28" {
                        title { (h.label) ": " (h.booking) " of " (h.project) }
                    }
                    text x=(4.0 + h.units.first as f64 * UNIT_PX) y="19" { (h.label) }
                }
            }
            svg.timeline viewBox=(format!("0 0 {} {}", scale.width, tl_h + 16.0)) role="img"
                aria-label=(format!("{} booked instances in the next {HOURS} hours, {} planned layout changes", r.held.len(), r.changes.len())) {
                rect.lane x="0" y="0" width=(scale.width) height=(tl_h) {}
                @for h in &r.held {
                    @let (x0, x1) = (scale.x(h.window.start), scale.x(h.window.end));
                    rect.booked x=(x0) y=(h.units.first as f64 * LANE_PX) width=((x1 - x0).max(1.0)) height=(h.units.size as f64 * LANE_PX - 1.0) {
                        title { (h.booking) " · " (h.project) " · " (h.label) " · " (s.tz.show(h.window.start)) " – " (s.tz.show(h.window.end)) }
                    }
                }
                @for (t, layout) in &r.changes {
                    @let x = scale.x(*t);
                    line.change x1=(x) x2=(x) y1="0" y2=(tl_h) { title { "layout change at " (s.tz.show(*t)) ": " (layout) } }
                }
                (axis(scale, &s.tz, tl_h, 16.0))
                (now_line(scale, now, tl_h))
            }
            @if !r.changes.is_empty() {
                ul.changes { @for (t, layout) in &r.changes { li { "Reconfigures at " (s.tz.show(*t)) " to " (layout) } } }
            }
        }
    }
}
