//! The memory model: weights, KV cache per token, and vLLM's budget on one device.
//!
//! vLLM reserves `--gpu-memory-utilization` of the device's total memory. From that it takes the weights,
//! the peak of a profiling forward pass at `--max-num-batched-tokens` (activations), memory allocated outside
//! PyTorch (CUDA context growth, NCCL), and CUDA graphs; what is left is the KV cache, which must hold at
//! least one sequence of `--max-model-len` or vLLM refuses to start. Each constant below names its source;
//! `docs/model-fit.md` compares the result with figures vLLM logged.

use crate::dtype::{Dtype, KvDtype};
use crate::spec::ModelSpec;

pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The `--gpu-memory-utilization` gpubook passes: vLLM's long-standing default (`CacheConfig`), passed
/// explicitly so that the estimate holds whatever a vLLM release defaults to.
pub const GPU_MEMORY_UTILIZATION: f64 = 0.90;
/// The `--max-num-batched-tokens` gpubook passes; vLLM profiles activations at this many tokens.
pub const MAX_NUM_BATCHED_TOKENS: u32 = 8192;
/// vLLM's default `--max-num-seqs`; the most sequences an answer offers unless more are asked for.
pub const MAX_NUM_SEQS: u32 = 256;
/// vLLM's KV block size in tokens: the cache is handed out in blocks.
pub const BLOCK_SIZE: u32 = 16;
/// Memory outside PyTorch on one GPU (CUDA context growth, cuBLAS workspaces): vLLM logged 0.10 to 0.20 GiB
/// `non_torch_memory` in some runs (vLLM issue #12330, PRs #12126 and #14447) but 1.79 GiB for Llama-3-8B on
/// an H100 in PR #10511; we take the larger, rounded up to 2 GiB, since an advisor that says "fits" where vLLM
/// refuses to start makes the worse error.
pub const NON_TORCH_GIB: f64 = 2.0;
/// Memory outside PyTorch per GPU under tensor parallelism (NCCL, custom all-reduce buffers): vLLM PR
/// #10511 logged 3.58 GiB at TP 2 against 1.79 GiB at TP 1; we add 2 GiB.
pub const NON_TORCH_TP_GIB: f64 = 2.0;
/// CUDA graphs and, in vLLM V1, `torch.compile`'s buffers. vLLM PR #17122 (V1, Llama-3.1-8B-Instruct on an
/// L40S, 44.99 GiB, utilisation 0.90) logged 14.99 GiB of weights and a KV cache of 158,656 tokens (19.37 GiB
/// at 128 KiB a token), so 40.49 − 14.99 − 19.37 = 6.13 GiB per GPU was neither weights nor KV cache. Less this
/// model's 1.15 GiB activation and logits estimate and `NON_TORCH_GIB` that leaves 2.98 GiB; we reserve
/// 3.5 GiB, and 1 GiB more above 30B parameters (vLLM warns CUDA graphs "can take additional 1~3 GiB memory
/// per GPU", more for larger models).
pub const CUDA_GRAPHS_GIB: f64 = 3.5;
pub const CUDA_GRAPHS_LARGE_GIB: f64 = 4.5;
pub const LARGE_MODEL_PARAMS: u64 = 30_000_000_000;
/// Live activation elements per batched token and layer, in units of the hidden size and of the MLP width:
/// the residual stream, its norm and the attention output (4 × hidden), and the MLP's gate and up outputs
/// with the activated product (3 × width), in 16 bits. Calibrated on vLLM PR #10511: Llama-3-8B at 8,192
/// batched tokens logged a 1.26 GiB activation peak; this gives 0.91 GiB, and 1.15 GiB with the logits below.
pub const ACTIVATION_HIDDEN_FACTOR: u64 = 4;
pub const ACTIVATION_FFN_FACTOR: u64 = 3;
/// vLLM's sampler profile holds fp32 logits and their probabilities for `max_num_seqs` sequences.
pub const LOGITS_BYTES_PER_ENTRY: u64 = 2 * 4;

