//! Reads a Hugging Face `config.json` (offline, bounded) into a [`ModelSpec`].
//!
//! Multimodal configs keep the language model under `text_config` (Gemma 3, Llama 4, Mistral 3): its fields
//! win over the top level's. Attention this memory model cannot size exactly is refused, not guessed: MLA
//! (`kv_lora_rank`), and layers that are not attention (Mamba, linear attention).

use serde_json::{Map, Value};

use crate::dtype::Dtype;
use crate::spec::{Experts, ModelSpec};

/// The largest `config.json` read; real ones are a few KiB.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;
/// Bounds on the numbers read, far above any published model, so that no product overflows.
const MAX_LAYERS: u64 = 4096;
const MAX_WIDTH: u64 = 1 << 20;
const MAX_VOCAB: u64 = 1 << 24;
const MAX_EXPERTS: u64 = 4096;
const MAX_POSITIONS: u64 = 1 << 26;

/// Why a `config.json` was refused: the field at fault (if one is) and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config.json is {0} bytes; at most {MAX_CONFIG_BYTES} are read")]
    TooLarge(usize),
    #[error("config.json is not a JSON object: {0}")]
    NotJson(String),
    #[error("config.json has no {0:?}, which the memory model needs")]
    Missing(&'static str),
    #[error("config.json field {field:?}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("config.json: {0}")]
    Unsupported(String),
}

/// Reads `text` as a `config.json` for the model named `id`. `params` is the published parameter count when
/// known; without it the count is estimated from the architecture.
pub fn parse_config(id: &str, text: &str, params: Option<u64>) -> Result<ModelSpec, ConfigError> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge(text.len()));
    }
    let root: Value = serde_json::from_str(text).map_err(|e| ConfigError::NotJson(e.to_string()))?;
    let Value::Object(top) = root else {
        return Err(ConfigError::NotJson("the top level is not an object".into()));
    };
    let empty = Map::new();
    let text_config = match top.get("text_config") {
        Some(Value::Object(t)) => t,
        _ => &empty,
    };
    let c = Fields { inner: text_config, outer: &top };
    c.refuse_unsized_attention()?;

    let layers = c.required("num_hidden_layers", MAX_LAYERS)?;
    let hidden_size = c.required("hidden_size", MAX_WIDTH)?;
    let attention_heads = c.required("num_attention_heads", MAX_WIDTH)?;
    let kv_heads = c.optional("num_key_value_heads", MAX_WIDTH)?.unwrap_or(attention_heads);
    if !attention_heads.is_multiple_of(kv_heads) {
        return Err(invalid(
            "num_key_value_heads",
            format!("{kv_heads} does not divide the {attention_heads} attention heads"),
        ));
    }
    let head_dim = match c.optional("head_dim", MAX_WIDTH)? {
        Some(d) => d,
        None if hidden_size.is_multiple_of(attention_heads) => hidden_size / attention_heads,
        None => return Err(ConfigError::Missing("head_dim")),
    };
    let experts = c.experts()?;
    let intermediate_size = match (experts, c.optional("moe_intermediate_size", MAX_WIDTH)?) {
        (Some(_), Some(moe)) => moe,
        _ => c.required("intermediate_size", MAX_WIDTH)?,
    };
    let vocab_size = c.required("vocab_size", MAX_VOCAB)?;
    let max_position_embeddings = c.required("max_position_embeddings", MAX_POSITIONS)?;
    let tied_embeddings = c.flag("tie_word_embeddings")?.unwrap_or(false);
    let dtype = c.dtype()?;
    let sliding_window = c.sliding_window()?;
    let mut spec = ModelSpec {
        id: id.to_string(),
        params: 0,
        params_estimated: params.is_none(),
        layers,
        hidden_size,
        attention_heads,
        kv_heads,
        head_dim,
        intermediate_size,
        vocab_size,
        tied_embeddings,
        max_position_embeddings,
        experts,
        dtype,
        sliding_window,
    };
    spec.params = params.unwrap_or_else(|| spec.estimated_params());
    Ok(spec)
}

fn invalid(field: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { field, reason }
}

