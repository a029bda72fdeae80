//! Reading the cluster (never writing it): every object of a kind, page by page, as JSON for the pure
//! parsers in [`crate::discover`]. Each kind is listed on its own, so one the API server refuses (a
//! ResourceSlice API that is not served, RBAC that does not allow it) does not stop the others.

use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

/// A kind gpubook reads: `(group, version, kind, plural)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

pub const NODES: Resource = Resource { group: "", version: "v1", kind: "Node", plural: "nodes" };
pub const RESOURCE_SLICES: Resource =
    Resource { group: "resource.k8s.io", version: "v1", kind: "ResourceSlice", plural: "resourceslices" };

/// Objects asked for per page.
const PAGE: u32 = 500;
/// At most this many objects of one kind are read; a cluster with more is refused rather than held in memory.
pub const MAX_OBJECTS: usize = 100_000;

/// What listing the fleet's kinds gave: each kind's objects, or why they could not be listed.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    pub nodes: Vec<Value>,
    pub slices: Vec<Value>,
    /// One line per kind that could not be listed (`list ResourceSlice: …`).
    pub errors: Vec<String>,
}

/// Lists Nodes and ResourceSlices.
pub async fn fleet(client: &kube::Client) -> Fleet {
    let mut out = Fleet::default();
    for (resource, into) in [(NODES, &mut out.nodes), (RESOURCE_SLICES, &mut out.slices)] {
        match list(client, resource).await {
            Ok(items) => *into = items,
            Err(e) => out.errors.push(format!("list {}: {e}", resource.kind)),
        }
    }
    out
}

/// Every object of a kind, cluster-wide, following `continue` tokens.
pub async fn list(client: &kube::Client, r: Resource) -> Result<Vec<Value>, ListError> {
    let gvk = GroupVersionKind::gvk(r.group, r.version, r.kind);
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ApiResource::from_gvk_with_plural(&gvk, r.plural));
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(PAGE);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = api.list(&params).await.map_err(ListError::from)?;
        for o in page.items {
            items.push(serde_json::to_value(o).map_err(|e| ListError::Decode(e.to_string()))?);
        }
        if items.len() > MAX_OBJECTS {
            return Err(ListError::TooMany);
        }
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(items),
        }
    }
}

/// Why a kind could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("the API server answered {code} ({reason}): {message}")]
    Refused { code: u16, reason: String, message: String },
    #[error("the API server could not be reached: {0}")]
    Unreachable(String),
    #[error("more than {MAX_OBJECTS} objects")]
    TooMany,
    #[error("an object could not be read: {0}")]
    Decode(String),
}

impl From<kube::Error> for ListError {
    fn from(e: kube::Error) -> ListError {
        match e {
            kube::Error::Api(s) => ListError::Refused { code: s.code, reason: s.reason, message: s.message },
            other => ListError::Unreachable(other.to_string()),
        }
    }
}
