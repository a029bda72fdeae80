//! The fit of one model on one shape: how many devices, the KV cache they leave, and vLLM's arguments.

use crate::dtype::{Dtype, KvDtype};
use crate::memory::{self, Budget, GIB};
use crate::spec::ModelSpec;

/// What the tenant wants to run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Tokens per sequence (`--max-model-len`).
    pub context: u32,
    /// Sequences served at once, each of `context` tokens.
    pub concurrency: u32,
    pub dtype: Dtype,
    pub kv_dtype: KvDtype,
}

/// One bookable shape the answer considers.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// `MODEL/PROFILE` or `MODEL/full`.
    pub shape: String,
    /// The shape's memory as NVML reports it (the MIG profile's `-lgip` figure for a slice).
    pub memory_bytes: u64,
    /// A whole GPU may be combined with others of its node by tensor parallelism; a MIG slice never is.
    pub whole_gpu: bool,
    /// The most GPUs of this model on one node.
    pub gpus_per_node: u32,
    /// The sizes whose selector matches the shape.
    pub sizes: Vec<String>,
}

/// The answer for one shape.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOption {
    pub shape: String,
    pub sizes: Vec<String>,
    /// Devices of the shape used together (tensor parallelism); 1 for a MIG slice.
    pub devices: u32,
    pub fits: bool,
    pub budget: Budget,
    /// Tokens the KV cache holds on each device (whole blocks).
    pub kv_tokens: u64,
    /// The longest context each of `concurrency` sequences could have, at most the model's own.
    pub max_model_len: u64,
    /// How many sequences of the asked context fit at once, at most vLLM's `--max-num-seqs`.
    pub max_num_seqs: u64,
    /// KV memory left per device once the asked sequences are held (negative when short).
    pub headroom_bytes: f64,
    /// Arguments for `vllm serve`; empty when it does not fit.
    pub vllm_args: Vec<String>,
    /// Why it does not fit, in words.
    pub reason: Option<String>,
}

/// Tensor-parallel sizes vLLM can run the model with on up to `gpus` GPUs: powers of two that divide the
/// attention heads, and either divide the KV heads or are a multiple of them (replicated KV heads).
pub fn tensor_parallel_sizes(spec: &ModelSpec, gpus: u32) -> Vec<u32> {
    [1u32, 2, 4, 8]
        .into_iter()
        .filter(|&t| t == 1 || (t <= gpus && spec.attention_heads.is_multiple_of(t)))
        .filter(|&t| spec.kv_heads.is_multiple_of(t) || t.is_multiple_of(spec.kv_heads))
        .collect()
}

/// The fit on `candidate`: the fewest devices that hold the request, or, when none does, the most.
pub fn evaluate(spec: &ModelSpec, req: &Request, candidate: &Candidate) -> FitOption {
    let sizes = if candidate.whole_gpu { tensor_parallel_sizes(spec, candidate.gpus_per_node) } else { vec![1] };
    let mut last = None;
    for tp in sizes {
        let option = evaluate_with(spec, req, candidate, tp);
        if option.fits {
            return option;
        }
        last = Some(option);
    }
    last.unwrap_or_else(|| evaluate_with(spec, req, candidate, 1))
}

/// The sequences vLLM is allowed at most: its default, or more when more are asked for.
pub fn seq_cap(req: &Request) -> u32 {
    memory::MAX_NUM_SEQS.max(req.concurrency)
}

fn evaluate_with(spec: &ModelSpec, req: &Request, candidate: &Candidate, tp: u32) -> FitOption {
    let cap = seq_cap(req);
    let budget = Budget::new(spec, req.dtype, candidate.memory_bytes, tp, cap);
    let per_token = memory::kv_bytes_per_token_per_gpu(spec, req.kv_dtype, tp);
    let kv_tokens = budget.kv_tokens(per_token);
    let need = u64::from(req.context) * u64::from(req.concurrency);
    let fits = kv_tokens >= need;
    let max_num_seqs = (kv_tokens / u64::from(req.context.max(1))).min(u64::from(cap));
    let max_model_len = (kv_tokens / u64::from(req.concurrency.max(1))).min(u64::from(spec.max_position_embeddings));
    let headroom_bytes = budget.kv_pool() - (need * per_token) as f64;
    let reason = (!fits).then(|| refusal(req, candidate, tp, &budget, kv_tokens));
    let vllm_args = if fits { vllm_args(spec, req, tp, max_num_seqs) } else { Vec::new() };
    FitOption {
        shape: candidate.shape.clone(),
        sizes: candidate.sizes.clone(),
        devices: tp,
        fits,
        budget,
        kv_tokens,
        max_model_len,
        max_num_seqs,
        headroom_bytes,
        vllm_args,
        reason,
    }
}

fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / GIB)
}

fn refusal(req: &Request, c: &Candidate, tp: u32, b: &Budget, kv_tokens: u64) -> String {
    let on = if tp == 1 { format!("1 × {}", c.shape) } else { format!("{tp} × {}", c.shape) };
    let usable = format!("{} ({:.2} of {})", gib(b.usable), memory::GPU_MEMORY_UTILIZATION, gib(b.device));
    if b.weights >= b.usable {
        let need = if tp == 1 { gib(b.weights) } else { format!("{} on each of {tp} GPUs", gib(b.weights)) };
        return format!("weights alone need {need}; {on} give vLLM {usable} each");
    }
    if b.kv_pool() <= 0.0 {
        return format!(
            "weights ({}) and vLLM's runtime ({}: activations, CUDA graphs, memory outside PyTorch) leave nothing \
             for the KV cache of the {usable} vLLM may use on {on}",
            gib(b.weights),
            gib(b.overhead())
        );
    }
    let need = u64::from(req.context) * u64::from(req.concurrency);
    let asked = if req.concurrency == 1 {
        format!("one sequence of {} tokens", req.context)
    } else {
        format!("{} sequences of {} tokens ({need} tokens)", req.concurrency, req.context)
    };
    format!("the KV cache ({}) holds {kv_tokens} tokens on {on}, less than {asked}", gib(b.kv_pool()))
}

fn vllm_args(spec: &ModelSpec, req: &Request, tp: u32, max_num_seqs: u64) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--max-model-len".into(),
        req.context.to_string(),
        "--max-num-seqs".into(),
        max_num_seqs.to_string(),
        "--max-num-batched-tokens".into(),
        memory::MAX_NUM_BATCHED_TOKENS.to_string(),
        "--gpu-memory-utilization".into(),
        format!("{:.2}", memory::GPU_MEMORY_UTILIZATION),
    ];
    if tp > 1 {
        args.extend(["--tensor-parallel-size".into(), tp.to_string()]);
    }
    match req.dtype {
        Dtype::Bf16 => args.extend(["--dtype".into(), "bfloat16".into()]),
        Dtype::Fp16 => args.extend(["--dtype".into(), "float16".into()]),
        // Quantised on load from a 16-bit checkpoint; an FP8 checkpoint says so itself.
        Dtype::Fp8 if spec.dtype != Dtype::Fp8 => args.extend(["--quantization".into(), "fp8".into()]),
        // INT8, INT4 and MXFP4 come from a checkpoint whose quantization_config vLLM reads.
        _ => {}
    }
    if req.kv_dtype == KvDtype::Fp8 {
        args.extend(["--kv-cache-dtype".into(), "fp8".into()]);
    }
    args
}
