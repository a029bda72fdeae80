//! Test fixtures: catalog models by id.

use crate::catalog::ModelCatalog;
use crate::spec::ModelSpec;

pub(crate) fn spec(id: &str) -> ModelSpec {
    ModelCatalog::builtin().get(id).unwrap_or_else(|| panic!("{id} is in the catalog")).spec.clone()
}

pub(crate) fn llama_3_1_8b() -> ModelSpec {
    spec("meta-llama/Llama-3.1-8B-Instruct")
}
