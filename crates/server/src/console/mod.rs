//! The web console: server-rendered pages (maud) for tenants and platform teams, with vendored htmx for the
//! live verdict. Every asset is compiled into the binary, so it works air-gapped. Pages act for the
//! principal of the session cookie through the same engine calls as the REST API.

mod book;
mod bookings;
mod calendar;
mod fit;
mod fleet;
mod form;
mod http;
mod layout;
mod projects;
mod session;
mod sign_in;
mod svg;
mod tiers;
mod time;
mod usage;
mod use_booking;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;

use crate::app_state::AppState;
use crate::error::AppError;

/// The console's routes, under `/console`, and `/` leading there.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(calendar::page_handler))
        .route("/console/sign-in", get(sign_in::sign_in_page).post(sign_in::sign_in))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/verdict", post(book::verdict))
        .route("/console/book", post(book::book))
        .route("/console/fit", post(book::fit_pick))
        .route("/console/bookings", get(bookings::list))
        .route("/console/bookings/{id}/cancel", post(bookings::cancel))
        .route("/console/bookings/{id}/use", get(use_booking::page_handler))
        .route("/console/fleet", get(fleet::page_handler))
        .route("/console/projects", get(projects::page_handler))
        .route("/console/usage", get(usage::page_handler))
        .route("/console/assets/{name}", get(asset))
}

/// The vendored and own assets, by name.
const ASSETS: [(&str, &str, &[u8]); 3] = [
    ("htmx.min.js", "text/javascript", include_bytes!("../../assets/htmx.min.js")),
    ("console.js", "text/javascript", include_bytes!("../../assets/console.js")),
    ("console.css", "text/css", include_bytes!("../../assets/console.css")),
];

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, bytes)) => {
            ([(header::CONTENT_TYPE, *mime), (header::CACHE_CONTROL, "public, max-age=3600")], *bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// An engine error as a page, with its status and message as `crate::error` maps them for the API.
pub(crate) fn error_page(s: &session::Session, nav: layout::Nav, e: impl Into<AppError>) -> Response {
    let e: AppError = e.into();
    let body = html! {
        main {
            h1 { "Something went wrong" }
            p role="alert" { (e.body.message) }
            (form::reasons(&e.body.reasons))
            p { a href="/console" { "Back to the calendar" } }
        }
    };
    (e.status, layout::page(s, nav, "Error", body)).into_response()
}
