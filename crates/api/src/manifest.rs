//! Declarative manifests: YAML documents with `kind:` Node, Size, Cohort, Project or PriceList, Kubernetes-like.
//!
//! Parsing ([`parse_manifests`]) checks each document's shape and rejects unknown fields; resolving
//! ([`resolve`]) checks the documents against the catalog and each other and builds [`Definitions`].
//! Every error names the file, the document, the field and the reason.
//!
//! Text from outside is bounded before it is parsed (see [`limits`]): flow collections nest at most
//! [`MAX_FLOW_DEPTH`] deep and one text holds at most [`MAX_DOCUMENTS`] documents.

mod docs;
pub mod limits;
pub mod price;
mod resolve;
mod write;

use std::fmt;

pub use docs::{
    AllowanceDoc, CohortDoc, DiscountDoc, Document, GpuGroupDoc, LayoutDoc, NodeDoc, PriceListDoc, ProjectDoc,
    QuantityDoc, RateDoc, SizeDoc,
};
pub use limits::{MAX_DOCUMENTS, MAX_FLOW_DEPTH};
pub use resolve::resolve;

/// Accepted `apiVersion`; it may be left out.
pub const API_VERSION: &str = "gpubook/v1";

/// A refused manifest: where, what and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub file: String,
    /// 1-based position of the document in its file.
    pub document: usize,
    /// `Node node-a`, when the document got that far.
    pub object: Option<String>,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.file, self.document)?;
        if let Some(o) = &self.object {
            write!(f, " ({o})")?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.reason)
        } else {
            write!(f, ": {}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for ManifestError {}

/// A parsed document with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub file: String,
    pub document: usize,
    pub doc: Document,
}

impl Located {
    pub(crate) fn error(&self, field: impl Into<String>, reason: impl Into<String>) -> ManifestError {
        ManifestError {
            file: self.file.clone(),
            document: self.document,
            object: Some(format!("{} {}", self.doc.kind(), self.doc.name())),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Parses every document of a YAML file; empty documents are skipped. Text beyond the [`limits`] is refused
/// before parsing, in time linear in its length.
pub fn parse_manifests(file: &str, text: &str) -> Result<Vec<Located>, ManifestError> {
    limits::prescan(text).map_err(|r| ManifestError {
        file: file.into(),
        document: r.document,
        object: None,
        field: String::new(),
        reason: r.reason,
    })?;
    let mut out = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let document = i + 1;
        let err =
            |field: String, reason: String| ManifestError { file: file.into(), document, object: None, field, reason };
        let value: serde_yaml::Value =
            serde::Deserialize::deserialize(de).map_err(|e| err(String::new(), format!("not valid YAML: {e}")))?;
        if value.is_null() {
            continue;
        }
        let doc = docs::parse_document(value).map_err(|(field, reason)| err(field, reason))?;
        out.push(Located { file: file.into(), document, doc });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
