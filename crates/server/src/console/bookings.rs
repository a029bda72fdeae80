//! My bookings: active ones with the time left, upcoming, and past (completed, cancelled, preempted with
//! the reason); cancelling.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use api::rest::BookingView;

use super::form::placement;
use super::layout::{Nav, badge, page};
use super::session::{CsrfOnly, Posted, Session};
use super::time::span;
use crate::app_state::AppState;
use crate::engine::book::parse_id;

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ListQuery {
    /// The booking just made, to greet.
    booked: Option<String>,
    /// The booking just cancelled.
    cancelled: Option<String>,
}

pub(crate) async fn list(State(st): State<AppState>, s: Session, Query(q): Query<ListQuery>) -> Response {
    let who = s.who.clone();
    let opts = st.k8s.clone();
    let read = st
        .engine
        .read(move |state, now| {
            let views: Vec<BookingView> = state
                .all_bookings()
                .into_iter()
                .filter(|b| who.can_read(&b.request.project))
                .filter(|b| {
                    who.is_admin() || who.role == crate::auth::Role::ProjectAdmin || b.request.owner == who.subject
                })
                .map(|b| crate::view::finish(state.view(b, now), &opts))
                .collect();
            (views, now)
        })
        .await;
    let (views, now) = match read {
        Ok(v) => v,
        Err(e) => return super::error_page(&s, Nav::Bookings, e),
    };
    let of = |st: &[&str]| views.iter().filter(|v| st.contains(&v.status.as_str())).collect::<Vec<_>>();
    let (active, upcoming) = (of(&["active"]), of(&["confirmed"]));
    let mut past = of(&["completed", "cancelled", "preempted"]);
    past.reverse();
    let just = q.booked.as_ref().and_then(|id| views.iter().find(|v| &v.id == id));
    let body = html! {
        main.bookings-page {
            h1 { "My bookings" }
            @if let Some(b) = just {
                div.notice role="status" {
                    p { "Booked " strong { (b.id) } ": " (what(b)) ", " (s.tz.show(instant(&b.start))) " to " (s.tz.show(instant(&b.end))) "." }
                    ul.placements { @for p in &b.placements { li { (placement(p)) } } }
                }
            }
            @if let Some(id) = &q.cancelled { div.notice role="status" { p { "Cancelled " strong { (id) } "; its devices are free again." } } }
            (section(&s, "Active", "Nothing is running for you now.", &active, now))
            (section(&s, "Upcoming", "No upcoming bookings. Book one from the calendar.", &upcoming, now))
            (section(&s, "Past", "Nothing yet.", &past, now))
        }
    };
    page(&s, Nav::Bookings, "My bookings", body).into_response()
}

fn instant(s: &str) -> model::Instant {
    api::rest::parse_instant("t", s).unwrap_or(model::Instant(0))
}

fn what(b: &BookingView) -> String {
    let thing = b.size.clone().or_else(|| b.shape.clone()).unwrap_or_default();
    format!("{} × {thing}", b.count)
}

/// The warning on a live booking within the server's end warning (`serve --end-warning`).
pub(crate) fn ending_soon(b: &BookingView) -> Markup {
    html! {
        @if b.ending_soon {
            p.ending-soon {
                strong { "Ending soon." } " At the end its queue is stopped and running workloads are evicted "
                "(Kueue HoldAndDrain): save your work."
            }
        }
    }
}

fn section(s: &Session, title: &str, empty: &str, rows: &[&BookingView], now: model::Instant) -> Markup {
    let id = title.to_lowercase();
    html! {
        section aria-labelledby=(id) {
            h2 #(id) { (title) " " span.count { (rows.len()) } }
            @if rows.is_empty() { p.empty { (empty) } } @else {
                table.list {
                    thead { tr { th { "Booking" } th { "What" } th { "When" } th { "Where" } th { "Status" } th { span.sr { "Actions" } } } }
                    tbody { @for b in rows { (row(s, b, now)) } }
                }
            }
        }
    }
}

fn row(s: &Session, b: &BookingView, now: model::Instant) -> Markup {
    let (start, end) = (instant(&b.start), instant(&b.end));
    let cancellable = matches!(b.status.as_str(), "active" | "confirmed") && s.who.can_cancel(&b.project, &b.owner);
    html! {
        tr #(format!("booking-{}", b.id)) data-status=(b.status) {
            td { strong { (b.id) } br; span.muted { (b.project) " · " (b.owner) } }
            td { (what(b)) br; span.muted { (b.mode) } }
            td { (s.tz.show(start)) " – " (s.tz.show(end))
                @if b.status == "active" { br; span.left { (span(end.0 - now.0)) " left" } }
                (ending_soon(b)) }
            td { @for p in &b.placements { (placement(p)) br; }
                @if let (Some(k), true) = (&b.kubernetes, matches!(b.status.as_str(), "active" | "confirmed")) {
                    span.muted title="Label workloads kueue.x-k8s.io/queue-name with it; the ResourceClaimTemplate and HardwareProfile have the same name" {
                        "queue " code { (k.local_queue) } " in " code { (k.namespace) }
                    }
                } }
            td { (badge(&b.status))
                @if let Some(r) = &b.status_reason { p.reason { (r) } } }
            td.actions {
                @if matches!(b.status.as_str(), "active" | "confirmed") {
                    a.use href=(format!("/console/bookings/{}/use", b.id)) aria-label=(format!("Use this booking, {}", b.id)) {
                        "Use this booking"
                    }
                }
                @if cancellable {
                form method="post" action=(format!("/console/bookings/{}/cancel", b.id)) {
                    input type="hidden" name="csrf" value=(s.csrf);
                    button.danger type="submit" aria-label=(format!("Cancel booking {}", b.id)) { "Cancel" }
                }
            } }
        }
    }
}

pub(crate) async fn cancel(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted<CsrfOnly>,
) -> Response {
    let Some(bid) = parse_id(&id) else {
        return super::error_page(&s, Nav::Bookings, crate::error::AppError::not_found(format!("no booking {id}")));
    };
    let who = s.who.clone();
    match st.engine.cancel(who, bid).await {
        Ok(v) => Redirect::to(&format!("/console/bookings?cancelled={}", v.id)).into_response(),
        Err(e) => super::error_page(&s, Nav::Bookings, e),
    }
}
