//! The planner's answers: a verdict with reasons, never an error. Reason codes are stable; the API, CLI and
//! console show the same codes and sentences.

use std::fmt;

use model::{BookingId, Device, Instant};

/// Why something does not fit (or fits only in a certain way): a stable code and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
}

impl Reason {
    pub fn new(code: &'static str, message: impl Into<String>) -> Reason {
        Reason { code, message: message.into() }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The kind of answer, best first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Fits within the project's nominal quota.
    Fits,
    /// Fits, borrowing idle capacity of the cohort beyond the project's nominal quota.
    FitsByBorrowing,
    /// Fits once these opportunistic bookings are preempted.
    FitsAfterPreempting(Vec<BookingId>),
    /// Does not fit in this window; the same duration first fits from this instant.
    NotBefore(Instant),
    /// Does not fit, and no later window in the horizon would do.
    Never,
}

impl Verdict {
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::FitsByBorrowing => "fits-by-borrowing",
            Verdict::FitsAfterPreempting(_) => "fits-after-preempting",
            Verdict::NotBefore(_) => "not-before",
            Verdict::Never => "never",
        }
    }
}

/// A not-yet-started booking's device moved to make room (late binding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub booking: BookingId,
    pub device: u16,
    pub to: Device,
}

/// The full answer to a request: the verdict, its reasons, and what committing it would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// The devices the booking would hold, when it fits.
    pub devices: Vec<Device>,
    pub moves: Vec<Move>,
    /// Per-gpu layout changes the placement causes.
    pub layout_changes: u32,
}

impl Decision {
    pub fn fits(&self) -> bool {
        matches!(self.verdict, Verdict::Fits | Verdict::FitsByBorrowing | Verdict::FitsAfterPreempting(_))
    }

    pub(crate) fn refused(verdict: Verdict, reasons: Vec<Reason>) -> Decision {
        Decision { verdict, reasons, devices: Vec::new(), moves: Vec::new(), layout_changes: 0 }
    }
}
