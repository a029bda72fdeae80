//! `GET /usage`: booked GPU-hours and their cost per project, booking, model, owner or cohort within a
//! window — a read over the committed state (the ledger in `model::ledger`; docs/metering.md).

use axum::extract::State;
use serde::Deserialize;

use api::rest::{ErrorBody, parse_instant};
use api::usage::{ByName, MAX_REPORT_DAYS, UsageReport};
use model::Window;
use model::ledger::{By, report};

use super::AppState;
use super::extract::{Auth, Query};
use crate::error::AppError;

/// Unknown parameters are refused (422).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct UsageQuery {
    /// RFC 3339 instant in whole seconds: the report's start.
    #[param(required = true, value_type = String, format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    from: Option<String>,
    /// RFC 3339 instant in whole seconds, after `from` and at most 400 days after it.
    #[param(required = true, value_type = String, format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    to: Option<String>,
    /// What the rows group by (default `project`).
    #[param(value_type = Option<ByName>)]
    by: Option<String>,
    /// Only this project's bookings.
    project: Option<String>,
}

/// Booked device- and GPU-hours and their cost within `[from, to)`, grouped by `by`: the caller's projects
/// only (all, for an admin). Used and idle hours are null until observed use is known.
#[utoipa::path(get, path = "/usage", tag = "usage", params(UsageQuery),
    responses((status = 200, body = UsageReport),
        (status = 403, description = "a project the caller may not see", body = ErrorBody),
        (status = 422, description = "bad input, naming the parameter: a missing or unreadable `from` or `to`, \
            `from` not before `to`, a window over 400 days, an unknown `by`", body = ErrorBody)))]
pub(super) async fn usage(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<UsageQuery>,
) -> Result<axum::Json<UsageReport>, AppError> {
    let instant = |name: &str, v: &Option<String>| match v {
        Some(v) => parse_instant(name, v).map_err(AppError::from),
        None => Err(AppError::invalid(name, "is required: an RFC 3339 instant such as 2026-01-05T09:00:00Z")),
    };
    let (from, to) = (instant("from", &q.from)?, instant("to", &q.to)?);
    let within = Window::new(from, to).map_err(|_| AppError::invalid("from", "must come before to"))?;
    if within.seconds() > MAX_REPORT_DAYS * 86_400 {
        return Err(AppError::invalid("to", format!("at most {MAX_REPORT_DAYS} days after from")));
    }
    let by = match q.by.as_deref() {
        None => By::Project,
        Some(b) => By::parse(b).ok_or_else(|| {
            AppError::invalid("by", format!("{b:?} is not one of project, booking, model, owner, cohort"))
        })?,
    };
    if let Some(p) = &q.project
        && !who.can_read(p)
    {
        return Err(AppError::forbidden(format!("you may not see project {p:?}")));
    }
    let answer = s
        .engine
        .read(move |state, _| {
            let bookings = state
                .all_bookings()
                .into_iter()
                .filter(|b| who.can_read(&b.request.project))
                .filter(|b| q.project.as_ref().is_none_or(|p| *p == b.request.project));
            let (rows, total) = report(bookings, within, &state.prices, &state.catalog, state.defs(), by);
            UsageReport::of(state.prices.currency().map(str::to_string), within, by, &rows, &total)
        })
        .await?;
    Ok(axum::Json(answer))
}
