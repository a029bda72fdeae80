//! The three workloads: a vLLM Deployment with its Service, a KServe InferenceService, a batch Job.

use serde_json::{Value, json};

use super::Plan;
use super::pod::{self, NAME_LABEL, PORT};
use crate::render::names::BOOKING_LABEL;

/// `vllm serve` in a Deployment (`Recreate`: a rolling update would need devices the booking does not
/// have), and a ClusterIP Service on its OpenAI-compatible port.
pub(super) fn vllm(p: &Plan<'_>) -> Vec<Value> {
    let mut args = pod::vllm_args(p);
    args.extend(["--port".to_string(), PORT.to_string()]);
    let container = json!({
        "name": "vllm",
        "image": p.image,
        "command": ["vllm", "serve"],
        "args": args,
        "env": pod::env(),
        "ports": [{ "name": "http", "containerPort": PORT }],
        "readinessProbe": { "httpGet": { "path": "/health", "port": PORT }, "periodSeconds": 10 },
        "resources": pod::resources(p),
    });
    let selector = json!({ NAME_LABEL: p.name, BOOKING_LABEL: p.booking.id.to_string() });
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": pod::metadata(p),
        "spec": {
            "replicas": p.replicas,
            "strategy": { "type": "Recreate" },
            "selector": { "matchLabels": selector },
            "template": { "metadata": { "labels": pod::labels(p) }, "spec": pod::spec(p, container, "Always") },
        },
    });
    let mut meta = pod::metadata(p);
    meta["labels"].as_object_mut().map(|l| l.remove(pod::QUEUE_LABEL));
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": { "selector": selector, "ports": [{ "name": "http", "port": PORT, "targetPort": "http" }] },
    });
    vec![deployment, service]
}

/// KServe's InferenceService (raw deployment) with OpenShift AI's vLLM runtime, on the booking's
/// HardwareProfile, which puts it on the booking's queue with its priority; the resources are written
/// out too, for KServe without OpenShift AI.
pub(super) fn inference_service(p: &Plan<'_>) -> Value {
    let mut meta = pod::metadata(p);
    meta["annotations"]["opendatahub.io/hardware-profile-name"] = p.objects.hardware_profile.clone().into();
    meta["annotations"]["opendatahub.io/hardware-profile-namespace"] = p.namespace.clone().into();
    meta["annotations"]["serving.kserve.io/deploymentMode"] = "RawDeployment".into();
    let mut args: Vec<String> = p.fit.vllm_args.clone();
    args.extend(["--served-model-name".to_string(), p.model.clone()]);
    let mut predictor = json!({
        "minReplicas": p.replicas,
        "maxReplicas": p.replicas,
        "model": {
            "modelFormat": { "name": "vLLM" },
            "runtime": "vllm-cuda-runtime",
            "storageUri": format!("hf://{}", p.model),
            "args": args,
            "env": pod::env(),
            "resources": pod::resources(p),
        },
    });
    if let Some(selector) = &p.node_selector {
        predictor["nodeSelector"] = selector.clone();
    }
    json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta,
        "spec": { "predictor": predictor },
    })
}

/// vLLM's offline throughput benchmark as a Job, one pod per group of devices, ending with the window at
/// the latest (`activeDeadlineSeconds`). Created suspended: Kueue starts it once admitted.
pub(super) fn job(p: &Plan<'_>) -> Value {
    let mut args = pod::vllm_args(p);
    args.extend(["--input-len", "512", "--output-len", "128", "--num-prompts", "200"].map(String::from));
    let container = json!({
        "name": "bench",
        "image": p.image,
        "command": ["vllm", "bench", "throughput"],
        "args": args,
        "env": pod::env(),
        "resources": pod::resources(p),
    });
    let w = p.booking.window();
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": pod::metadata(p),
        "spec": {
            "suspend": true,
            "parallelism": p.replicas,
            "completions": p.replicas,
            "backoffLimit": 0,
            "activeDeadlineSeconds": (w.end.0 - w.start.0).max(1),
            "template": { "metadata": { "labels": pod::labels(p) }, "spec": pod::spec(p, container, "Never") },
        },
    })
}
