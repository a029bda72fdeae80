//! The Kubernetes objects gpubook renders, for GitOps (`gpubook k8s render`, `gpubook k8s export`).

use axum::extract::State;
use serde::Deserialize;

use api::rest::{ErrorBody, parse_instant};

use super::AppState;
use super::extract::{Auth, Query};
use crate::error::AppError;

/// Unknown parameters are refused (422).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct ObjectsQuery {
    /// RFC 3339 instant in whole seconds; default now.
    #[param(format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    at: Option<String>,
}

/// Every object gpubook wants in the cluster at an instant, in apply order (admin only): Kueue cohorts,
/// flavors, priority classes, queues; DRA device classes and claim templates; HardwareProfiles; the warning
/// Events of bookings about to end; the mig-parted ConfigMap and node labels. The same objects the
/// reconciler applies.
#[utoipa::path(get, path = "/k8s/objects", tag = "kubernetes", params(ObjectsQuery),
    responses((status = 200, body = Vec<Object>), (status = 403, description = "not an admin", body = ErrorBody)))]
pub(super) async fn objects(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<ObjectsQuery>,
) -> Result<axum::Json<Vec<serde_json::Value>>, AppError> {
    if !who.is_admin() {
        return Err(AppError::forbidden("only an admin reads the cluster's objects"));
    }
    let at = q.at.as_deref().map(|t| parse_instant("at", t)).transpose()?;
    let opts = s.k8s.clone();
    let snapshot =
        s.engine.read(move |state, now| k8s::Snapshot::take(&state.planner, at.unwrap_or(now), &opts)).await?;
    let objects = tokio::task::spawn_blocking(move || snapshot.render())
        .await
        .map_err(|e| AppError::unavailable(format!("rendering failed: {e}")))?;
    Ok(axum::Json(objects.into_iter().map(|o| o.body).collect()))
}
