//! The Kubernetes reconciler of `gpubook serve --kubeconfig` / `--kubernetes`: every pass renders the
//! committed state at the engine's clock and lets [`k8s::Reconciler`] make the cluster match; passes repeat
//! on an interval (level-triggered), backing off while the API server fails.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s::{Backoff, Reconciler};

use crate::engine::Engine;
use crate::metrics::Metrics;

/// Where the cluster's credentials come from.
#[derive(Clone)]
pub enum KubeSource {
    /// In-cluster service account, else `$KUBECONFIG` or `~/.kube/config`.
    Infer,
    /// A kubeconfig file (its current context).
    File(PathBuf),
    /// A client built by the embedder (tests use one over a mock service).
    Client(kube::Client),
}

impl std::fmt::Debug for KubeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KubeSource::Infer => f.write_str("Infer"),
            KubeSource::File(p) => f.debug_tuple("File").field(p).finish(),
            KubeSource::Client(_) => f.write_str("Client"),
        }
    }
}

/// Settings of the reconciler.
#[derive(Clone, Debug)]
pub struct KubeConfig {
    pub source: KubeSource,
    /// Between clean passes.
    pub interval: Duration,
}

/// A client for the cluster; `ConnectError` tells missing credentials, an unreadable file, an unknown or
/// invalid context and a configuration that makes no client apart.
pub(crate) async fn client(source: &KubeSource) -> Result<kube::Client, k8s::connect::ConnectError> {
    match source {
        KubeSource::Infer => k8s::connect::infer().await,
        KubeSource::Client(c) => Ok(c.clone()),
        KubeSource::File(path) => k8s::connect::kubeconfig(path, None).await,
    }
}

/// Runs passes until the engine stops answering (the server is shutting down) or the task is aborted.
pub(crate) async fn run(
    engine: Engine,
    client: kube::Client,
    opts: Arc<k8s::Options>,
    interval: Duration,
    metrics: Arc<Metrics>,
) {
    let reconciler = Reconciler::new(client, (*opts).clone());
    let mut backoff = Backoff::new(interval, Duration::from_secs(1), Duration::from_secs(300));
    loop {
        let render_opts = opts.clone();
        // Only the snapshot is taken inside the engine; the objects are built here, while it goes on writing.
        let began = std::time::Instant::now();
        let taken = engine.read(move |state, now| k8s::Snapshot::take(&state.planner, now, &render_opts)).await;
        let Ok(snapshot) = taken else { return };
        let at = snapshot.at();
        // Building is CPU work (about 9 µs an object): off the async workers.
        let Ok(objects) = tokio::task::spawn_blocking(move || snapshot.render()).await else { return };
        let report = reconciler.reconcile(&objects).await;
        metrics.kube.observe(&report, objects.len(), began.elapsed(), at);
        for e in &report.errors {
            tracing::warn!("kubernetes: {e}");
        }
        for d in &report.deleted {
            tracing::info!("kubernetes: deleted {d}");
        }
        tracing::debug!(
            applied = report.applied,
            unchanged = report.unchanged,
            deleted = report.deleted.len(),
            "kubernetes pass"
        );
        tokio::time::sleep(backoff.next(report.errors.is_empty())).await;
    }
}
