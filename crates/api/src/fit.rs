//! Model fit on the wire: `gpubook fit` and `GET /fit` answer with a [`FitView`]; [`ask`] is the question
//! both ask, from a catalog id or a `config.json`, against a fleet.

mod sizes;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use sizes::SizeFit;

use fit::{Answer, Candidate, ConfigError, FitOption, ModelCatalog, Question, RequestError, parse_config};

/// The embedded model catalog, read once.
pub fn models() -> &'static ModelCatalog {
    static MODELS: OnceLock<ModelCatalog> = OnceLock::new();
    MODELS.get_or_init(ModelCatalog::builtin)
}

/// Why a fit question has no answer; each names the field at fault.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("model: {id:?} is not in the model catalog; closest: {}", closest.join(", "))]
    UnknownModel { id: String, closest: Vec<String> },
    #[error("model_config: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Request(#[from] RequestError),
}

impl FitError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            FitError::UnknownModel { .. } => "model",
            FitError::Config(_) => "model_config",
            FitError::Request(e) => e.field,
        }
    }
}

/// Where a model's numbers come from: the catalog, or a `config.json` the caller read (`--model-config`).
pub enum ModelSource<'a> {
    Catalog(&'a str),
    Config { name: &'a str, text: &'a str },
}

/// Answers `question` for the model on every candidate shape (`fit::candidates` of a fleet), smallest first.
pub fn ask(source: ModelSource<'_>, question: &Question, candidates: &[Candidate]) -> Result<FitView, FitError> {
    let (spec, config_source, params_source) = match source {
        ModelSource::Catalog(id) => {
            let m = models().get(id).ok_or_else(|| FitError::UnknownModel {
                id: id.chars().take(200).collect(),
                closest: models().closest(id, 3).into_iter().map(String::from).collect(),
            })?;
            (m.spec.clone(), Some(m.config_source.clone()), Some(m.params_source.clone()))
        }
        ModelSource::Config { name, text } => (parse_config(name, text, None)?, None, None),
    };
    let request = question.resolve(&spec)?;
    let answer = fit::answer(&spec, request, candidates);
    Ok(FitView::new(&answer, config_source, params_source))
}

/// The answer: the model's figures and one option per shape of the fleet, smallest shape first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FitView {
    pub model: FitModelView,
    /// Weight dtype the figures are for.
    pub dtype: String,
    /// `auto` (the model's 16 bits) or `fp8`.
    pub kv_dtype: String,
    /// Tokens per sequence asked (`--max-model-len`).
    pub context: u32,
    /// Sequences asked at once.
    pub concurrency: u32,
    /// All the weights, in GiB.
    pub weights_gib: f64,
    /// KV cache for 1,000 tokens over the whole model, in GiB.
    pub kv_gib_per_1k_tokens: f64,
    /// KV cache bytes per token over the whole model: 2 × layers × KV heads × head dim × bytes.
    pub kv_bytes_per_token: u64,
    pub options: Vec<FitOptionView>,
    /// Assumptions the figures rest on.
    pub notes: Vec<String>,
}

/// The model's facts, as its config.json states them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FitModelView {
    /// The Hugging Face id, or the name given to a config.json.
    pub id: String,
    pub params: u64,
    /// True when the parameter count was computed from the architecture.
    pub params_estimated: bool,
    pub layers: u32,
    pub hidden_size: u32,
    pub attention_heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub intermediate_size: u32,
    pub vocab_size: u32,
    pub tied_embeddings: bool,
    pub max_position_embeddings: u32,
    pub experts: Option<u32>,
    pub active_experts: Option<u32>,
    /// The published weights' dtype.
    pub dtype: String,
    pub sliding_window: Option<u32>,
    /// The config.json the numbers come from (catalog models).
    pub config_source: Option<String>,
    pub params_source: Option<String>,
}

