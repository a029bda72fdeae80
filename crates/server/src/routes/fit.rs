//! `GET /fit`: will a model serve on each shape of the fleet, with the server's current fleet and sizes.

use axum::extract::State;
use serde::Deserialize;

use api::fit::{DtypeName, FitError, FitView, KvDtypeName, ModelSource, ask};
use api::rest::ErrorBody;
use fit::{Dtype, KvDtype, Question};

use super::AppState;
use super::extract::{Auth, Query};
use crate::error::AppError;

/// Unknown parameters are refused (422).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct FitQuery {
    /// A Hugging Face id of the model catalog, such as `meta-llama/Llama-3.1-8B-Instruct`.
    #[param(min_length = 1, max_length = 200)]
    model: String,
    /// Tokens per sequence (vLLM's `--max-model-len`): default 8,192, or the model's own limit if shorter;
    /// at most the model's `max_position_embeddings`.
    #[param(minimum = 1, maximum = 16777216)]
    context: Option<i64>,
    /// Sequences served at once, each of `context` tokens; default 1.
    #[param(minimum = 1, maximum = 4096)]
    concurrency: Option<i64>,
    /// Weight dtype; default the published weights'.
    #[param(value_type = Option<DtypeName>)]
    dtype: Option<String>,
    /// KV cache dtype; default `auto`.
    #[param(value_type = Option<KvDtypeName>)]
    kv_dtype: Option<String>,
}

/// A count as the question reads it; a negative one is refused here, naming the field.
fn count(field: &'static str, n: Option<i64>) -> Result<Option<u64>, AppError> {
    n.map(|n| u64::try_from(n).map_err(|_| AppError::invalid(field, format!("{n} is not a positive number"))))
        .transpose()
}

/// The model's weights and KV cache per token, and for every shape of the fleet (smallest first) whether it
/// fits, with how many devices (tensor parallel over whole GPUs of one node; MIG slices never combined), the
/// `max_model_len` and `max_num_seqs` it allows, and the `vllm serve` arguments — or why not.
#[utoipa::path(get, path = "/fit", tag = "fleet", params(FitQuery),
    responses((status = 200, body = FitView),
        (status = 422, description = "bad input, naming the parameter: a model not in the catalog (naming the \
            closest ids), a context longer than the model's, a dtype or number out of range", body = ErrorBody)))]
pub(super) async fn fit(
    State(s): State<AppState>,
    Auth(_who): Auth,
    Query(q): Query<FitQuery>,
) -> Result<axum::Json<FitView>, AppError> {
    let dtype = match q.dtype.as_deref() {
        None => None,
        Some(d) => Some(Dtype::parse(d).ok_or_else(|| {
            AppError::invalid("dtype", format!("{d:?} is not one of bf16, fp16, fp8, int8, int4-awq, int4-gptq, mxfp4"))
        })?),
    };
    let kv_dtype = match q.kv_dtype.as_deref() {
        None => KvDtype::Auto,
        Some(k) => {
            KvDtype::parse(k).ok_or_else(|| AppError::invalid("kv_dtype", format!("{k:?} is not auto or fp8")))?
        }
    };
    let question = Question {
        context: count("context", q.context)?,
        concurrency: count("concurrency", q.concurrency)?,
        dtype,
        kv_dtype,
    };
    let candidates = s.engine.read(|state, _| fit::candidates(&state.catalog, state.defs())).await?;
    ask(ModelSource::Catalog(&q.model), &question, &candidates).map(axum::Json).map_err(|e: FitError| {
        let field = e.field();
        let message = e.to_string();
        let reason = message.strip_prefix(&format!("{field}: ")).unwrap_or(&message).to_string();
        AppError::invalid(field, reason)
    })
}
