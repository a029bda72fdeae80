//! A fake Kubernetes API server over real HTTP (axum on a port of its own), recording every call, and a
//! kubeconfig that points at it with a bearer token.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `(method, path and query, authorization, content type)` of each call.
pub(crate) type Calls = Arc<Mutex<Vec<[String; 4]>>>;

pub(crate) const EMPTY_LIST: &[u8] =
    br#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"1"},"items":[]}"#;

/// Serves `answer(method, path and query, body) -> (status, JSON body)` until the runtime is dropped.
pub(crate) fn fake_api_server(
    answer: impl Fn(&str, &str, &[u8]) -> (u16, Vec<u8>) + Clone + Send + Sync + 'static,
) -> (String, Calls, tokio::runtime::Runtime) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    let calls: Calls = Default::default();
    let seen = calls.clone();
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (seen, answer) = (seen.clone(), answer.clone());
        async move {
            let header = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            seen.lock().unwrap().push([
                method.to_string(),
                uri.to_string(),
                header("authorization"),
                header("content-type"),
            ]);
            let (status, body) = answer(method.as_str(), &uri.to_string(), &body);
            let status = StatusCode::from_u16(status).unwrap();
            (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body)
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, axum::Router::new().fallback(handler)).await.unwrap() });
    (url, calls, rt)
}

/// A kubeconfig in `dir` whose current context `c` reaches `url` with the token `test-token`.
pub(crate) fn kubeconfig(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: \"{url}\"}}}}]\n\
             users: [{{name: u, user: {{token: test-token}}}}]\n\
             contexts: [{{name: c, context: {{cluster: c, user: u}}}}]\ncurrent-context: c\n"
        ),
    )
    .unwrap();
    path
}

/// A Kubernetes `Status` error body.
pub(crate) fn status(code: u16, reason: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("{reason} (from the fake API server)"), "reason": reason, "code": code
    }))
    .unwrap()
}
