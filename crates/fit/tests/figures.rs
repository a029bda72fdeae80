//! The memory model against figures computed by hand from each model's config.json.

use fit::memory::{self, GIB, kv_bytes_per_token, weights_bytes};
use fit::{Candidate, Dtype, KvDtype, ModelCatalog, ModelSpec, Question, Request, answer, evaluate};

fn spec(id: &str) -> ModelSpec {
    ModelCatalog::builtin().get(id).unwrap_or_else(|| panic!("{id} is in the catalog")).spec.clone()
}

/// KV bytes per token = 2 × layers × KV heads × head dim × 2 bytes, worked out per model.
#[test]
fn kv_bytes_per_token_are_exact() {
    let cases = [
        ("meta-llama/Llama-3.1-8B-Instruct", 2 * 32 * 8 * 128 * 2, 131_072),
        ("meta-llama/Llama-3.1-70B-Instruct", 2 * 80 * 8 * 128 * 2, 327_680),
        ("Qwen/Qwen2.5-7B-Instruct", 2 * 28 * 4 * 128 * 2, 57_344),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", 2 * 32 * 8 * 128 * 2, 131_072),
        ("openai/gpt-oss-20b", 2 * 24 * 8 * 64 * 2, 49_152),
    ];
    for (id, formula, by_hand) in cases {
        assert_eq!(formula, by_hand, "{id}: the hand figure");
        assert_eq!(kv_bytes_per_token(&spec(id), KvDtype::Auto), by_hand, "{id}");
        assert_eq!(kv_bytes_per_token(&spec(id), KvDtype::Fp8), by_hand / 2, "{id} with an fp8 KV cache");
    }
}

