//! Properties of the fit: more context never allows more sequences; a bigger shape never fits worse.

use fit::{Candidate, Dtype, KvDtype, ModelCatalog, ModelSpec, Request, evaluate};
use proptest::prelude::*;

fn models() -> Vec<ModelSpec> {
    ModelCatalog::builtin().models().map(|m| m.spec.clone()).collect()
}

fn dtypes() -> impl Strategy<Value = Dtype> {
    prop::sample::select(Dtype::ALL.to_vec())
}

fn kv() -> impl Strategy<Value = KvDtype> {
    prop::sample::select(vec![KvDtype::Auto, KvDtype::Fp8])
}

fn candidate(mib: u64, whole: bool, gpus: u32) -> Candidate {
    Candidate { shape: "M/x".into(), memory_bytes: mib << 20, whole_gpu: whole, gpus_per_node: gpus, sizes: vec![] }
}

proptest! {
    #[test]
    fn more_context_never_allows_more_sequences(
        model in 0usize..64, dtype in dtypes(), kv_dtype in kv(), mib in 1u64..300_000, whole: bool,
        gpus in 1u32..9, context in 1u32..200_000, more in 0u32..200_000, concurrency in 1u32..300,
    ) {
        let models = models();
        let spec = &models[model % models.len()];
        let c = candidate(mib, whole, gpus);
        let short = Request { context, concurrency, dtype, kv_dtype };
        let long = Request { context: context.saturating_add(more), ..short };
        let a = evaluate(spec, &short, &c);
        let b = evaluate(spec, &long, &c);
        if a.devices == b.devices {
            prop_assert!(b.max_num_seqs <= a.max_num_seqs);
        }
        prop_assert!(!b.fits || a.fits, "the longer context fits where the shorter does not");
    }

    #[test]
    fn a_bigger_shape_never_fits_worse(
        model in 0usize..64, dtype in dtypes(), kv_dtype in kv(), mib in 1u64..300_000, extra in 0u64..300_000,
        whole: bool, gpus in 1u32..9, context in 1u32..100_000, concurrency in 1u32..300,
    ) {
        let models = models();
        let spec = &models[model % models.len()];
        let req = Request { context, concurrency, dtype, kv_dtype };
        let small = evaluate(spec, &req, &candidate(mib, whole, gpus));
        let big = evaluate(spec, &req, &candidate(mib + extra, whole, gpus));
        prop_assert!(!small.fits || big.fits, "{:?}", big.reason);
        if small.fits {
            prop_assert!(big.devices <= small.devices);
        }
        if small.devices == big.devices {
            prop_assert!(big.kv_tokens >= small.kv_tokens);
            prop_assert!(big.max_num_seqs >= small.max_num_seqs);
            prop_assert!(big.max_model_len >= small.max_model_len);
            prop_assert!(big.budget.kv_pool() >= small.budget.kv_pool());
        }
        prop_assert_eq!(small.fits, small.reason.is_none());
        prop_assert_eq!(small.fits, !small.vllm_args.is_empty());
    }
}
