//! `GET /bookings/{id}/manifests`: what to deploy on a booking (a vLLM Deployment and Service, a KServe
//! InferenceService or a batch Job), rendered by `k8s::deploy` from the committed booking.

use std::sync::OnceLock;

use axum::extract::{Path, State};
use serde::Deserialize;

use api::deploy::ManifestsView;
use api::rest::ErrorBody;
use fit::ModelCatalog;
use k8s::deploy::{DeployRequest, WorkloadKind, manifests, to_yaml};

use super::AppState;
use super::extract::{Auth, Query};
use crate::engine::book::parse_id;
use crate::error::AppError;

/// The workload kinds, as the `kind` parameter names them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(super) enum KindName {
    Vllm,
    Inferenceservice,
    Job,
}

/// Unknown parameters are refused (422).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct ManifestsQuery {
    /// A Hugging Face id of the model catalog, such as `meta-llama/Llama-3.1-8B-Instruct`.
    #[param(min_length = 1, max_length = 200)]
    model: String,
    /// What to deploy; default `vllm`.
    #[param(value_type = Option<KindName>)]
    kind: Option<String>,
    /// The container image; default vLLM's OpenAI server image.
    #[param(min_length = 1, max_length = 512)]
    image: Option<String>,
    /// Claim the devices through the booking's ResourceClaimTemplate (DRA) instead of the extended resource.
    dra: Option<bool>,
}

fn models() -> &'static ModelCatalog {
    static MODELS: OnceLock<ModelCatalog> = OnceLock::new();
    MODELS.get_or_init(ModelCatalog::builtin)
}

/// Ready-to-apply manifests for a booking: in its project's namespace, labelled with its LocalQueue, asking
/// for its devices (or its claim) and cpu and memory within its allowance, with vLLM's arguments from the
/// model-fit advisor.
#[utoipa::path(get, path = "/bookings/{id}/manifests", tag = "bookings",
    params(("id" = String, Path, description = "such as b17"), ManifestsQuery),
    responses((status = 200, body = ManifestsView),
        (status = 404, description = "no such booking, or another project's", body = ErrorBody),
        (status = 422, description = "bad input, naming the parameter: an unknown kind, a model not in the \
            catalog or one that does not fit on the booking, `dra` with an InferenceService or with a model that \
            runs on fewer devices than the booking holds, a bad image", body = ErrorBody)))]
pub(super) async fn manifests_of(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Query(q): Query<ManifestsQuery>,
) -> Result<axum::Json<ManifestsView>, AppError> {
    let id = parse_id(&id).ok_or_else(|| AppError::not_found(format!("no booking {id}")))?;
    let kind_name = q.kind.unwrap_or_else(|| "vllm".into());
    let kind = WorkloadKind::parse(&kind_name)
        .ok_or_else(|| AppError::invalid("kind", format!("{kind_name:?} is not one of {}", WorkloadKind::NAMES)))?;
    let req = DeployRequest { kind, model: q.model, image: q.image, dra: q.dra.unwrap_or(false), queues: s.k8s.queues };
    let rendered = s
        .engine
        .read(move |state, _| {
            let b = state.visible(&who, id)?;
            let namespace = state.defs().projects.get(&b.request.project).map(|p| p.namespace.clone());
            Ok::<_, crate::engine::error::Error>((
                manifests(&state.catalog, state.defs(), models(), b, &req),
                namespace.unwrap_or_default(),
                req,
            ))
        })
        .await??;
    let (result, namespace, req) = rendered;
    let objects = result.map_err(|e| AppError::invalid(e.field, e.reason))?;
    Ok(axum::Json(ManifestsView {
        booking: id.to_string(),
        namespace,
        kind: kind_name,
        model: req.model,
        yaml: to_yaml(&objects),
        manifests: objects,
    }))
}
