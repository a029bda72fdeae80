//! `GET /bookings/{id}/manifests`: the workload manifests of a booking, as objects and as one YAML stream.

use serde::{Deserialize, Serialize};

/// Ready-to-apply manifests for a booking, in its project's namespace on its queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManifestsView {
    /// Such as `b17`.
    pub booking: String,
    pub namespace: String,
    /// `vllm`, `inferenceservice` or `job`.
    pub kind: String,
    pub model: String,
    /// The objects, in apply order (a Deployment and a Service, an InferenceService, or a Job).
    #[schema(value_type = Vec<Object>)]
    pub manifests: Vec<serde_json::Value>,
    /// The same objects as one multi-document YAML stream, for `kubectl apply -f -`.
    pub yaml: String,
}