/// 16-bit weights are parameters × 2 bytes, within 2% (exactly, as nothing else is counted).
#[test]
fn sixteen_bit_weights_are_parameters_times_two() {
    let cases = [
        ("meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248u64),
        ("meta-llama/Llama-3.1-70B-Instruct", 70_553_706_496),
        ("Qwen/Qwen2.5-7B-Instruct", 7_615_616_512),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", 46_702_792_704),
        ("openai/gpt-oss-20b", 20_910_000_000),
    ];
    for (id, params) in cases {
        let by_hand = params as f64 * 2.0;
        let w = weights_bytes(&spec(id), Dtype::Bf16);
        assert!((w - by_hand).abs() / by_hand < 0.02, "{id}: {w} against {by_hand}");
    }
    // vLLM logged "model weights take 14.96GiB" for Llama-3-8B, the same architecture (vLLM PR #10511).
    let llama = weights_bytes(&spec("meta-llama/Llama-3.1-8B"), Dtype::Bf16) / GIB;
    assert!((llama - 14.96).abs() < 0.01, "{llama}");
}

/// Quantised weights keep the embeddings (and for MXFP4 the attention) in 16 bits.
#[test]
fn quantised_weights_keep_embeddings_in_sixteen_bits() {
    let llama = spec("meta-llama/Llama-3.1-8B-Instruct");
    let embeddings = 2 * 128_256 * 4096u64; // untied: embed_tokens and lm_head
    let rest = 8_030_261_248 - embeddings;
    assert_eq!(weights_bytes(&llama, Dtype::Fp8), (embeddings * 2 + rest) as f64);
    let int4 = embeddings as f64 * 2.0 + rest as f64 * (0.5 + 2.5 / 128.0);
    assert_eq!(weights_bytes(&llama, Dtype::Int4Awq), int4);

    // gpt-oss-20b: embeddings 2 × 201088 × 2880, attention 24 × 2880 × 64 × (2 × 64 + 2 × 8), the rest MXFP4.
    let oss = spec("openai/gpt-oss-20b");
    let kept = 2 * 201_088 * 2880u64 + 24 * 2880 * 64 * (2 * 64 + 2 * 8);
    assert_eq!(kept, 1_795_276_800);
    let by_hand = kept as f64 * 2.0 + (20_910_000_000 - kept) as f64 * 0.53125;
    assert_eq!(weights_bytes(&oss, Dtype::Mxfp4), by_hand);
    // About 13.7 GB, the size of the published checkpoint's files.
    assert!((by_hand / 1e9 - 13.75).abs() < 0.01, "{}", by_hand / 1e9);
}

fn device(shape: &str, gib: u64, whole: bool, gpus: u32) -> Candidate {
    Candidate { shape: shape.into(), memory_bytes: gib << 30, whole_gpu: whole, gpus_per_node: gpus, sizes: vec![] }
}

/// Llama-3.1-8B on an 80 GiB GPU: 72 GiB usable, minus 14.96 GiB of weights, 1.15 GiB of activations and
/// logits, 2 GiB outside PyTorch and 3.5 GiB for CUDA graphs and torch.compile, leaves 50.39 GiB: 25,800
/// blocks of 16 tokens.
#[test]
fn llama_8b_on_80_gib_by_hand() {
    let llama = spec("meta-llama/Llama-3.1-8B-Instruct");
    let activations = 8192 * (4 * 4096 + 3 * 14336) * 2 + 256 * 128_256 * 8;
    assert_eq!(activations, 1_235_746_816);
    let pool = 72 * (1u64 << 30) - 16_060_522_496 - activations - (2 << 30) - (7 << 29);
    assert_eq!(pool, 54_107_561_984);
    let tokens = pool / (131_072 * 16) * 16;
    assert_eq!(tokens, 412_800);

    let req = Request { context: 8192, concurrency: 1, dtype: Dtype::Bf16, kv_dtype: KvDtype::Auto };
    let o = evaluate(&llama, &req, &device("X/full", 80, true, 1));
    assert!(o.fits);
    assert_eq!(o.devices, 1);
    assert_eq!(o.kv_tokens, tokens);
    assert_eq!(o.max_num_seqs, 50); // 412,800 / 8,192
    assert_eq!(o.max_model_len, 131_072); // the model's own limit is the shorter
    assert_eq!(
        o.vllm_args,
        [
            "--max-model-len",
            "8192",
            "--max-num-seqs",
            "50",
            "--max-num-batched-tokens",
            "8192",
            "--gpu-memory-utilization",
            "0.90",
            "--dtype",
            "bfloat16"
        ]
    );
}

#[test]
fn weights_that_do_not_fit_say_so_in_words() {
    let llama = spec("meta-llama/Llama-3.1-70B-Instruct");
    let req = Question::default().resolve(&llama).unwrap();
    let o = evaluate(&llama, &req, &device("H100-80GB/3g.40gb", 40, false, 8));
    assert!(!o.fits);
    assert_eq!(o.devices, 1, "a MIG slice is never combined");
    assert_eq!(
        o.reason.as_deref(),
        Some("weights alone need 131.4 GiB; 1 × H100-80GB/3g.40gb give vLLM 36.0 GiB (0.90 of 40.0 GiB) each")
    );
    assert!(o.vllm_args.is_empty());

    // Whole GPUs combine. Two 80 GiB GPUs hold 70,553,706,496 bytes of weights each; the runtime takes
    // 1,504,182,272 (activations at 8,192 tokens with the MLP split in two, logits) + 4 GiB outside PyTorch
    // under tensor parallelism + 4.5 GiB of CUDA graphs above 30B: 81,184,694,272 bytes, more than the
    // 77,309,411,328 (72 GiB) usable, so no KV cache at all. Four fit.
    let o = evaluate(&llama, &req, &device("H100-80GB/full", 80, true, 8));
    assert!(o.fits, "{:?}", o.reason);
    assert_eq!(o.devices, 4);
    assert!(o.vllm_args.windows(2).any(|w| w == ["--tensor-parallel-size", "4"]));
    let two = evaluate(&llama, &req, &device("H100-80GB/full", 80, true, 2));
    assert!(!two.fits);
    assert_eq!(two.devices, 2);
    assert_eq!(two.kv_tokens, 0);
    // 70,553,706,496 bytes are 65.7 GiB; 1,504,182,272 bytes + 8.5 GiB are 9.9 GiB.
    assert_eq!(
        two.reason.as_deref(),
        Some(
            "weights (65.7 GiB) and vLLM's runtime (9.9 GiB: activations, CUDA graphs, memory outside PyTorch) \
             leave nothing for the KV cache of the 72.0 GiB (0.90 of 80.0 GiB) vLLM may use on 2 × H100-80GB/full"
        )
    );
}

#[test]
fn the_answer_is_sorted_smallest_shape_first() {
    let llama = spec("meta-llama/Llama-3.1-8B-Instruct");
    let req = Question::default().resolve(&llama).unwrap();
    let shapes = [device("A/full", 80, true, 1), device("A/1g.10gb", 10, false, 1), device("A/3g.40gb", 40, false, 1)];
    let a = answer(&llama, req, &shapes);
    let order: Vec<&str> = a.options.iter().map(|o| o.shape.as_str()).collect();
    assert_eq!(order, ["A/1g.10gb", "A/3g.40gb", "A/full"]);
    assert_eq!(a.smallest_fit().map(|o| o.shape.as_str()), Some("A/3g.40gb"));
    assert!((a.kv_gib_per_1k_tokens() - 131_072.0 * 1000.0 / GIB).abs() < 1e-12);
    assert_eq!(memory::GPU_MEMORY_UTILIZATION, 0.90);
}
