//! The pod every manifest of a booking runs: its name, labels, the resources it asks for (the booked
//! device or the booking's claim, and cpu and memory within the allowance), and vLLM's container.

use model::Booking;
use serde_json::{Map, Value, json};

use super::Plan;
use crate::render::QueueMode;
use crate::render::names::{BOOKING_LABEL, PROJECT_LABEL, dns_label, resource, window_annotations};

pub(crate) const QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";
pub(crate) const NAME_LABEL: &str = "app.kubernetes.io/name";
pub(crate) const PORT: u16 = 8000;

/// `<model>-<booking>`: the model's name without its organisation, as a DNS label with room for the id.
pub(crate) fn name(model: &str, b: &Booking) -> String {
    let short = model.rsplit('/').next().unwrap_or(model);
    let id = b.id.to_string();
    let stem: String = dns_label(short).chars().take(62 - id.len()).collect();
    format!("{}-{id}", stem.trim_end_matches('-'))
}

/// Labels of the workload and its pods: its name, the booking, and the booking's LocalQueue.
pub(crate) fn labels(p: &Plan<'_>) -> Value {
    json!({
        NAME_LABEL: p.name,
        BOOKING_LABEL: p.booking.id.to_string(),
        PROJECT_LABEL: dns_label(&p.booking.request.project),
        QUEUE_LABEL: p.objects.local_queue,
    })
}

/// `metadata`: name, namespace, labels, and the booking's window (it ends then: `HoldAndDrain`).
pub(crate) fn metadata(p: &Plan<'_>) -> Value {
    let mut annotations = window_annotations(p.booking);
    annotations.insert("gpubook.io/model".into(), p.model.clone().into());
    json!({ "name": p.name, "namespace": p.namespace, "labels": labels(p), "annotations": annotations })
}

/// The pod's DRA claims: per booking one (`gpu`) from the booking's template, which asks for all its
/// devices; per project one per device (`gpu-0`, `gpu-1` …) from the project's template of the shape.
fn claims(p: &Plan<'_>) -> Vec<String> {
    match p.queues {
        QueueMode::PerBooking => vec!["gpu".to_string()],
        QueueMode::PerProject => (0..p.fit.devices.max(1)).map(|i| format!("gpu-{i}")).collect(),
    }
}

/// The container's resources: the devices (extended resource, or the claim with `--dra`), cpu and memory
/// as requests equal to limits so the pod is never throttled past nor admitted beyond the allowance.
pub(crate) fn resources(p: &Plan<'_>) -> Value {
    let mut amounts = Map::new();
    amounts.insert("cpu".into(), p.per_pod.cpu().into());
    amounts.insert("memory".into(), p.per_pod.memory().into());
    if let Some(e) = p.per_pod.ephemeral() {
        amounts.insert("ephemeral-storage".into(), e.into());
    }
    let mut limits = amounts.clone();
    let mut out = json!({ "requests": amounts });
    if p.dra {
        out["claims"] = claims(p).into_iter().map(|name| json!({ "name": name })).collect();
    } else {
        limits.insert(resource(&p.shape), p.fit.devices.to_string().into());
    }
    out["limits"] = Value::Object(limits);
    out
}

/// The pod spec around one container, with the booking's claims when `--dra` is asked for and shared
/// memory for tensor parallelism (NCCL needs more than the default 64 MiB).
pub(crate) fn spec(p: &Plan<'_>, container: Value, restart: &str) -> Value {
    let mut container = container;
    let mut spec = json!({ "restartPolicy": restart, "containers": [] });
    if p.dra {
        let template = &p.objects.claim_template;
        spec["resourceClaims"] =
            claims(p).into_iter().map(|name| json!({ "name": name, "resourceClaimTemplateName": template })).collect();
    }
    if let Some(selector) = &p.node_selector {
        spec["nodeSelector"] = selector.clone();
    }
    if p.fit.devices > 1 {
        spec["volumes"] = json!([{ "name": "dshm", "emptyDir": { "medium": "Memory", "sizeLimit": "1Gi" } }]);
        container["volumeMounts"] = json!([{ "name": "dshm", "mountPath": "/dev/shm" }]);
    }
    spec["containers"] = json!([container]);
    spec
}

/// The model, then the fit advisor's arguments.
pub(crate) fn vllm_args(p: &Plan<'_>) -> Vec<String> {
    let mut args = vec!["--model".to_string(), p.model.clone()];
    args.extend(p.fit.vllm_args.iter().cloned());
    args
}

/// A Hugging Face token, when the namespace has the Secret `hf-token` (gated models need one).
pub(crate) fn env() -> Value {
    json!([{ "name": "HF_TOKEN",
             "valueFrom": { "secretKeyRef": { "name": "hf-token", "key": "token", "optional": true } } }])
}
