//! Resolving a size: which shapes of the catalog its selector matches.

use std::collections::BTreeSet;

use model::{Catalog, Size};

use crate::{Outcome, Selector, SelectorError};

/// A size with the shapes it matched, and warnings worth showing whoever defined it.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub size: Size,
    pub warnings: Vec<String>,
}

/// Compiles `selector` and evaluates it against every shape of `catalog`.
///
/// Refused: a selector that does not compile or is too costly, one that gives a non-bool for any shape, and
/// one that fails on every shape. A failure on some shapes (a MIG-only attribute read on a whole GPU, say)
/// only means those shapes do not match; Kubernetes would fail allocation on such a device, so it is
/// reported as a warning with the fix.
///
/// Parsing, checking, evaluating and dropping the program all recurse over its syntax tree, so they run on
/// a thread of their own with a known stack ([`CEL_STACK`]), whatever thread calls this; the static bounds
/// ([`crate::MAX_NESTING`], [`crate::MAX_OPERATORS`]) keep the deepest accepted tree inside it (tested).
pub fn resolve_size(
    name: &str,
    description: Option<String>,
    selector: &str,
    catalog: &Catalog,
) -> Result<Resolved, SelectorError> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("cel".into())
            .stack_size(CEL_STACK)
            .spawn_scoped(scope, || resolve_here(name, description, selector, catalog))
            .map_err(|e| SelectorError::NoThread(e.to_string()))?;
        worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The stack CEL work runs on: address space reserved, touched only as deep as a tree goes.
pub const CEL_STACK: usize = 64 << 20;

fn resolve_here(
    name: &str,
    description: Option<String>,
    selector: &str,
    catalog: &Catalog,
) -> Result<Resolved, SelectorError> {
    let compiled = Selector::compile(selector)?;
    let mut shapes = BTreeSet::new();
    let mut failures = Vec::new();
    let all = catalog.shapes();
    for shape in &all {
        match compiled.evaluate(&shape.device) {
            Outcome::Match(true) => {
                shapes.insert(shape.key.clone());
            }
            Outcome::Match(false) => {}
            Outcome::NotBool(got) => return Err(SelectorError::NotBool { shape: shape.key.to_string(), got }),
            Outcome::Error(message) => failures.push((shape.key.to_string(), message)),
        }
    }
    if !all.is_empty() && failures.len() == all.len() {
        let (shape, message) = failures.swap_remove(0);
        return Err(SelectorError::FailsEverywhere { shape, message });
    }
    let mut warnings = Vec::new();
    if let Some((shape, message)) = failures.first() {
        warnings.push(format!(
            "the selector fails on {} shape(s), which therefore do not match, for example {shape}: {message}; \
             Kubernetes fails allocation on such a device, so guard the lookup with `has(...)` or a type check",
            failures.len()
        ));
    }
    if shapes.is_empty() {
        warnings.push("the selector matches no shape of the catalog".into());
    }
    let size = Size { name: name.into(), description, selector: selector.into(), shapes, allowance: None };
    Ok(Resolved { size, warnings })
}
