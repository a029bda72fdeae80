//! gpubook's decisions: calendar admission, MIG placement over time, quotas, preemption and availability.
//!
//! Pure and deterministic: no IO, `now` is a parameter, ordered maps only. The [`Planner`] holds the fleet's
//! calendar and quota usage; [`Planner::admit`] answers a request with a [`Decision`] without changing
//! anything, [`Planner::book`] commits what `admit` would decide.

mod admit;
mod availability;
mod calendar;
mod cancel;
mod check;
mod hosts;
mod index;
mod plan;
mod preempt;
mod quota;
mod repack;
pub mod scenario;
mod state;
mod steps;
mod verdict;

pub use availability::MAX_COUNTED;
pub use cancel::CancelError;
pub use check::InvariantError;
pub use plan::LayoutEpoch;
pub use state::{Config, Packing, Planner, RestoreError};
pub use verdict::{Decision, Move, Reason, ReasonCode, UnknownReasonCode, Verdict};
