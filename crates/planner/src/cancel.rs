//! Why a booking cannot be released: typed, so that a caller tells "no such booking" from "already over".

use model::BookingId;

/// Why [`crate::Planner::cancel`] (or a preemption's release) refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    /// The calendar has no booking with this id.
    #[error("no booking {0}")]
    NoBooking(BookingId),
    /// The booking's window is over.
    #[error("booking {0} has completed")]
    Completed(BookingId),
    /// The booking was already cancelled or preempted.
    #[error("booking {id} is already {status}")]
    Ended { id: BookingId, status: &'static str },
}
