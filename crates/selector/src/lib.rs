//! DRA CEL device selectors, evaluated over gpubook shapes the way a Kubernetes DeviceClass selector is
//! evaluated over devices.
//!
//! The interface is small on purpose ([`Selector::compile`], [`Selector::matches`], [`resolve_size`]) so the
//! CEL engine behind it can change. Today it is `kube-cel` (the Kubernetes CEL libraries on cel-rust), with
//! these differences from Kubernetes, each tested in `tests.rs`:
//! - `cel.bind` is refused when the selector is defined (cel-rust lacks it);
//! - there is no type checker, so a non-boolean result is found when evaluated against the catalog;
//! - the cost limit is a static upper bound computed here, not cel-go's estimator;
//! - `size()` of a string counts bytes, not code points.

mod cost;
mod device;
mod resolve;

use kube_cel::cel;
use model::DeviceView;

pub use resolve::{CEL_STACK, Resolved, resolve_size};

/// Kubernetes' limit on a selector expression's length (`CELSelectorExpressionMaxLength`, 10 Ki).
pub const MAX_LENGTH: usize = 10 * 1024;
/// Kubernetes' limit on a selector's cost (`CELSelectorExpressionMaxCost`).
pub const MAX_COST: u64 = 1_000_000;
/// Deepest bracket nesting accepted, well under what the recursive parser handles.
pub const MAX_NESTING: usize = 64;
/// Most operators and member selections (`.`, `[`, `!`, `-`, `&&`, `==`, … each character counted) accepted.
/// Each can add a level to the syntax tree (`device.a.a.a…`, `!!!…`, `1+1+1…` nest without brackets), and
/// parsing, checking, evaluating and dropping the tree all recurse over it: with this bound and
/// [`MAX_NESTING`] the deepest tree parses and evaluates within 1 MiB of stack (tested), far inside any
/// thread's. A real selector uses a few dozen.
pub const MAX_OPERATORS: usize = 256;

/// Why a selector was refused when defined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("the expression is {len} bytes long, at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error("the expression nests brackets {depth} deep, at most {max} are allowed")]
    TooDeep { depth: usize, max: usize },
    #[error("the expression has {count} operator and member-selection characters, at most {max} are allowed")]
    TooManyOperators { count: usize, max: usize },
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("{what} is not supported by gpubook's CEL evaluator: {hint}")]
    Unsupported { what: String, hint: String },
    #[error("the expression may cost up to {estimate} steps per device, at most {max} are allowed")]
    TooCostly { estimate: u64, max: u64 },
    #[error("no thread to evaluate the expression on: {0}")]
    NoThread(String),
    #[error("the expression must evaluate to a bool, but gives {got} for {shape}")]
    NotBool { shape: String, got: String },
    #[error("the expression fails on every shape of the catalog, for example {shape}: {message}")]
    FailsEverywhere { shape: String, message: String },
}

/// A compiled selector.
#[derive(Debug)]
pub struct Selector {
    source: String,
    program: cel::Program,
    /// Attribute and capacity domains named in the expression, such as `gpu.nvidia.com`.
    domains: std::collections::BTreeSet<String>,
}

/// The outcome of evaluating a selector against one device.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Match(bool),
    /// The expression evaluated to something other than a bool.
    NotBool(String),
    /// Evaluation failed, as it does in Kubernetes for a missing attribute.
    Error(String),
}

impl Selector {
    /// Parses and bounds a selector; evaluation is separate. Both recurse over the syntax tree: call them on a
    /// thread with a known stack, as [`resolve_size`] does.
    pub fn compile(source: &str) -> Result<Selector, SelectorError> {
        if source.len() > MAX_LENGTH {
            return Err(SelectorError::TooLong { len: source.len(), max: MAX_LENGTH });
        }
        let depth = cost::nesting(source);
        if depth > MAX_NESTING {
            return Err(SelectorError::TooDeep { depth, max: MAX_NESTING });
        }
        let count = cost::operators(source);
        if count > MAX_OPERATORS {
            return Err(SelectorError::TooManyOperators { count, max: MAX_OPERATORS });
        }
        let program = cel::Program::compile(source).map_err(|e| syntax_error(source, &e))?;
        cost::check_supported(program.expression())?;
        let estimate = cost::estimate(program.expression(), source.len() as u64);
        if estimate > MAX_COST {
            return Err(SelectorError::TooCostly { estimate, max: MAX_COST });
        }
        let domains = cost::domains(program.expression());
        Ok(Selector { source: source.to_string(), program, domains })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the selector against one device.
    pub fn evaluate(&self, device: &DeviceView) -> Outcome {
        let mut ctx = device::context();
        ctx.add_variable_from_value("device", device::value(device, &self.domains));
        match self.program.execute(&ctx) {
            Ok(cel::Value::Bool(b)) => Outcome::Match(b),
            Ok(other) => Outcome::NotBool(format!("{:?}", other.type_of())),
            Err(e) => Outcome::Error(e.to_string()),
        }
    }

    /// Whether the device matches; an evaluation error or a non-bool result is no match.
    pub fn matches(&self, device: &DeviceView) -> bool {
        self.evaluate(device) == Outcome::Match(true)
    }
}

fn syntax_error(source: &str, errors: &cel::ParseErrors) -> SelectorError {
    let first = errors.errors.first();
    let (line, column) = first.map_or((1, 0), |e| (e.pos.0.max(1) as usize, e.pos.1.max(0) as usize));
    let message = first.map_or_else(|| "cannot parse".to_string(), |e| e.msg.clone());
    // cel-rust reports the optional-index syntax as a plain parse error; say what it is.
    let message = if source.contains("[?") || source.contains(".?") {
        format!("{message} (optional field and index syntax such as `[?'key']` is not supported)")
    } else {
        message
    };
    SelectorError::Syntax { line, column, message }
}

#[cfg(test)]
mod tests;
