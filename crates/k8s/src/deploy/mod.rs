//! Ready-to-apply workload manifests for a booking (`gpubook deploy`, `GET /bookings/{id}/manifests`): a
//! vLLM Deployment and Service, a KServe InferenceService on the booking's HardwareProfile, or a batch Job,
//! each in the project's namespace on the booking's LocalQueue, asking for exactly what the booking holds.
//!
//! Pure, like the render: the booking, the definitions and the model catalog in, JSON objects out. vLLM's
//! arguments come from the model-fit advisor (`fit`): the fewest devices of the booked shape that hold the
//! model at its default context, how many sequences fit, and the memory utilisation it assumed.

mod pod;
mod workloads;

use fit::{Candidate, FitOption, ModelCatalog, Question};
use model::{Allowance, Booking, Catalog, Definitions, ShapeKey, ShapeKind};
use serde_json::Value;

use crate::render::QueueMode;
use crate::render::names::{BookingObjects, booking_objects};

/// What to deploy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    /// `apps/v1` Deployment running `vllm serve`, and a Service in front of it.
    Vllm,
    /// KServe `InferenceService` (OpenShift AI) selecting the booking's HardwareProfile.
    InferenceService,
    /// `batch/v1` Job running vLLM's offline throughput benchmark for the window.
    Job,
}

impl WorkloadKind {
    pub const NAMES: &'static str = "vllm, inferenceservice, job";

    pub fn parse(s: &str) -> Option<WorkloadKind> {
        match s {
            "vllm" => Some(WorkloadKind::Vllm),
            "inferenceservice" => Some(WorkloadKind::InferenceService),
            "job" => Some(WorkloadKind::Job),
            _ => None,
        }
    }
}

/// What the tenant asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployRequest {
    pub kind: WorkloadKind,
    /// A model id of the fit catalog, such as `meta-llama/Llama-3.1-8B-Instruct`.
    pub model: String,
    /// The container image; vLLM's own when absent.
    pub image: Option<String>,
    /// Claim the booking's devices through its ResourceClaimTemplate (per project: the project's of the
    /// booked shape, one claim per device) instead of the extended resource.
    pub dra: bool,
    /// Which LocalQueue the workload is labelled with: the booking's, or its project's (`--k8s-queues`).
    pub queues: QueueMode,
}

/// vLLM's OpenAI-compatible server image the manifests use unless told otherwise.
pub const DEFAULT_IMAGE: &str = "vllm/vllm-openai:v0.11.0";
/// The longest image reference accepted.
pub const MAX_IMAGE: usize = 512;

/// Why no manifest was made; `field` names the input at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DeployError {
    pub field: &'static str,
    pub reason: String,
}

fn err(field: &'static str, reason: impl Into<String>) -> DeployError {
    DeployError { field, reason: reason.into() }
}

/// What every manifest of a booking shares: where it goes, what one pod asks for, how many pods.
pub(crate) struct Plan<'a> {
    pub(crate) booking: &'a Booking,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) model: String,
    pub(crate) image: String,
    pub(crate) shape: ShapeKey,
    pub(crate) fit: FitOption,
    /// Pods of `fit.devices` devices each.
    pub(crate) replicas: u32,
    /// What one pod may request besides its devices.
    pub(crate) per_pod: Allowance,
    pub(crate) dra: bool,
    pub(crate) queues: QueueMode,
    /// The LocalQueue, claim template and HardwareProfile the workload names.
    pub(crate) objects: BookingObjects,
    /// Per project, the pods are pinned to the booked GPU model: the project's queue also holds its other
    /// bookings' models, and Kueue would otherwise take the first flavor with room.
    pub(crate) node_selector: Option<Value>,
}

/// The manifests for `booking`, in apply order, or the input at fault.
pub fn manifests(
    catalog: &Catalog,
    defs: &Definitions,
    models: &ModelCatalog,
    booking: &Booking,
    req: &DeployRequest,
) -> Result<Vec<Value>, DeployError> {
    let plan = plan(catalog, defs, models, booking, req)?;
    Ok(match req.kind {
        WorkloadKind::Vllm => workloads::vllm(&plan),
        WorkloadKind::InferenceService => vec![workloads::inference_service(&plan)],
        WorkloadKind::Job => vec![workloads::job(&plan)],
    })
}

