//! Planner integration tests: scenario files, property tests of the invariants, and a brute-force oracle.

mod large;
mod one_by_one;
mod oracle;
mod props;
mod scenarios;

pub(crate) fn catalog() -> model::Catalog {
    model::Catalog::builtin()
}
