//! The demo fleet, sizes, cohorts and projects, embedded so `--demo` works anywhere.

use model::{Catalog, Definitions};

/// The demo manifests (`demo/demo.yaml`).
pub const MANIFEST: &str = include_str!("../demo/demo.yaml");

/// The demo definitions, checked against `catalog`.
pub fn definitions(catalog: &Catalog) -> Result<Definitions, crate::ManifestError> {
    let docs = crate::parse_manifests("demo.yaml", MANIFEST)?;
    crate::resolve(&docs, catalog).map(|(defs, _)| defs)
}
