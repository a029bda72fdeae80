//! Weight and KV-cache data types and the bytes each costs.

use std::fmt;

/// How the weights are stored on the GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dtype {
    Bf16,
    Fp16,
    /// FP8 E4M3 with per-tensor or per-channel scales (vLLM `--quantization fp8`, or an FP8 checkpoint).
    Fp8,
    /// INT8 weights (a W8A8 or W8A16 checkpoint).
    Int8,
    /// 4-bit AWQ, group size 128.
    Int4Awq,
    /// 4-bit GPTQ, group size 128.
    Int4Gptq,
    /// OCP MXFP4: 4-bit values with one 8-bit scale per 32 (gpt-oss's MoE experts).
    Mxfp4,
}

/// Weights per quantisation group of AWQ and GPTQ checkpoints (the default of AutoAWQ and AutoGPTQ).
pub const INT4_GROUP_SIZE: f64 = 128.0;
/// Per group: an fp16 scale (2 bytes) and a packed 4-bit zero point (0.5 bytes).
pub const INT4_GROUP_OVERHEAD_BYTES: f64 = 2.5;
/// Values per MXFP4 block, each block with one E8M0 scale byte (OCP Microscaling Formats v1.0).
pub const MXFP4_BLOCK: f64 = 32.0;

impl Dtype {
    pub const ALL: [Dtype; 7] =
        [Dtype::Bf16, Dtype::Fp16, Dtype::Fp8, Dtype::Int8, Dtype::Int4Awq, Dtype::Int4Gptq, Dtype::Mxfp4];

    /// Reads the names the CLI and API take, and the spellings of `torch_dtype`.
    pub fn parse(s: &str) -> Option<Dtype> {
        Some(match s.to_ascii_lowercase().as_str() {
            "bf16" | "bfloat16" => Dtype::Bf16,
            "fp16" | "float16" | "half" => Dtype::Fp16,
            "fp8" | "float8" | "float8_e4m3fn" => Dtype::Fp8,
            "int8" => Dtype::Int8,
            "int4-awq" | "awq" => Dtype::Int4Awq,
            "int4-gptq" | "gptq" => Dtype::Int4Gptq,
            "mxfp4" => Dtype::Mxfp4,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dtype::Bf16 => "bf16",
            Dtype::Fp16 => "fp16",
            Dtype::Fp8 => "fp8",
            Dtype::Int8 => "int8",
            Dtype::Int4Awq => "int4-awq",
            Dtype::Int4Gptq => "int4-gptq",
            Dtype::Mxfp4 => "mxfp4",
        }
    }

    /// Bytes per quantised weight, group scales included.
    pub fn bytes_per_weight(self) -> f64 {
        match self {
            Dtype::Bf16 | Dtype::Fp16 => 2.0,
            Dtype::Fp8 | Dtype::Int8 => 1.0,
            Dtype::Int4Awq | Dtype::Int4Gptq => 0.5 + INT4_GROUP_OVERHEAD_BYTES / INT4_GROUP_SIZE,
            Dtype::Mxfp4 => 0.5 + 1.0 / MXFP4_BLOCK,
        }
    }

    /// Whether some weights (the embeddings, the LM head) stay in 16 bits while the rest are quantised.
    pub fn is_quantised(self) -> bool {
        !matches!(self, Dtype::Bf16 | Dtype::Fp16)
    }

    /// Bytes of one activation or KV element when the KV cache follows the model (`--kv-cache-dtype auto`).
    pub fn activation_bytes(self) -> u64 {
        2
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The KV cache's element type (`--kv-cache-dtype`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KvDtype {
    /// The model's activation type: 2 bytes (bf16 or fp16).
    #[default]
    Auto,
    /// FP8 E4M3: 1 byte.
    Fp8,
}

impl KvDtype {
    pub fn parse(s: &str) -> Option<KvDtype> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(KvDtype::Auto),
            "fp8" | "fp8_e4m3" => Some(KvDtype::Fp8),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KvDtype::Auto => "auto",
            KvDtype::Fp8 => "fp8",
        }
    }

    pub fn bytes(self) -> u64 {
        match self {
            KvDtype::Auto => 2,
            KvDtype::Fp8 => 1,
        }
    }
}

impl fmt::Display for KvDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dtype::ALL {
            assert_eq!(Dtype::parse(d.as_str()), Some(d));
        }
        assert_eq!(Dtype::parse("bfloat16"), Some(Dtype::Bf16));
        assert_eq!(Dtype::parse("int3"), None);
        assert_eq!(KvDtype::parse("fp8"), Some(KvDtype::Fp8));
        assert_eq!(KvDtype::parse("int8"), None);
    }

    #[test]
    fn int4_costs_its_group_scales() {
        // 4 bits plus 2.5 bytes per 128 weights: 0.51953125 bytes.
        assert_eq!(Dtype::Int4Awq.bytes_per_weight(), 0.51953125);
        assert_eq!(Dtype::Mxfp4.bytes_per_weight(), 0.53125);
    }
}
