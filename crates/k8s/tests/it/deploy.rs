//! Workload manifests for bookings: each is admitted by the Kueue model on the booking's rendered objects,
//! validates against the Kubernetes schemas, and asks for exactly what the booking holds.

use fit::ModelCatalog;
use k8s::deploy::{DeployRequest, WorkloadKind, manifests};
use k8s::{Options, render};
use model::{BookingId, Mode};
use planner::Planner;
use serde_json::Value;

use crate::fixture::{at, book, booked};
use crate::kueue::{Cluster, Outcome};

// The 1 GB weights leave room for a KV cache of 8192 tokens on a 10 GB MIG slice after vLLM's overheads.
pub(crate) const SMALL: &str = "Qwen/Qwen2.5-0.5B-Instruct";
pub(crate) const MID: &str = "Qwen/Qwen2.5-7B-Instruct";
pub(crate) const BIG: &str = "meta-llama/Llama-3.1-70B-Instruct";

fn request(kind: WorkloadKind, model: &str, dra: bool) -> DeployRequest {
    DeployRequest { kind, model: model.into(), image: None, dra, queues: Default::default() }
}

pub(crate) fn deploy(p: &Planner, id: BookingId, req: &DeployRequest) -> Result<Vec<Value>, k8s::deploy::DeployError> {
    let b = p.booking(id).expect("booked");
    manifests(p.catalog(), p.definitions(), &ModelCatalog::builtin(), b, req)
}

/// The fixture plus two whole H200 (one node) and two whole L40S, both for `inference` in hours 0–1.
pub(crate) fn with_whole_gpus() -> (Planner, BookingId, BookingId) {
    let mut p = booked();
    let h200 = book(&mut p, "inference", "H200-141GB/full", 2, 0.0, 1.0, Mode::Reserved);
    let l40s = book(&mut p, "inference", "L40S-48GB/full", 2, 0.0, 1.0, Mode::Reserved);
    (p, h200, l40s)
}

fn pod_spec(m: &Value) -> &Value {
    match m["kind"].as_str() {
        Some("InferenceService") => &m["spec"]["predictor"]["model"],
        _ => &m["spec"]["template"]["spec"]["containers"][0],
    }
}

pub(crate) fn admitted(c: &mut Cluster, m: &Value, queue: &str) {
    let outcomes = c.submit(m);
    assert!(!outcomes.is_empty());
    for o in &outcomes {
        assert!(matches!(o, Outcome::Admitted { cluster_queue, .. } if cluster_queue == queue), "{}: {o:?}", m["kind"]);
    }
}

#[test]
fn every_kind_is_admitted_for_a_mig_slice_two_whole_gpus_and_a_dra_claim() {
    let (p, h200, l40s) = with_whole_gpus();
    let objects = render(&p, at(0.5), &Options::default());
    let b4 = BookingId(4); // inference, 1 × A100 1g.10gb
    let cases = [
        (b4, SMALL, false, 1, 1),
        (b4, SMALL, true, 1, 1),
        (h200, BIG, false, 1, 2),
        (h200, BIG, true, 1, 2),
        (l40s, MID, false, 2, 1),
    ];
    for (id, model, dra, replicas, devices) in cases {
        for kind in [WorkloadKind::Vllm, WorkloadKind::Job, WorkloadKind::InferenceService] {
            if dra && kind == WorkloadKind::InferenceService {
                continue;
            }
            let ms = deploy(&p, id, &request(kind, model, dra)).unwrap_or_else(|e| panic!("{id} {model}: {e}"));
            let workload = &ms[0];
            assert_eq!(workload["metadata"]["namespace"], "inference");
            assert_eq!(workload["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], id.object_name());
            let args: Vec<&str> =
                pod_spec(workload)["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
            for flag in ["--max-model-len", "--gpu-memory-utilization", "--max-num-seqs"] {
                assert!(args.contains(&flag), "{kind:?} {args:?}");
            }
            assert_eq!(args.contains(&"--tensor-parallel-size"), devices > 1, "{args:?}");
            let limits = &pod_spec(workload)["resources"]["limits"];
            match dra {
                true => assert_eq!(
                    workload["spec"]["template"]["spec"]["resourceClaims"][0]["resourceClaimTemplateName"],
                    id.object_name()
                ),
                false => assert!(limits.as_object().unwrap().keys().any(|k| k.starts_with("nvidia.com/")), "{limits}"),
            }
            // A fresh cluster per manifest: all its pods together fit the booking.
            let mut c = Cluster::new(&objects);
            admitted(&mut c, workload, &id.object_name());
            let count = match kind {
                WorkloadKind::Vllm => workload["spec"]["replicas"].as_u64().unwrap(),
                WorkloadKind::Job => workload["spec"]["parallelism"].as_u64().unwrap(),
                WorkloadKind::InferenceService => workload["spec"]["predictor"]["minReplicas"].as_u64().unwrap(),
            };
            assert_eq!(count, replicas, "{kind:?} on {id}");
            let again = c.submit(workload);
            assert!(again.iter().all(|o| matches!(o, Outcome::Pending(_))), "{kind:?} on {id} holds all: {again:?}");
        }
    }
}

#[test]
fn bad_input_names_the_field() {
    let (p, h200, l40s) = with_whole_gpus();
    let b4 = BookingId(4);
    let e = deploy(&p, b4, &request(WorkloadKind::Vllm, "acme/no-such-model", false)).unwrap_err();
    assert_eq!(e.field, "model");
    assert!(e.reason.contains("not in the model catalog"), "{e}");
    let e = deploy(&p, b4, &request(WorkloadKind::Vllm, BIG, false)).unwrap_err();
    assert_eq!(e.field, "model");
    assert!(e.reason.contains("does not fit on b4's A100-80GB/1g.10gb"), "{e}");
    let e = deploy(&p, l40s, &request(WorkloadKind::Job, MID, true)).unwrap_err();
    assert_eq!(e.field, "dra", "{e}");
    let e = deploy(&p, h200, &request(WorkloadKind::InferenceService, BIG, true)).unwrap_err();
    assert_eq!(e.field, "dra");
    let bad_image = DeployRequest { image: Some("vllm openai".into()), ..request(WorkloadKind::Vllm, SMALL, false) };
    assert_eq!(deploy(&p, b4, &bad_image).unwrap_err().field, "image");
    assert_eq!(WorkloadKind::parse("pod"), None);
}
