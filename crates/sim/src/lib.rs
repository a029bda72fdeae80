//! How much more of the fleet gpubook puts to use: a demand trace replayed through the real planner with a
//! simulated clock, under the planner's own packing and the baselines it is measured against, with an
//! upper bound from a linear-programming relaxation.
//!
//! Pure like the planner: no IO, no clock; the `gpubook simulate` command reads and writes the files.

mod bound;
mod generate;
mod policy;
mod replay;
mod trace;

pub use bound::{BOUND_MAX_REQUESTS, upper_bound};
pub use generate::{Knobs, generate, offered_load};
pub use policy::Policy;
pub use replay::{Report, SizeCount, replay};
pub use trace::{HEADER, Row, TraceError, parse, write};

use std::collections::BTreeMap;

/// The memory-slice units of every GPU of the fleet, summed per model: the capacity a trace is measured
/// against.
pub(crate) fn capacity(defs: &model::Definitions, catalog: &model::Catalog) -> BTreeMap<model::ModelKey, u32> {
    let mut out: BTreeMap<model::ModelKey, u32> = BTreeMap::new();
    for g in defs.fleet.gpus() {
        *out.entry(g.model.clone()).or_default() += catalog.get(g.model.as_str()).map_or(1, |m| m.units());
    }
    out
}
