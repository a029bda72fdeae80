//! Model fit: will a model serve on a shape under vLLM, and with which arguments.
//!
//! Pure: no IO, no clock. The facts of a model come from its `config.json` (the embedded [`ModelCatalog`] or
//! one read by the shell and given to [`parse_config`]); [`memory`] turns them into bytes of weights and KV
//! cache and vLLM's budget on a device; [`fit::evaluate`] decides one shape; [`answer`] all of a fleet's,
//! smallest first. The design note with every formula and constant is `docs/model-fit.md`.

pub mod answer;
pub mod candidates;
pub mod catalog;
pub mod config;
pub mod dtype;
pub mod fit;
pub mod memory;
pub mod spec;
#[cfg(test)]
mod testing;

pub use answer::{Answer, DEFAULT_CONTEXT, MAX_CONCURRENCY, MAX_CONTEXT, Question, RequestError, answer};
pub use candidates::candidates;
pub use catalog::{CatalogEntryError, CatalogModel, ModelCatalog};
pub use config::{ConfigError, MAX_CONFIG_BYTES, parse_config};
pub use dtype::{Dtype, KvDtype};
pub use fit::{Candidate, FitOption, Request, evaluate};
pub use memory::{Budget, GIB};
pub use spec::{Experts, ModelSpec};
