//! `gpubook fit` as a script reads it (the JSON names PRODUCT.md promises), its refusals, and `gpubook book
//! --model`, which books the smallest size that fits.

use super::server::Server;
use super::service::{cli, ok_json};
use super::{gpubook, stderr, stdout_json};

const LLAMA_8B: &str = "meta-llama/Llama-3.1-8B-Instruct";

#[test]
fn fit_answers_in_the_json_outside_checks_read() {
    let a = stdout_json(&["fit", LLAMA_8B, "--demo", "--context", "8192", "-o", "json"]);
    assert_eq!(a["model"]["id"], LLAMA_8B);
    assert_eq!(a["weights_gib"], 14.96, "8,030,261,248 parameters × 2 bytes");
    // 2 × 32 layers × 8 KV heads × 128 × 2 bytes = 131,072 bytes per token.
    assert_eq!(a["kv_gib_per_1k_tokens"], 0.1221);
    let options = a["options"].as_array().unwrap();
    assert!(options.len() > 10, "every shape of the demo fleet");
    for o in options {
        for key in ["shape", "sizes", "devices", "fits", "max_model_len", "max_num_seqs", "vllm_args", "reason"] {
            assert!(o.get(key).is_some(), "{key} missing from {o}");
        }
        let fits = o["fits"].as_bool().unwrap();
        assert_eq!(!fits, o["reason"].is_string(), "a reason exactly when it does not fit: {o}");
    }
    let fitting = options.iter().find(|o| o["fits"] == true).expect("something fits");
    let args: Vec<&str> = fitting["vllm_args"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(args.windows(2).any(|w| w == ["--max-model-len", "8192"]), "{args:?}");
    let tiny = options.iter().find(|o| o["shape"] == "H100-80GB/1g.10gb").unwrap();
    assert_eq!(tiny["fits"], false);
    assert!(tiny["reason"].as_str().unwrap().contains("weights alone need 15.0 GiB"), "{tiny}");
}

#[test]
fn an_unknown_model_is_refused_naming_the_closest_ids() {
    let out = gpubook(&["fit", "meta-llama/Llama-3.1-8B-Instruc", "--demo", "-o", "json"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout for a script to misread");
    let err = stderr(&out);
    assert!(err.contains("not in the model catalog") && err.contains(LLAMA_8B), "{err}");
    let out = gpubook(&["fit", LLAMA_8B, "--demo", "--context", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("context"), "{}", stderr(&out));
}

#[test]
fn a_config_json_is_read_offline_and_a_missing_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let mut fields = serde_json::json!({
        "num_hidden_layers": 16, "hidden_size": 2048, "num_attention_heads": 32, "num_key_value_heads": 8,
        "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": true,
        "max_position_embeddings": 131072, "torch_dtype": "bfloat16"
    });
    std::fs::write(&config, fields.to_string()).unwrap();
    let path = config.to_str().unwrap();
    let a = stdout_json(&["fit", "my-model", "--model-config", path, "--demo", "-o", "json"]);
    assert_eq!(a["model"]["id"], "my-model");
    assert_eq!(a["model"]["params_estimated"], true);
    // 2 × 16 layers × 8 KV heads × 64 (2048 / 32) × 2 bytes.
    assert_eq!(a["kv_bytes_per_token"], 32_768);
    fields.as_object_mut().unwrap().remove("num_hidden_layers");
    std::fs::write(&config, fields.to_string()).unwrap();
    let out = gpubook(&["fit", "my-model", "--model-config", path, "--demo"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("num_hidden_layers"), "{}", stderr(&out));
}

#[test]
fn book_with_a_model_books_the_smallest_size_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), None);
    let admin = server.token.clone();
    let created = ok_json(
        &server,
        &admin,
        &["token", "create", "--project", "team-a", "--role", "member", "--subject", "alice", "-o", "json"],
    );
    let alice = created["token"].as_str().unwrap().to_string();
    let when = ["--start", "tomorrow 09:00", "--for", "1h"];
    // gpu-small holds 20 GB slices, too small for the 8B model's 15 GiB of weights and its KV cache; every
    // gpu-medium shape (40 GB and up) holds it.
    let mut args = vec!["book", "-p", "team-a", "--model", LLAMA_8B, "-o", "json"];
    args.extend(when);
    let out = cli(&server, &alice, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let booked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(booked["size"], "gpu-medium", "{booked}");
    assert_eq!(booked["count"], 1);
    assert!(stderr(&out).contains("gpu-medium is the smallest size that fits"), "{}", stderr(&out));
    // A size asked for is checked against the model.
    let mut args = vec!["book", "-p", "team-a", "--model", LLAMA_8B, "--size", "gpu-small"];
    args.extend(when);
    let out = cli(&server, &alice, &args);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("gpu-small does not fit meta-llama/Llama-3.1-8B-Instruct"), "{}", stderr(&out));
    // ci may book only gpu-tiny and gpu-small: nothing there fits, and the error names the model.
    let created = ok_json(&server, &admin, &["token", "create", "--project", "ci", "--role", "member", "-o", "json"]);
    let ci = created["token"].as_str().unwrap().to_string();
    let mut args = vec!["book", "-p", "ci", "--model", LLAMA_8B];
    args.extend(when);
    let out = cli(&server, &ci, &args);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no size ci may book fits meta-llama/Llama-3.1-8B-Instruct"), "{err}");
    assert!(err.contains("gpu-tiny: ") && err.contains("weights alone need"), "each size says why: {err}");
    let list = ok_json(&server, &admin, &["bookings", "-o", "json"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "only the first booking was made: {list}");
    assert_eq!(server.terminate().code(), Some(0));
}
