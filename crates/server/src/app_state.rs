//! What every handler, REST or console, can reach: a leaf of the crate's layering, which the routes and the
//! console both import and which imports neither.

use std::sync::Arc;

use crate::auth::Tokens;
use crate::engine::Engine;
use crate::metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub tokens: Tokens,
    pub metrics: Arc<Metrics>,
    pub store: store::Store,
    pub catalog: Arc<model::Catalog>,
    /// How Kubernetes objects are rendered (also for the reconciler, when one runs).
    pub k8s: Arc<k8s::Options>,
    /// The console's sessions (in memory).
    pub sessions: crate::sessions::Sessions,
}
