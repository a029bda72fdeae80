//! Booking from the console: the live verdict of the form beside the calendar (the same dry run as
//! `POST /api/v1/bookings?dry_run=true`), and the booking itself.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use api::rest::DecisionView;

use super::calendar::{CalQuery, calendar, render};
use super::fit::{marks, tier_pick};
use super::form::{BookForm, placement, reasons};
use super::layout::badge;
use super::session::{Posted, Session};
use super::tiers::{projects, tiers};
use crate::app_state::AppState;
use crate::engine::book::Booked;
use crate::error::AppError;

/// `POST /console/verdict`: what booking the form would decide, as a fragment.
pub(crate) async fn verdict(State(st): State<AppState>, Posted(s, f): Posted<BookForm>) -> Response {
    let req = match f.request(&s) {
        Ok(r) => r,
        // An incomplete form is not an error yet: say what is missing.
        Err(e) => return html! { p.help { (e) } }.into_response(),
    };
    let who = s.who.clone();
    match st.engine.read(move |state, now| state.decide(&who, &req, now)).await {
        Ok(Ok(d)) => decision(&s, &d).into_response(),
        Ok(Err(e)) => refusal(&s, &e.into()).into_response(),
        Err(e) => refusal(&s, &e.into()).into_response(),
    }
}

fn decision(s: &Session, d: &DecisionView) -> Markup {
    let fits = d.verdict.starts_with("fits");
    html! {
        p { (badge(&d.verdict)) }
        @if let Some(t) = &d.not_before {
            @if let Ok(t) = api::rest::parse_instant("not_before", t) {
                p { "It fits from " strong { (s.tz.show(t)) } " on." }
            }
        }
        (reasons(&d.reasons))
        @if fits {
            p.help { "It would go to:" }
            ul.placements { @for p in &d.placements { li { (placement(p)) } } }
            @if !d.preempts.is_empty() { p.warn { "It would preempt " (d.preempts.join(", ")) "." } }
        }
    }
}

/// An error or refusal from the engine, as a fragment.
fn refusal(s: &Session, e: &AppError) -> Markup {
    let verdict = match e.body.code.as_str() {
        "not-before" | "never" => e.body.code.clone(),
        _ => "not booked".into(),
    };
    html! {
        div.refusal role="alert" {
            p { (badge(&verdict)) }
            @if e.body.reasons.is_empty() || e.body.code == "invalid" { p { (e.body.message) } } @else { p { "It cannot be booked:" } }
            @if let Some(t) = e.body.not_before.as_deref().and_then(|t| api::rest::parse_instant("not_before", t).ok()) {
                p { "The same duration fits from " strong { (s.tz.show(t)) } " on." }
            }
            (reasons(&e.body.reasons))
        }
    }
}

/// `POST /console/fit`: the tier picker marked for the model the form asks about ("What will you run?"), the
/// smallest tier that fits it preselected, as a fragment.
pub(crate) async fn fit_pick(State(st): State<AppState>, Posted(s, f): Posted<BookForm>) -> Response {
    let who = s.who.clone();
    let project = f.project.clone().unwrap_or_default();
    let read = st
        .engine
        .read(move |state, _| {
            let bookable = projects(state.defs(), &who, true).contains(&project);
            let tiers = if bookable { tiers(state.defs(), &state.catalog, &project) } else { Vec::new() };
            (tiers, fit::candidates(&state.catalog, state.defs()))
        })
        .await;
    match read {
        Ok((tiers, candidates)) => {
            let m = f.model().map(|m| marks(&candidates, &tiers, m, f.context.as_deref().unwrap_or("")));
            tier_pick(&tiers, f.tier.as_deref(), m.as_ref()).into_response()
        }
        Err(e) => html! { div #tier-pick { (refusal(&s, &e.into())) } }.into_response(),
    }
}

/// `POST /console/book`: books, then shows the booking under My bookings; a refusal re-shows the form
/// with the reasons.
pub(crate) async fn book(State(st): State<AppState>, Posted(s, f): Posted<BookForm>) -> Response {
    let outcome = match f.request(&s) {
        Err(e) => Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e)),
        Ok(req) => {
            let who = s.who.clone();
            st.engine.book(who, req, None).await.map_err(AppError::from)
        }
    };
    let e = match outcome {
        Ok(Booked::Created(c)) => {
            return Redirect::to(&format!("/console/bookings?booked={}", c.booking.id)).into_response();
        }
        Ok(Booked::Replayed(_)) => return Redirect::to("/console/bookings").into_response(),
        Err(e) => e,
    };
    let q = CalQuery { project: f.project.clone(), tier: f.tier.clone(), ..CalQuery::default() };
    match calendar(&st, &s, &q).await {
        Ok(cal) => (e.status, render(&s, &q, &cal, f, Some(refusal(&s, &e)))).into_response(),
        Err(err) => super::error_page(&s, super::layout::Nav::Calendar, err),
    }
}
