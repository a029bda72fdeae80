//! `/bookings`: book, list, show, cancel.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use api::rest::{BookingCreated, BookingRequest, BookingView, DecisionView, ErrorBody, StatusName};

use super::AppState;
use super::extract::{Auth, Body, Query};
use crate::engine::book::{Booked, parse_id};
use crate::error::AppError;

/// Unknown parameters are refused (422), so that a misspelt `dry_run` never books.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateQuery {
    /// Answer what booking would decide (200 with the verdict and placements); book nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Book devices for a window. With an `Idempotency-Key` header a retry is answered 201 again from what the
/// first request did (the same booking, verdict and reasons; the booking as it is now).
#[utoipa::path(post, path = "/bookings", tag = "bookings", request_body = BookingRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
            pattern = r"^[!-~]([ -~]*[!-~])?$",
            description = "makes retries safe: 1 to 200 visible ASCII characters"), CreateQuery),
    responses(
        (status = 201, description = "booked, durably", body = BookingCreated),
        (status = 200, description = "with dry_run: the decision, nothing booked", body = DecisionView),
        (status = 403, description = "not allowed for this project, or a priority above the project's", body = ErrorBody),
        (status = 409, description = "cannot be honoured (no room, quota, too long or too far ahead); the reasons \
            say why, and `not_before` when it fits later", body = ErrorBody),
        (status = 422, description = "bad input, naming the field; also a window in the past or not aligned to the \
            booking quantum, an unknown project, size or shape, or an Idempotency-Key reused for another request",
            body = ErrorBody)))]
pub(super) async fn create(
    State(s): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    Query(q): Query<CreateQuery>,
    Body(body): Body<BookingRequest>,
) -> Result<Response, AppError> {
    // Checked also for a dry run (which ignores it): a request the document refuses is refused.
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 200 && !k.contains('\t') => Some(k.to_string()),
            _ => return Err(AppError::invalid("Idempotency-Key", "must be 1 to 200 visible ASCII characters")),
        },
    };
    if q.dry_run {
        let decision = s.engine.read(move |state, now| state.decide(&who, &body, now)).await??;
        return Ok(axum::Json(decision).into_response());
    }
    let booked = s.engine.book(who, body, key).await?;
    Ok(match booked {
        Booked::Created(mut created) => {
            created.booking = crate::view::finish(created.booking, &s.k8s);
            (StatusCode::CREATED, axum::Json(created)).into_response()
        }
        Booked::Replayed(again) => {
            let replayed = [(axum::http::HeaderName::from_static("idempotent-replayed"), "true")];
            (StatusCode::CREATED, replayed, axum::Json(again)).into_response()
        }
    })
}

/// Unknown parameters are refused (422).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// Only this project's bookings.
    project: Option<String>,
    /// Only bookings with this status.
    status: Option<StatusName>,
}

/// The bookings the caller may see: all for an admin, its projects' otherwise.
#[utoipa::path(get, path = "/bookings", tag = "bookings", params(ListQuery),
    responses((status = 200, body = Vec<BookingView>),
        (status = 403, description = "a project the caller may not see", body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Vec<BookingView>>, AppError> {
    if let Some(p) = &q.project
        && !who.can_read(p)
    {
        return Err(AppError::forbidden(format!("you may not see project {p:?}")));
    }
    let opts = s.k8s.clone();
    let all = s
        .engine
        .read(move |state, now| {
            state
                .all_bookings()
                .into_iter()
                .filter(|b| who.can_read(&b.request.project))
                .filter(|b| q.project.as_ref().is_none_or(|p| *p == b.request.project))
                .filter(|b| q.status.is_none_or(|st| st.as_str() == b.status(now).as_str()))
                .map(|b| crate::view::finish(state.view(b, now), &opts))
                .collect()
        })
        .await?;
    Ok(axum::Json(all))
}

/// One booking.
#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", params(("id" = String, Path, description = "such as b17")),
    responses((status = 200, body = BookingView),
        (status = 404, description = "no such booking, or another project's", body = ErrorBody)))]
pub(super) async fn get(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<BookingView>, AppError> {
    let id = parse_id(&id).ok_or_else(|| AppError::not_found(format!("no booking {id}")))?;
    let view = s.engine.read(move |state, now| state.visible(&who, id).map(|b| state.view(b, now))).await??;
    Ok(axum::Json(crate::view::finish(view, &s.k8s)))
}

/// Cancel a booking; its devices are free at once.
#[utoipa::path(delete, path = "/bookings/{id}", tag = "bookings", params(("id" = String, Path, description = "such as b17")),
    responses((status = 200, body = BookingView),
        (status = 403, description = "not the caller's to cancel", body = ErrorBody),
        (status = 404, description = "no such booking, or another project's", body = ErrorBody),
        (status = 409, description = "already ended, cancelled or preempted", body = ErrorBody)))]
pub(super) async fn cancel(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<BookingView>, AppError> {
    let id = parse_id(&id).ok_or_else(|| AppError::not_found(format!("no booking {id}")))?;
    let view = s.engine.cancel(who, id).await?;
    Ok(axum::Json(crate::view::finish(view, &s.k8s)))
}
