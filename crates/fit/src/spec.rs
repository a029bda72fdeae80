//! A model's facts, as its `config.json` states them: what the memory model reads.

use crate::dtype::Dtype;

/// One model: its Hugging Face id and the numbers of its published `config.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// The Hugging Face id (`meta-llama/Llama-3.1-8B-Instruct`), or the name given with `--model-config`.
    pub id: String,
    /// Total parameters, every expert included.
    pub params: u64,
    /// True when `params` was computed from the architecture rather than published.
    pub params_estimated: bool,
    pub layers: u32,
    pub hidden_size: u32,
    pub attention_heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    /// The dense MLP width, or one expert's width in a MoE model.
    pub intermediate_size: u32,
    pub vocab_size: u32,
    pub tied_embeddings: bool,
    pub max_position_embeddings: u32,
    /// Routed experts and experts active per token, for a mixture of experts.
    pub experts: Option<Experts>,
    /// The dtype of the published weights.
    pub dtype: Dtype,
    /// The sliding-window length, when some layers attend only to the last that many tokens.
    pub sliding_window: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Experts {
    pub total: u32,
    pub active: u32,
}

impl ModelSpec {
    /// Parameters of the input embedding and, when not tied to it, the LM head: weights that stay in 16 bits
    /// when the rest is quantised (vLLM's AWQ, GPTQ and FP8 methods leave `embed_tokens` and `lm_head` alone).
    pub fn embedding_params(&self) -> u64 {
        let one = u64::from(self.vocab_size) * u64::from(self.hidden_size);
        if self.tied_embeddings { one } else { 2 * one }
    }

    /// Parameters of the attention projections (q, k, v, o) of every layer.
    pub fn attention_params(&self) -> u64 {
        let per_layer = u64::from(self.hidden_size)
            * u64::from(self.head_dim)
            * (2 * u64::from(self.attention_heads) + 2 * u64::from(self.kv_heads));
        per_layer * u64::from(self.layers)
    }

    /// Parameters counted from the architecture: embeddings, attention, a gated MLP (or every expert's and
    /// the router) and the norms; biases left out. Used only when no published count exists.
    pub fn estimated_params(&self) -> u64 {
        let h = u64::from(self.hidden_size);
        let mlp = match self.experts {
            Some(e) => u64::from(e.total) * 3 * h * u64::from(self.intermediate_size) + h * u64::from(e.total),
            None => 3 * h * u64::from(self.intermediate_size),
        };
        let norms = 2 * h;
        self.embedding_params() + self.attention_params() + u64::from(self.layers) * (mlp + norms) + h
    }

    /// The MLP width one token passes through: one expert's width times the active experts in a MoE.
    pub fn active_ffn_width(&self) -> u64 {
        let active = self.experts.map_or(1, |e| e.active);
        u64::from(self.intermediate_size) * u64::from(active)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::llama_3_1_8b;

    #[test]
    fn the_estimate_of_llama_3_1_8b_is_its_published_count() {
        // 8,030,261,248 parameters in the safetensors index; the estimate leaves out nothing but biases
        // (Llama has none), so it is exact.
        assert_eq!(llama_3_1_8b().estimated_params(), 8_030_261_248);
    }
}
