//! Reading config.json: nested text configs, the fields that must be there, and what is refused.

use fit::{ConfigError, Dtype, MAX_CONFIG_BYTES, ModelCatalog, Question, parse_config};

const LLAMA: &str = r#"{"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 32, "hidden_size": 4096,
  "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
  "tie_word_embeddings": false, "max_position_embeddings": 131072, "torch_dtype": "bfloat16"}"#;

#[test]
fn a_llama_config_reads_and_its_parameters_are_estimated() {
    let spec = parse_config("my/llama", LLAMA, None).unwrap();
    assert_eq!(spec.head_dim, 128, "hidden size / attention heads when head_dim is absent");
    assert!(spec.params_estimated);
    assert_eq!(spec.params, 8_030_261_248);
    assert_eq!(spec.dtype, Dtype::Bf16);
}

#[test]
fn a_missing_field_is_named() {
    for field in ["num_hidden_layers", "hidden_size", "vocab_size", "max_position_embeddings", "intermediate_size"] {
        let mut v: serde_json::Value = serde_json::from_str(LLAMA).unwrap();
        v.as_object_mut().unwrap().remove(field);
        let e = parse_config("x", &v.to_string(), None).unwrap_err();
        assert_eq!(e, ConfigError::Missing(field));
        assert!(e.to_string().contains(field), "{e}");
    }
}

#[test]
fn nonsense_numbers_are_refused_naming_the_field() {
    let e = parse_config("x", &LLAMA.replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 7"), None);
    assert!(matches!(e, Err(ConfigError::Invalid { field: "num_key_value_heads", .. })), "{e:?}");
    let e = parse_config("x", &LLAMA.replace("\"hidden_size\": 4096", "\"hidden_size\": -1"), None);
    assert!(matches!(e, Err(ConfigError::Invalid { field: "hidden_size", .. })), "{e:?}");
    let e = parse_config("x", &LLAMA.replace("\"hidden_size\": 4096", "\"hidden_size\": 1e300"), None);
    assert!(matches!(e, Err(ConfigError::Invalid { field: "hidden_size", .. })), "{e:?}");
    assert!(matches!(parse_config("x", "[1]", None), Err(ConfigError::NotJson(_))));
    assert!(matches!(parse_config("x", "{", None), Err(ConfigError::NotJson(_))));
}

#[test]
fn the_input_is_bounded() {
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_CONFIG_BYTES));
    assert_eq!(parse_config("x", &big, None), Err(ConfigError::TooLarge(big.len())));
}

/// Gemma 3 keeps its language model under text_config, with the dtype at the top level.
#[test]
fn a_nested_text_config_wins_over_the_top_level() {
    let gemma = r#"{"architectures": ["Gemma3ForConditionalGeneration"], "torch_dtype": "bfloat16",
      "text_config": {"num_hidden_layers": 62, "hidden_size": 5376, "num_attention_heads": 32,
        "num_key_value_heads": 16, "head_dim": 128, "intermediate_size": 21504, "vocab_size": 262208,
        "max_position_embeddings": 131072, "sliding_window": 1024},
      "vision_config": {"hidden_size": 1152, "num_hidden_layers": 27}}"#;
    let spec = parse_config("google/gemma-3-27b-it", gemma, Some(27_432_406_640)).unwrap();
    assert_eq!((spec.layers, spec.hidden_size, spec.kv_heads, spec.head_dim), (62, 5376, 16, 128));
    assert_eq!(spec.sliding_window, Some(1024));
    assert!(!spec.params_estimated);
    let notes = fit::answer(&spec, Question::default().resolve(&spec).unwrap(), &[]).notes;
    assert!(notes.iter().any(|n| n.contains("sliding-window") && n.contains("upper bound")), "{notes:?}");
}

#[test]
fn attention_the_model_cannot_size_is_refused() {
    let mla = LLAMA.replace("\"num_hidden_layers\"", "\"kv_lora_rank\": 512, \"num_hidden_layers\"");
    assert!(
        matches!(parse_config("deepseek", &mla, None), Err(ConfigError::Unsupported(m)) if m.contains("kv_lora_rank"))
    );
    let hybrid =
        LLAMA.replace("\"num_hidden_layers\"", "\"layer_types\": [\"linear_attention\"], \"num_hidden_layers\"");
    assert!(matches!(parse_config("qwen3-next", &hybrid, None), Err(ConfigError::Unsupported(_))));
}

#[test]
fn quantisation_configs_set_the_dtype() {
    let awq = LLAMA
        .replace("\"torch_dtype\": \"bfloat16\"", "\"quantization_config\": {\"quant_method\": \"awq\", \"bits\": 4}");
    assert_eq!(parse_config("x", &awq, None).unwrap().dtype, Dtype::Int4Awq);
    let other =
        LLAMA.replace("\"torch_dtype\": \"bfloat16\"", "\"quantization_config\": {\"quant_method\": \"bitsandbytes\"}");
    assert!(matches!(parse_config("x", &other, None), Err(ConfigError::Unsupported(_))));
    let none = LLAMA.replace("\"torch_dtype\": \"bfloat16\"", "\"use_cache\": true");
    assert_eq!(parse_config("x", &none, None), Err(ConfigError::Missing("torch_dtype")));
}

#[test]
fn questions_are_bounded_and_name_the_field() {
    let spec = parse_config("x", LLAMA, None).unwrap();
    let q = |context, concurrency| Question { context, concurrency, ..Question::default() }.resolve(&spec);
    assert_eq!(q(Some(0), None).unwrap_err().field, "context");
    assert_eq!(q(Some(131_073), None).unwrap_err().field, "context");
    assert_eq!(q(None, Some(0)).unwrap_err().field, "concurrency");
    assert_eq!(q(None, Some(1_000_000)).unwrap_err().field, "concurrency");
    let r = q(None, None).unwrap();
    assert_eq!((r.context, r.concurrency, r.dtype), (8192, 1, Dtype::Bf16));
}

#[test]
fn unknown_ids_name_the_closest_catalog_ids() {
    let catalog = ModelCatalog::builtin();
    assert!(catalog.get("META-LLAMA/llama-3.1-8b-instruct").is_some(), "case does not matter");
    let near = catalog.closest("meta-llama/Llama-3.1-8B-Instruc", 3);
    assert_eq!(near[0], "meta-llama/Llama-3.1-8B-Instruct");
    let near = catalog.closest("mixtral", 3);
    assert!(near[0].contains("Mixtral"), "{near:?}");
}

#[test]
fn every_catalog_entry_names_its_sources() {
    let catalog = ModelCatalog::builtin();
    assert!(catalog.len() >= 30, "{} ids", catalog.len());
    for m in catalog.models() {
        let id = &m.spec.id;
        assert_eq!(m.config_source, format!("https://huggingface.co/{id}/blob/main/config.json"));
        assert!(!m.params_source.is_empty(), "{id}");
        assert!(!m.spec.params_estimated, "{id}");
        // The published count and the count from the architecture agree within 3%: a typo in either shows.
        let estimate = m.spec.estimated_params() as f64;
        let published = m.spec.params as f64;
        assert!((estimate - published).abs() / published < 0.03, "{id}: {estimate} against {published}");
    }
}
