//! A client for the cluster: from a kubeconfig file (its current context, or a named one), or inferred (the
//! in-cluster service account, else `$KUBECONFIG` or `~/.kube/config`). Errors name the file and the context.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{path}: not a readable kubeconfig: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: no context {context:?}; it has {known}")]
    NoContext { path: String, context: String, known: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("no cluster configuration found (in-cluster service account, $KUBECONFIG or ~/.kube/config): {0}")]
    Infer(String),
    #[error("cannot build a client: {0}")]
    Client(String),
}

/// A client for the cluster of a kubeconfig's `context`, or of its current context.
pub async fn kubeconfig(path: &Path, context: Option<&str>) -> Result<kube::Client, ConnectError> {
    let shown = path.display().to_string();
    let file = Kubeconfig::read_from(path)
        .map_err(|e| ConnectError::Unreadable { path: shown.clone(), reason: error_chain(&e) })?;
    if let Some(name) = context
        && !file.contexts.iter().any(|c| c.name == name)
    {
        let known: Vec<&str> = file.contexts.iter().map(|c| c.name.as_str()).collect();
        let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
        return Err(ConnectError::NoContext { path: shown, context: name.to_string(), known });
    }
    let options = KubeConfigOptions { context: context.map(str::to_string), ..KubeConfigOptions::default() };
    let config = kube::Config::from_custom_kubeconfig(file, &options)
        .await
        .map_err(|e| ConnectError::Invalid { path: shown, reason: error_chain(&e) })?;
    kube::Client::try_from(config).map_err(|e| ConnectError::Client(e.to_string()))
}

/// A client from the environment: in a pod its service account, elsewhere the default kubeconfig.
pub async fn infer() -> Result<kube::Client, ConnectError> {
    let config = kube::Config::infer().await.map_err(|e| ConnectError::Infer(error_chain(&e)))?;
    kube::Client::try_from(config).map_err(|e| ConnectError::Client(e.to_string()))
}

/// An error and its causes on one line: kube's outer errors alone ("failed to parse kubeconfig") do not
/// say what was wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}
