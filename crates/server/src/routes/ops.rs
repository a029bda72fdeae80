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

/// 200 when the engine answers, the database is reachable and this server can write; 503 with the reason
/// otherwise. "Can write" is the outcome of the last commit; after a failed one (a full disk, say) each call
/// probes with a write of a commit's size (`Store::probe_write`) and turns healthy once one goes through.
pub(super) async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    let r = readiness(&s).await;
    let status = if r.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let text = if r.ready { "ok\n".to_string() } else { format!("{}\n", r.detail) };
    (status, text)
}

/// What `/readyz` answers: whether this server takes requests now, and what stands in the way.
#[derive(Debug, serde::Serialize)]
pub(super) struct Readiness {
    ready: bool,
    /// `writer` (decides and commits) — the only role until several replicas share a database.
    role: &'static str,
    /// `ok`, `failing` (the last commit failed; retried) or `fenced` (another server took the writer's lock).
    writes: &'static str,
    engine: &'static str,
    database: &'static str,
    detail: String,
}

/// 200 and `{"ready": true, …}` when this server takes reads and writes; 503 and the part that is not ready
/// otherwise (`writes`: failing or fenced; `engine`; `database`).
pub(super) async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    let r = readiness(&s).await;
    let status = if r.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(r))
}

async fn readiness(s: &AppState) -> Readiness {
    use crate::engine::Writes;
    let engine = s.engine.read(|_, _| ()).await;
    let db = s.store.ping().await;
    let mut writes = s.engine.health.writes();
    // While commits fail, a probe write tells whether they would go through again: so the server turns
    // ready by itself, even where an orchestrator sends it no traffic while it is not ready.
    if let Writes::Failing(_) = writes
        && s.store.probe_write().await.is_ok()
    {
        s.engine.health.recovered();
        writes = Writes::Ok;
    }
    let mut detail = Vec::new();
    if let Err(e) = &engine {
        detail.push(format!("engine: {e}"));
    }
    if let Err(e) = &db {
        detail.push(format!("database: {e}"));
    }
    let writes_word = match &writes {
        Writes::Ok => "ok",
        Writes::Failing(why) => {
            detail.push(format!("writes failing: {why}"));
            "failing"
        }
        Writes::Fenced(why) => {
            detail.push(format!("writes stopped: {why}"));
            "fenced"
        }
    };
    Readiness {
        ready: detail.is_empty(),
        role: "writer",
        writes: writes_word,
        engine: if engine.is_ok() { "ok" } else { "unavailable" },
        database: if db.is_ok() { "ok" } else { "unreachable" },
        detail: detail.join("; "),
    }
}

/// Prometheus text format. Aggregates only: no project names or owners.
pub(super) async fn metrics(State(s): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let metrics = s.metrics.clone();
    let text = s.engine.read(move |state, now| metrics.render(state, now)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}

/// Unknown parameters are refused (422).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    /// At most this many entries, newest first (default 100; below 1 reads as 1, above 1000 as 1000).
    limit: Option<i64>,
}

/// Who did what (admin only).
#[utoipa::path(get, path = "/audit", tag = "auth", params(AuditQuery),
    responses((status = 200, body = Vec<AuditView>), (status = 403, description = "not an admin", body = ErrorBody)))]
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
