//! Why the engine did not do what it was asked: domain errors, typed so that callers branch on the variant.
//! Which HTTP status and error body each becomes is decided in one place, `crate::error`.

use api::rest::Violation;
use model::{BookingId, Instant};
use planner::{CancelError, Reason, Verdict};

/// An engine write's or read's refusal.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// Bad input: the field and the reason.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The caller's token does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// A member or project admin asked for a priority above its project's.
    #[error("priority: {asked} is above project {project}'s priority {allowed}; only an admin books above it")]
    PriorityAboveProject { asked: i32, project: String, allowed: i32 },
    /// No such booking, or one the caller may not see (alike, so ids leak nothing).
    #[error("no booking {0}")]
    NoBooking(BookingId),
    /// No such token.
    #[error("no token {0}")]
    NoToken(String),
    /// The `Idempotency-Key` answered a different request before.
    #[error("this Idempotency-Key was used for a different request")]
    KeyReused,
    /// The planner refused the booking.
    #[error("the booking cannot be made: {}", .0.first_message())]
    Refused(Refusal),
    /// The booking is over (completed, cancelled, preempted).
    #[error(transparent)]
    NotCancellable(CancelError),
    /// Definitions that would break confirmed bookings, applied without force.
    #[error("the change would break {} confirmed booking(s); fix it or apply with force", .0.len())]
    BreaksBookings(Vec<Violation>),
    /// Revoking it would leave no admin token.
    #[error(
        "token {0} is the last admin token: create another admin token first \
         (offline, with the server stopped: gpubook admin token --data-dir DIR)"
    )]
    LastAdminToken(String),
    /// The engine cannot take or commit writes now.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Why the engine cannot answer now; a retry may succeed (except when fenced).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The last commit or reload failed; the next write tries again.
    #[error("the database cannot take writes now ({0}); retry")]
    Failing(String),
    /// Another server is the writer now.
    #[error("this server no longer writes: {0}")]
    Fenced(String),
    /// This request's commit failed: nothing of its batch is stored.
    #[error("the database did not accept the change; retry")]
    CommitFailed,
}

/// A booking the planner would not make: its verdict and reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

impl Refusal {
    /// Whether the request itself is malformed (a window in the past, an unknown size), rather than not
    /// honourable now.
    pub fn is_input_error(&self) -> bool {
        self.reasons.iter().any(|r| r.code.is_input_error())
    }

    /// The instant from which the same duration fits, when there is one.
    pub fn not_before(&self) -> Option<Instant> {
        match self.verdict {
            Verdict::NotBefore(t) => Some(t),
            _ => None,
        }
    }

    fn first_message(&self) -> String {
        self.reasons.first().map_or_else(|| "it does not fit".to_string(), |r| r.message.clone())
    }
}

impl From<api::rest::FieldError> for Error {
    fn from(e: api::rest::FieldError) -> Error {
        Error::Invalid { field: e.field, reason: e.reason }
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl std::fmt::Display) -> Error {
        Error::Invalid { field: field.into(), reason: reason.to_string() }
    }
}
