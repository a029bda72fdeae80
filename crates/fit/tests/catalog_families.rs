//! The families issue 16 names resolve by their Hugging Face ids, with figures worked out by hand.

use fit::memory::kv_bytes_per_token;
use fit::{KvDtype, ModelCatalog, ModelSpec};

fn spec(id: &str) -> ModelSpec {
    ModelCatalog::builtin().get(id).unwrap_or_else(|| panic!("{id} is in the catalog")).spec.clone()
}

#[test]
fn every_named_family_resolves() {
    let ids = [
        "meta-llama/Llama-3.3-70B-Instruct",
        "mistralai/Mistral-7B-Instruct-v0.3",
        "google/gemma-2-9b-it",
        "google/gemma-2-27b-it",
        "microsoft/Phi-3-mini-4k-instruct",
        "microsoft/Phi-3-mini-128k-instruct",
        "microsoft/phi-4",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        "ibm-granite/granite-3.1-8b-instruct",
    ];
    let catalog = ModelCatalog::builtin();
    for id in ids {
        let model = catalog.get(id).unwrap_or_else(|| panic!("{id} is in the catalog"));
        assert_eq!(model.spec.id, id);
        assert!(model.config_source.contains(id), "{id}: {}", model.config_source);
    }
}

/// 2 (K and V) × layers × KV heads × head dim × 2 bytes, from each config.json by hand.
#[test]
fn kv_bytes_per_token_of_the_new_families_are_exact() {
    let cases = [
        // 32 layers, 8 KV heads, 4096 / 32 = 128.
        ("mistralai/Mistral-7B-Instruct-v0.3", 2 * 32 * 8 * 128 * 2, 131_072),
        // 42 layers, 8 KV heads, head_dim 256 (not 3584 / 16 = 224).
        ("google/gemma-2-9b-it", 2 * 42 * 8 * 256 * 2, 344_064),
        // 46 layers, 16 KV heads, head_dim 128 (not 4608 / 32 = 144).
        ("google/gemma-2-27b-it", 2 * 46 * 16 * 128 * 2, 376_832),
        // 32 layers, no GQA: 32 KV heads of 3072 / 32 = 96.
        ("microsoft/Phi-3-mini-4k-instruct", 2 * 32 * 32 * 96 * 2, 393_216),
        ("microsoft/Phi-3-mini-128k-instruct", 2 * 32 * 32 * 96 * 2, 393_216),
        // 40 layers, 10 KV heads, 5120 / 40 = 128.
        ("microsoft/phi-4", 2 * 40 * 10 * 128 * 2, 204_800),
        // 28 layers, 4 KV heads, 3584 / 28 = 128.
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 2 * 28 * 4 * 128 * 2, 57_344),
        // 40 layers, 8 KV heads, 4096 / 32 = 128.
        ("ibm-granite/granite-3.1-8b-instruct", 2 * 40 * 8 * 128 * 2, 163_840),
        // Llama 3.1 70B's architecture: 80 layers, 8 KV heads of 128.
        ("meta-llama/Llama-3.3-70B-Instruct", 2 * 80 * 8 * 128 * 2, 327_680),
    ];
    for (id, formula, by_hand) in cases {
        assert_eq!(formula, by_hand, "{id}: the hand figure");
        assert_eq!(kv_bytes_per_token(&spec(id), KvDtype::Auto), by_hand, "{id}");
    }
}

/// Where the catalog's count was computed from the config, the crate's own estimate (no biases) agrees with
/// it, so that a mistyped width is caught; the hand sums are spelled out.
#[test]
fn counts_computed_from_config_match_the_architecture() {
    // Mistral 7B v0.3: untied 2 × 32768 × 4096 + 32 × (4096 × 128 × (64 + 16) + 3 × 4096 × 14336 + 2 × 4096) + 4096.
    let mistral = 2 * 32_768 * 4096 + 32 * (4096 * 128 * 80 + 3 * 4096 * 14_336 + 2 * 4096) + 4096u64;
    assert_eq!(mistral, 7_248_023_552);
    // Phi-4: untied 2 × 100352 × 5120 + 40 × (5120 × 128 × (80 + 20) + 3 × 5120 × 17920 + 2 × 5120) + 5120.
    let phi4 = 2 * 100_352 * 5120 + 40 * (5120 * 128 * 100 + 3 * 5120 * 17_920 + 2 * 5120) + 5120u64;
    assert_eq!(phi4, 14_659_507_200);
    // Granite 3.1 8B: tied 49155 × 4096 + 40 × (4096 × 128 × (64 + 16) + 3 × 4096 × 12800 + 2 × 4096) + 4096.
    let granite = 49_155 * 4096 + 40 * (4096 * 128 * 80 + 3 * 4096 * 12_800 + 2 * 4096) + 4096u64;
    assert_eq!(granite, 8_170_848_256);
    for (id, by_hand) in [
        ("mistralai/Mistral-7B-Instruct-v0.3", mistral),
        ("microsoft/phi-4", phi4),
        ("ibm-granite/granite-3.1-8b-instruct", granite),
        ("microsoft/Phi-3-mini-4k-instruct", 3_821_079_552),
    ] {
        let s = spec(id);
        assert_eq!(s.params, by_hand, "{id}: the catalog's count");
        assert_eq!(s.estimated_params(), by_hand, "{id}: the architecture");
    }
    // Gemma 2 has four norms per layer, two more than the estimate counts: 42 × 2 × 3584 more.
    let gemma = spec("google/gemma-2-9b-it");
    assert_eq!(gemma.params, gemma.estimated_params() + 42 * 2 * 3584);
    let gemma = spec("google/gemma-2-27b-it");
    assert_eq!(gemma.params, gemma.estimated_params() + 46 * 2 * 4608);
}
