//! The whole answer: the model's figures and one option per shape, smallest shape first.

use crate::dtype::{Dtype, KvDtype};
use crate::fit::{Candidate, FitOption, Request, evaluate};
use crate::memory::{self, GIB};
use crate::spec::ModelSpec;

/// The longest context a question may ask for (vLLM's own limit is the model's `max_position_embeddings`).
pub const MAX_CONTEXT: u32 = 1 << 24;
/// The most concurrent sequences a question may ask for.
pub const MAX_CONCURRENCY: u32 = 4096;
/// The context asked when none is given, shortened to the model's own when that is less.
pub const DEFAULT_CONTEXT: u32 = 8192;

/// A question that cannot be answered, naming the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RequestError {
    pub field: &'static str,
    pub reason: String,
}

/// The question as asked: what was left out takes its default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Question {
    pub context: Option<u64>,
    pub concurrency: Option<u64>,
    pub dtype: Option<Dtype>,
    pub kv_dtype: KvDtype,
}

impl Question {
    /// Checks the numbers against the bounds and the model, and fills in the defaults.
    pub fn resolve(&self, spec: &ModelSpec) -> Result<Request, RequestError> {
        let model_max = spec.max_position_embeddings;
        let context = match self.context {
            None => DEFAULT_CONTEXT.min(model_max),
            Some(0) => return Err(err("context", "must be at least 1 token".into())),
            Some(c) if c > u64::from(MAX_CONTEXT) => {
                return Err(err("context", format!("{c} is more than the {MAX_CONTEXT} tokens gpubook answers for")));
            }
            Some(c) if c > u64::from(model_max) => {
                return Err(err(
                    "context",
                    format!("{c} is longer than {}'s {model_max} tokens (max_position_embeddings)", spec.id),
                ));
            }
            Some(c) => c as u32,
        };
        let concurrency = match self.concurrency {
            None => 1,
            Some(n) if n == 0 || n > u64::from(MAX_CONCURRENCY) => {
                return Err(err("concurrency", format!("{n} is not between 1 and {MAX_CONCURRENCY}")));
            }
            Some(n) => n as u32,
        };
        Ok(Request { context, concurrency, dtype: self.dtype.unwrap_or(spec.dtype), kv_dtype: self.kv_dtype })
    }
}

fn err(field: &'static str, reason: String) -> RequestError {
    RequestError { field, reason }
}

/// The model's figures and one option per candidate shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub model: ModelSpec,
    pub request: Request,
    pub weights_bytes: f64,
    pub kv_bytes_per_token: u64,
    /// Sorted by the shape's memory, then its name.
    pub options: Vec<FitOption>,
    /// Assumptions the figures rest on, in words.
    pub notes: Vec<String>,
}

impl Answer {
    pub fn weights_gib(&self) -> f64 {
        self.weights_bytes / GIB
    }

    pub fn kv_gib_per_1k_tokens(&self) -> f64 {
        self.kv_bytes_per_token as f64 * 1000.0 / GIB
    }

    /// The first option that fits: the smallest shape that does.
    pub fn smallest_fit(&self) -> Option<&FitOption> {
        self.options.iter().find(|o| o.fits)
    }
}

/// Answers `request` for `spec` on every candidate.
pub fn answer(spec: &ModelSpec, request: Request, candidates: &[Candidate]) -> Answer {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| a.memory_bytes.cmp(&b.memory_bytes).then_with(|| a.shape.cmp(&b.shape)));
    Answer {
        model: spec.clone(),
        request,
        weights_bytes: memory::weights_bytes(spec, request.dtype),
        kv_bytes_per_token: memory::kv_bytes_per_token(spec, request.kv_dtype),
        options: sorted.into_iter().map(|c| evaluate(spec, &request, c)).collect(),
        notes: notes(spec, &request),
    }
}

fn notes(spec: &ModelSpec, req: &Request) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(w) = spec.sliding_window {
        out.push(format!(
            "sliding-window attention ({w} tokens) is counted as full attention on every layer: the KV figures \
             are an upper bound"
        ));
    }
    if spec.params_estimated {
        out.push("the parameter count is estimated from the architecture (no published count was given)".into());
    }
    if let Some(e) = spec.experts {
        out.push(format!("mixture of experts: all {} experts stay in memory, {} active per token", e.total, e.active));
    }
    if req.dtype != spec.dtype && req.dtype.is_quantised() && req.dtype != Dtype::Fp8 {
        out.push(format!(
            "{} weights need a checkpoint quantised that way (vLLM reads its quantization_config); the published \
             weights are {}",
            req.dtype, spec.dtype
        ));
    }
    out
}
