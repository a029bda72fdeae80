//! What can be booked: the catalog, the fleet, and availability.

use axum::extract::State;
use serde::Deserialize;

use api::rest::{AvailabilityView, ErrorBody, ModeName, ReasonView, SlotView, parse_instant, parse_want};
use api::views::{CatalogModel, GpuView};
use model::{Mode, Request, Window};

use super::AppState;
use super::extract::{Auth, Query};
use crate::error::AppError;

/// Every GPU model gpubook knows, with its MIG profiles and placements.
#[utoipa::path(get, path = "/catalog", tag = "fleet", responses((status = 200, body = Vec<CatalogModel>)))]
pub(super) async fn catalog(State(s): State<AppState>, Auth(_who): Auth) -> axum::Json<Vec<CatalogModel>> {
    axum::Json(CatalogModel::all(&s.catalog))
}

/// Every GPU of the fleet with its reconfiguration mode and current layout.
#[utoipa::path(get, path = "/fleet", tag = "fleet", responses((status = 200, body = Vec<GpuView>)))]
pub(super) async fn fleet(State(s): State<AppState>, Auth(_who): Auth) -> Result<axum::Json<Vec<GpuView>>, AppError> {
    Ok(axum::Json(s.engine.read(|state, _| api::views::fleet(state.defs(), &state.catalog)).await?))
}

/// Unknown parameters are refused (422). `from` and `to` are still read, as deprecated names of `start` and
/// `end` (not both names of one).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct AvailabilityQuery {
    /// A project the caller may see.
    project: String,
    /// A size name; give `size` or `shape`, not both.
    #[param(min_length = 1)]
    size: Option<String>,
    /// `MODEL/PROFILE` or `MODEL/full`; give `size` or `shape`, not both.
    #[param(pattern = "^[^/]+/.+$")]
    shape: Option<String>,
    /// RFC 3339 instant in whole seconds (`from`, its deprecated name, is read too).
    #[param(required = true, value_type = String, format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    start: Option<String>,
    /// RFC 3339 instant in whole seconds, after `start` (`to`, its deprecated name, is read too).
    #[param(required = true, value_type = String, format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    end: Option<String>,
    /// Deprecated: `start`.
    #[param(ignore)]
    from: Option<String>,
    /// Deprecated: `end`.
    #[param(ignore)]
    to: Option<String>,
    /// `reserved` (default) or `opportunistic`.
    #[param(value_type = Option<ModeName>)]
    mode: Option<String>,
    /// Also count per slot of this length: ISO 8601 (`PT1H`) or `1h`; at most 2,000 slots.
    step: Option<String>,
}

/// The instant given under `name` or under its deprecated `alias`, and the name it came under.
fn renamed(
    (name, value): (&'static str, Option<String>),
    (alias, old): (&'static str, Option<String>),
) -> Result<(&'static str, String), AppError> {
    match (value, old) {
        (Some(v), None) => Ok((name, v)),
        (None, Some(v)) => Ok((alias, v)),
        (Some(_), Some(_)) => Err(AppError::invalid(name, format!("give {name} or {alias} (deprecated), not both"))),
        (None, None) => Err(AppError::invalid(name, "is required: an RFC 3339 instant such as 2026-01-05T09:00:00Z")),
    }
}

/// At most this many slots per availability request.
const MAX_SLOTS: i64 = 2000;

/// How many devices can be booked for the whole window — booking that many succeeds, one more fails.
#[utoipa::path(get, path = "/availability", tag = "bookings", params(AvailabilityQuery),
    responses((status = 200, body = AvailabilityView),
        (status = 403, description = "a project the caller may not see", body = ErrorBody),
        (status = 422, description = "bad input, naming the parameter; also neither or both of size and shape, an \
            end not after the start, or a step giving more than 2,000 slots", body = ErrorBody)))]
pub(super) async fn availability(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(mut q): Query<AvailabilityQuery>,
) -> Result<axum::Json<AvailabilityView>, AppError> {
    if !who.can_read(&q.project) {
        return Err(AppError::forbidden(format!("you may not see project {:?}", q.project)));
    }
    let want = parse_want(q.size.as_deref(), q.shape.as_deref())?;
    let (start_name, start) = renamed(("start", q.start.take()), ("from", q.from.take()))?;
    let (end_name, end) = renamed(("end", q.end.take()), ("to", q.to.take()))?;
    let window = Window::new(parse_instant(start_name, &start)?, parse_instant(end_name, &end)?)
        .map_err(|e| AppError::invalid(end_name, e))?;
    let mode = match q.mode.as_deref() {
        None => Mode::Reserved,
        Some(m) => Mode::parse(m)
            .ok_or_else(|| AppError::invalid("mode", format!("{m:?} is not reserved or opportunistic")))?,
    };
    let step = q.step.as_deref().map(parse_step).transpose()?;
    if let Some(step) = step
        && window.seconds() / step > MAX_SLOTS
    {
        return Err(AppError::invalid("step", format!("at most {MAX_SLOTS} slots per request")));
    }
    let view = s
        .engine
        .read(move |state, now| {
            let req = Request {
                project: q.project.clone(),
                owner: who.subject.clone(),
                want: want.clone(),
                count: 1,
                window,
                mode,
                priority: None,
            };
            let (available, reasons) = match state.planner.availability(&req, now) {
                Ok(k) => (k, Vec::new()),
                Err(r) => (0, r.iter().map(ReasonView::from).collect()),
            };
            let slots = step.map(|step| {
                state
                    .planner
                    .availability_slots(&q.project, &want, window, step, mode, now)
                    .map(|v| {
                        v.into_iter()
                            .map(|(w, n): (Window, u32)| SlotView {
                                start: w.start.to_string(),
                                end: w.end.to_string(),
                                available: n,
                            })
                            .collect()
                    })
                    .map_err(|r| r.iter().map(ReasonView::from).collect::<Vec<_>>())
            });
            match slots {
                Some(Err(reasons)) => {
                    Err(AppError::invalid("step", reasons.first().map_or(String::new(), |r| r.message.clone())))
                }
                Some(Ok(slots)) => Ok(AvailabilityView { available, slots: Some(slots), reasons }),
                None => Ok(AvailabilityView { available, slots: None, reasons }),
            }
        })
        .await??;
    Ok(axum::Json(view))
}

/// `PT1H`, `PT15M`, `P1D` or gpubook's own `1h`, `15m`.
fn parse_step(s: &str) -> Result<i64, AppError> {
    let secs = if s.starts_with('P') || s.starts_with('p') {
        s.parse::<jiff::SignedDuration>().map(|d| d.as_secs()).or_else(|_| {
            s.parse::<jiff::Span>().map_err(|e| e.to_string()).and_then(|sp| {
                sp.total((jiff::Unit::Second, jiff::civil::date(2000, 1, 1)))
                    .map(|t| t as i64)
                    .map_err(|e| e.to_string())
            })
        })
    } else {
        api::duration::parse_duration(s)
    };
    secs.map_err(|e| AppError::invalid("step", e))
        .and_then(|v| if v > 0 { Ok(v) } else { Err(AppError::invalid("step", "must be positive")) })
}