/// The language model's fields (`text_config`) first, then the top level's.
struct Fields<'a> {
    inner: &'a Map<String, Value>,
    outer: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.inner.get(key).or_else(|| self.outer.get(key)).filter(|v| !v.is_null())
    }

    fn optional(&self, key: &'static str, max: u64) -> Result<Option<u32>, ConfigError> {
        let Some(v) = self.get(key) else { return Ok(None) };
        match v.as_u64() {
            Some(n) if n >= 1 && n <= max => Ok(Some(n as u32)),
            _ => Err(invalid(key, format!("{v} is not a whole number between 1 and {max}"))),
        }
    }

    fn required(&self, key: &'static str, max: u64) -> Result<u32, ConfigError> {
        self.optional(key, max)?.ok_or(ConfigError::Missing(key))
    }

    fn flag(&self, key: &'static str) -> Result<Option<bool>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(invalid(key, format!("{v} is not true or false"))),
        }
    }

    fn refuse_unsized_attention(&self) -> Result<(), ConfigError> {
        if self.get("kv_lora_rank").is_some() {
            return Err(ConfigError::Unsupported(
                "multi-head latent attention (kv_lora_rank) caches a compressed latent, not 2 × KV heads × head dim; \
                 this memory model does not size it"
                    .into(),
            ));
        }
        for key in ["mamba_d_state", "mamba_n_heads", "ssm_state_size", "linear_num_key_heads"] {
            if self.get(key).is_some() {
                return Err(ConfigError::Unsupported(format!(
                    "{key}: layers that are not attention (state-space or linear attention) are not sized by this memory model"
                )));
            }
        }
        if let Some(Value::Array(types)) = self.get("layer_types") {
            let other = types.iter().find(|t| !matches!(t.as_str(), Some("full_attention" | "sliding_attention")));
            if let Some(t) = other {
                return Err(ConfigError::Unsupported(format!(
                    "layer_types has {t}: only full and sliding-window attention layers are sized"
                )));
            }
        }
        Ok(())
    }

    fn experts(&self) -> Result<Option<Experts>, ConfigError> {
        let total = ["num_local_experts", "num_experts", "n_routed_experts"]
            .into_iter()
            .map(|k| self.optional(k, MAX_EXPERTS))
            .find_map(|r| r.transpose());
        let Some(total) = total.transpose()? else { return Ok(None) };
        let active = ["num_experts_per_tok", "experts_per_token", "num_experts_per_token"]
            .into_iter()
            .map(|k| self.optional(k, MAX_EXPERTS))
            .find_map(|r| r.transpose())
            .transpose()?
            .ok_or(ConfigError::Missing("num_experts_per_tok"))?;
        if active > total {
            return Err(invalid("num_experts_per_tok", format!("{active} is more than the {total} experts")));
        }
        Ok(Some(Experts { total, active }))
    }

    fn dtype(&self) -> Result<Dtype, ConfigError> {
        if let Some(q) = self.get("quantization_config") {
            return quantised_dtype(q);
        }
        let (key, v) = match self.get("torch_dtype") {
            Some(v) => ("torch_dtype", v),
            None => match self.get("dtype") {
                Some(v) => ("dtype", v),
                None => return Err(ConfigError::Missing("torch_dtype")),
            },
        };
        match v.as_str() {
            // vLLM serves float32 checkpoints in 16 bits unless told otherwise.
            Some("float32") => Ok(Dtype::Bf16),
            Some(s) => {
                Dtype::parse(s).ok_or_else(|| invalid(key, format!("{s:?} is not bfloat16, float16 or float32")))
            }
            None => Err(invalid(key, format!("{v} is not a string"))),
        }
    }

    fn sliding_window(&self) -> Result<Option<u32>, ConfigError> {
        if self.flag("use_sliding_window")? == Some(false) {
            return Ok(None);
        }
        self.optional("sliding_window", MAX_POSITIONS)
    }
}

fn quantised_dtype(q: &Value) -> Result<Dtype, ConfigError> {
    let method = q
        .get("quant_method")
        .and_then(Value::as_str)
        .ok_or(ConfigError::Missing("quantization_config.quant_method"))?;
    let bits = q.get("bits").and_then(Value::as_u64);
    match (method, bits) {
        ("awq", Some(4) | None) => Ok(Dtype::Int4Awq),
        ("gptq", Some(4) | None) => Ok(Dtype::Int4Gptq),
        ("gptq", Some(8)) => Ok(Dtype::Int8),
        ("fp8", _) => Ok(Dtype::Fp8),
        ("mxfp4", _) => Ok(Dtype::Mxfp4),
        _ => Err(ConfigError::Unsupported(format!(
            "quantization_config.quant_method {method:?} is not one of awq, gptq, fp8, mxfp4, which this memory model sizes"
        ))),
    }
}