/// One shape: whether it fits, with how many devices, and the vLLM arguments to use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FitOptionView {
    /// `MODEL/PROFILE` or `MODEL/full`.
    pub shape: String,
    /// The sizes whose selector matches the shape.
    pub sizes: Vec<String>,
    /// Devices used together (tensor parallel over whole GPUs of one node; 1 for a MIG slice).
    pub devices: u32,
    pub fits: bool,
    /// The device's memory as NVML reports it, in GiB.
    pub memory_gib: f64,
    /// What vLLM may use of it (`--gpu-memory-utilization`), per device.
    pub usable_gib: f64,
    /// Weights per device.
    pub weights_gib: f64,
    /// Activations, CUDA graphs and memory outside PyTorch, per device.
    pub overhead_gib: f64,
    /// The KV cache pool per device (negative when the rest does not fit).
    pub kv_cache_gib: f64,
    /// Tokens the KV cache holds.
    pub kv_tokens: u64,
    /// The longest context each of `concurrency` sequences could have (at most the model's own).
    pub max_model_len: u64,
    /// How many sequences of `context` tokens fit at once (at most vLLM's `--max-num-seqs`).
    pub max_num_seqs: u64,
    /// KV memory left per device once the asked sequences are held.
    pub headroom_gib: f64,
    /// Arguments for `vllm serve`; empty when it does not fit.
    pub vllm_args: Vec<String>,
    /// Why it does not fit, in words; absent when it fits.
    pub reason: Option<String>,
}

fn gib(bytes: f64) -> f64 {
    (bytes / fit::GIB * 100.0).round() / 100.0
}

impl FitView {
    pub fn new(a: &Answer, config_source: Option<String>, params_source: Option<String>) -> FitView {
        let m = &a.model;
        FitView {
            model: FitModelView {
                id: m.id.clone(),
                params: m.params,
                params_estimated: m.params_estimated,
                layers: m.layers,
                hidden_size: m.hidden_size,
                attention_heads: m.attention_heads,
                kv_heads: m.kv_heads,
                head_dim: m.head_dim,
                intermediate_size: m.intermediate_size,
                vocab_size: m.vocab_size,
                tied_embeddings: m.tied_embeddings,
                max_position_embeddings: m.max_position_embeddings,
                experts: m.experts.map(|e| e.total),
                active_experts: m.experts.map(|e| e.active),
                dtype: m.dtype.to_string(),
                sliding_window: m.sliding_window,
                config_source,
                params_source,
            },
            dtype: a.request.dtype.to_string(),
            kv_dtype: a.request.kv_dtype.to_string(),
            context: a.request.context,
            concurrency: a.request.concurrency,
            weights_gib: gib(a.weights_bytes),
            kv_gib_per_1k_tokens: (a.kv_gib_per_1k_tokens() * 10_000.0).round() / 10_000.0,
            kv_bytes_per_token: a.kv_bytes_per_token,
            options: a.options.iter().map(FitOptionView::new).collect(),
            notes: a.notes.clone(),
        }
    }

    /// The smallest shape that fits, if any.
    pub fn smallest_fit(&self) -> Option<&FitOptionView> {
        self.options.iter().find(|o| o.fits)
    }
}

impl FitOptionView {
    fn new(o: &FitOption) -> FitOptionView {
        let b = &o.budget;
        FitOptionView {
            shape: o.shape.clone(),
            sizes: o.sizes.clone(),
            devices: o.devices,
            fits: o.fits,
            memory_gib: gib(b.device),
            usable_gib: gib(b.usable),
            weights_gib: gib(b.weights),
            overhead_gib: gib(b.overhead()),
            kv_cache_gib: gib(b.kv_pool()),
            kv_tokens: o.kv_tokens,
            max_model_len: o.max_model_len,
            max_num_seqs: o.max_num_seqs,
            headroom_gib: gib(o.headroom_bytes),
            vllm_args: o.vllm_args.clone(),
            reason: o.reason.clone(),
        }
    }
}

/// Weight dtypes a fit question takes (the schema of `dtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub enum DtypeName {
    #[serde(rename = "bf16")]
    Bf16,
    #[serde(rename = "fp16")]
    Fp16,
    #[serde(rename = "fp8")]
    Fp8,
    #[serde(rename = "int8")]
    Int8,
    #[serde(rename = "int4-awq")]
    Int4Awq,
    #[serde(rename = "int4-gptq")]
    Int4Gptq,
    #[serde(rename = "mxfp4")]
    Mxfp4,
}

/// KV cache dtypes a fit question takes (the schema of `kv_dtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KvDtypeName {
    Auto,
    Fp8,
}
