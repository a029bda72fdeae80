//! Operations: health, metrics, the audit log, and the JSON 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use api::rest::{AuditView, ErrorBody};
use model::Instant;

use super::AppState;
use super::extract::{Auth, Query};
use crate::error::AppError;

/// 200 when the engine answers and the database is reachable; 503 otherwise.
pub(super) async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    let engine = s.engine.read(|_, _| ()).await;
    let db = s.store.ping().await;
    match (engine, db) {
        (Ok(()), Ok(())) => (StatusCode::OK, "ok\n".to_string()),
        (Err(e), _) => (StatusCode::SERVICE_UNAVAILABLE, format!("engine: {}\n", e.body.message)),
        (_, Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")),
    }
}

/// Prometheus text format. Aggregates only: no project names or owners.
pub(super) async fn metrics(State(s): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let metrics = s.metrics.clone();
    let text = s.engine.read(move |state, now| metrics.render(state, now)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    /// At most this many entries, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// Who did what (admin only).
#[utoipa::path(get, path = "/audit", tag = "auth", params(AuditQuery),
    responses((status = 200, body = Vec<AuditView>), (status = 403, body = ErrorBody)))]
pub(super) async fn audit(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<Vec<AuditView>>, AppError> {
    if !who.is_admin() {
        return Err(AppError::forbidden("only an admin reads the audit log"));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = s.store.audit(limit).await.map_err(|e| AppError::unavailable(e.to_string()))?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|r| AuditView {
                seq: r.seq,
                at: Instant(r.at).to_string(),
                actor: r.actor,
                action: r.action,
                target: r.target,
                detail: r.detail,
            })
            .collect(),
    ))
}

pub(super) async fn no_route() -> AppError {
    AppError::not_found("no such endpoint under /api/v1")
}