/// Bytes of the weights in `dtype`: quantised weights at their cost with group scales, and the embeddings
/// and LM head in 16 bits (and, for MXFP4, attention too: gpt-oss quantises only its MoE experts).
pub fn weights_bytes(spec: &ModelSpec, dtype: Dtype) -> f64 {
    if !dtype.is_quantised() {
        return spec.params as f64 * 2.0;
    }
    let mut kept = spec.embedding_params();
    if dtype == Dtype::Mxfp4 {
        kept += spec.attention_params();
    }
    let kept = kept.min(spec.params);
    kept as f64 * 2.0 + (spec.params - kept) as f64 * dtype.bytes_per_weight()
}

/// KV cache bytes per token over the whole model: 2 (K and V) × layers × KV heads × head dim × bytes.
pub fn kv_bytes_per_token(spec: &ModelSpec, kv: KvDtype) -> u64 {
    2 * u64::from(spec.layers) * u64::from(spec.kv_heads) * u64::from(spec.head_dim) * kv.bytes()
}

/// KV cache bytes per token on each of `tp` GPUs: KV heads are split between them, and replicated when
/// there are fewer KV heads than GPUs.
pub fn kv_bytes_per_token_per_gpu(spec: &ModelSpec, kv: KvDtype, tp: u32) -> u64 {
    let heads = spec.kv_heads.div_ceil(tp.max(1)).max(1);
    2 * u64::from(spec.layers) * u64::from(heads) * u64::from(spec.head_dim) * kv.bytes()
}

/// The peak of vLLM's profiling pass on one GPU: activations at `MAX_NUM_BATCHED_TOKENS` (the MLP width
/// split between `tp` GPUs) and the sampler's logits for `max_num_seqs` sequences.
pub fn activation_bytes(spec: &ModelSpec, tp: u32, max_num_seqs: u32) -> f64 {
    let width = spec.active_ffn_width().div_ceil(u64::from(tp.max(1)));
    let per_token = ACTIVATION_HIDDEN_FACTOR * u64::from(spec.hidden_size) + ACTIVATION_FFN_FACTOR * width;
    let activations = u64::from(MAX_NUM_BATCHED_TOKENS) * per_token * 2;
    let logits = u64::from(max_num_seqs) * u64::from(spec.vocab_size) * LOGITS_BYTES_PER_ENTRY;
    (activations + logits) as f64
}

/// What vLLM's budget is made of on each GPU of a deployment, in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// The device's memory as NVML reports it.
    pub device: f64,
    /// `GPU_MEMORY_UTILIZATION` of it.
    pub usable: f64,
    pub weights: f64,
    pub activations: f64,
    pub non_torch: f64,
    pub cuda_graphs: f64,
}

impl Budget {
    pub fn new(spec: &ModelSpec, dtype: Dtype, device_bytes: u64, tp: u32, max_num_seqs: u32) -> Budget {
        let tp = tp.max(1);
        let device = device_bytes as f64;
        let non_torch = if tp > 1 { NON_TORCH_GIB + NON_TORCH_TP_GIB } else { NON_TORCH_GIB };
        let graphs = if spec.params > LARGE_MODEL_PARAMS { CUDA_GRAPHS_LARGE_GIB } else { CUDA_GRAPHS_GIB };
        Budget {
            device,
            usable: device * GPU_MEMORY_UTILIZATION,
            weights: weights_bytes(spec, dtype) / f64::from(tp),
            activations: activation_bytes(spec, tp, max_num_seqs),
            non_torch: non_torch * GIB,
            cuda_graphs: graphs * GIB,
        }
    }

    /// Everything but the KV cache.
    pub fn overhead(&self) -> f64 {
        self.activations + self.non_torch + self.cuda_graphs
    }

    /// The KV cache pool: what is left of the usable memory (negative when even that is short).
    pub fn kv_pool(&self) -> f64 {
        self.usable - self.weights - self.overhead()
    }

    /// Whole KV blocks the pool holds, in tokens.
    pub fn kv_tokens(&self, per_token: u64) -> u64 {
        let pool = self.kv_pool();
        if pool <= 0.0 || per_token == 0 {
            return 0;
        }
        let block = per_token * u64::from(BLOCK_SIZE);
        (pool / block as f64).floor() as u64 * u64::from(BLOCK_SIZE)
    }
}
