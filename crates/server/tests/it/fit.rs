//! `GET /fit` on the server's own fleet and sizes: the answer a reader sees, and bad input refused naming the
//! parameter.

use crate::each_backend;

#[test]
fn fit_answers_on_the_servers_fleet_smallest_shape_first() {
    each_backend(|h| {
        let admin = h.admin();
        let (s, a) = admin.get("/fit?model=meta-llama/Llama-3.1-8B-Instruct&context=8192&concurrency=4");
        assert_eq!(s, 200, "{a}");
        assert_eq!(a["model"]["id"], "meta-llama/Llama-3.1-8B-Instruct");
        assert_eq!(a["kv_bytes_per_token"], 131_072);
        assert_eq!(a["weights_gib"], 14.96);
        let options = a["options"].as_array().unwrap();
        assert!(!options.is_empty());
        let memory: Vec<f64> = options.iter().map(|o| o["memory_gib"].as_f64().unwrap()).collect();
        assert!(memory.windows(2).all(|w| w[0] <= w[1]), "smallest first: {memory:?}");
        for o in options {
            let fits = o["fits"].as_bool().unwrap();
            assert_eq!(fits, o["reason"].is_null(), "{o}");
            assert_eq!(fits, !o["vllm_args"].as_array().unwrap().is_empty(), "{o}");
            if fits {
                assert!(o["max_num_seqs"].as_u64().unwrap() >= 4, "{o}");
            }
            if o["shape"].as_str().unwrap().contains("/1g.") || !o["shape"].as_str().unwrap().ends_with("/full") {
                assert_eq!(o["devices"], 1, "a MIG slice is never combined: {o}");
            }
        }
    });
}

#[test]
fn bad_fit_questions_are_refused_naming_the_parameter() {
    each_backend(|h| {
        let admin = h.admin();
        for (query, field) in [
            ("model=meta-llama/Llama-3.1-8B-Instruc", "model"),
            ("model=meta-llama/Llama-3.1-8B&context=0", "context"),
            ("model=meta-llama/Llama-3.1-8B&concurrency=-1", "concurrency"),
            ("model=meta-llama/Llama-3.1-8B&context=200000", "context"),
            ("model=meta-llama/Llama-3.1-8B&dtype=int3", "dtype"),
        ] {
            let (s, e) = admin.get(&format!("/fit?{query}"));
            assert_eq!(s, 422, "{query}: {e}");
            let message = e["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(&format!("{field}: ")), "{query}: {message}");
        }
        let (_, e) = admin.get("/fit?model=meta-llama/Llama-3.1-8B-Instruc");
        assert!(e["error"]["message"].as_str().unwrap().contains("closest: meta-llama/Llama-3.1-8B-Instruct"), "{e}");
    });
}