fn plan<'a>(
    catalog: &Catalog,
    defs: &Definitions,
    models: &ModelCatalog,
    booking: &'a Booking,
    req: &DeployRequest,
) -> Result<Plan<'a>, DeployError> {
    let id = booking.id;
    let entry = models.get(&req.model).ok_or_else(|| {
        let near = models.closest(&req.model, 3).join(", ");
        err("model", format!("{:?} is not in the model catalog (closest: {near}); `gpubook fit` lists it", req.model))
    })?;
    let image = req.image.clone().unwrap_or_else(|| DEFAULT_IMAGE.to_string());
    if image.is_empty() || image.len() > MAX_IMAGE || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err("image", format!("must be an image reference of 1 to {MAX_IMAGE} characters without spaces")));
    }
    if req.dra && req.kind == WorkloadKind::InferenceService {
        return Err(err("dra", "an InferenceService takes its devices from the HardwareProfile; use vllm or job"));
    }
    let project = defs
        .projects
        .get(&booking.request.project)
        .ok_or_else(|| err("booking", format!("{id}'s project {} is no longer defined", booking.request.project)))?;
    let mut shapes = booking.devices.iter().map(|d| &d.shape);
    let shape = shapes.next().ok_or_else(|| err("booking", format!("{id} holds no devices")))?.clone();
    if shapes.any(|s| *s != shape) {
        return Err(err("booking", format!("{id} holds devices of several shapes; deploy needs one")));
    }
    let full = catalog.shape(&shape).map_err(|e| err("booking", e))?;
    let spec = &entry.spec;
    let request = Question::default().resolve(spec).map_err(|e| err("model", e.reason))?;
    let count = booking.devices.len() as u32;
    let on_one_node = booking.devices.iter().filter(|d| d.gpu.node == booking.devices[0].gpu.node).count() as u32;
    let candidate = Candidate {
        shape: shape.to_string(),
        memory_bytes: full.memory.bytes(),
        whole_gpu: full.kind == ShapeKind::Whole,
        gpus_per_node: on_one_node,
        sizes: Vec::new(),
    };
    let fit = fit::evaluate(spec, &request, &candidate);
    if !fit.fits {
        let why = fit.reason.clone().unwrap_or_default();
        return Err(err("model", format!("{} does not fit on {id}'s {shape} × {count}: {why}", spec.id)));
    }
    let replicas = count / fit.devices.max(1);
    // Per booking, the booking's claim template asks for all its devices, so one pod must take them all; per
    // project, a pod lists one claim per device from the project's template of the shape.
    if req.dra && replicas != 1 && req.queues == QueueMode::PerBooking {
        return Err(err(
            "dra",
            format!(
                "with --dra one pod claims all {count} devices of {id}, but {} runs on {} per pod; deploy without --dra",
                spec.id, fit.devices
            ),
        ));
    }
    let device = defs.device_allowance(catalog, &booking.request.want, &shape);
    let node_selector = match (req.queues, catalog.get(shape.model.as_str())) {
        (QueueMode::PerProject, Some(m)) => {
            Some(serde_json::json!({ "nvidia.com/gpu.product": crate::render::names::product(m) }))
        }
        _ => None,
    };
    Ok(Plan {
        booking,
        namespace: project.namespace.clone(),
        name: pod::name(&spec.id, booking),
        model: spec.id.clone(),
        image,
        per_pod: device.times(u64::from(fit.devices)),
        shape,
        fit,
        replicas,
        dra: req.dra,
        queues: req.queues,
        objects: booking_objects(booking, req.queues),
        node_selector,
    })
}

/// Manifests as one multi-document YAML stream.
pub fn to_yaml(manifests: &[Value]) -> String {
    manifests
        .iter()
        .map(|m| format!("---\n{}", serde_yaml::to_string(m).expect("JSON values always serialise")))
        .collect()
}
