//! The planner's answers: a verdict with reasons, never an error. Reason codes are stable; the API, CLI and
//! console show the same codes and sentences.

use std::fmt;

use model::{BookingId, Device, Instant};

/// Why something does not fit (or fits only in a certain way): a stable code and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Reason {
        Reason { code, message: message.into() }
    }
}

/// Every reason the planner gives. The string forms ([`ReasonCode::as_str`]) are a stable contract: the API,
/// CLI and console show them, and clients branch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonCode {
    /// The request asks for no device.
    BadCount,
    /// An availability step that is not a multiple of the quantum.
    BadStep,
    /// It fits by borrowing idle capacity of the cohort (said of a fit, not a refusal).
    Borrowing,
    /// The cohort has no idle capacity left to borrow.
    CohortExhausted,
    /// The GPU has no compute slices left for the profile.
    ComputeLimit,
    /// It would borrow beyond the project's borrowing limit.
    ExceedsBorrowingLimit,
    /// A reserved booking beyond the project's nominal quota.
    ExceedsNominal,
    /// The window starts before now.
    InThePast,
    /// The GPU already has the profile's maximum count of instances.
    InstanceLimit,
    /// A per-gpu GPU cannot change its layout then: it is not idle for the gap.
    LayoutLocked,
    /// The window does not start and end on the quantum.
    MisalignedWindow,
    /// No GPU has the shape free for the whole window.
    NoCapacity,
    /// The GPU has no MIG.
    NoMig,
    /// The project has no quota for the GPU model.
    NoQuota,
    /// No GPU of the fleet offers what is asked.
    NoSuchGpu,
    /// It fits after preempting these opportunistic bookings (said of a fit).
    Preempts,
    /// The project may not book this size or shape.
    SizeNotAllowed,
    /// A static GPU's fixed layout has no such instance.
    StaticLayout,
    /// The window starts further ahead than the project or the server allows.
    TooFarAhead,
    /// The window is longer than the project or the server allows.
    TooLong,
    /// More devices than the project books at once.
    TooManyDevices,
    /// The slot's memory slices are held then.
    UnitsBusy,
    /// No such project.
    UnknownProject,
    /// No such shape in the catalog.
    UnknownShape,
    /// No such size.
    UnknownSize,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 25] = [
        ReasonCode::BadCount,
        ReasonCode::BadStep,
        ReasonCode::Borrowing,
        ReasonCode::CohortExhausted,
        ReasonCode::ComputeLimit,
        ReasonCode::ExceedsBorrowingLimit,
        ReasonCode::ExceedsNominal,
        ReasonCode::InThePast,
        ReasonCode::InstanceLimit,
        ReasonCode::LayoutLocked,
        ReasonCode::MisalignedWindow,
        ReasonCode::NoCapacity,
        ReasonCode::NoMig,
        ReasonCode::NoQuota,
        ReasonCode::NoSuchGpu,
        ReasonCode::Preempts,
        ReasonCode::SizeNotAllowed,
        ReasonCode::StaticLayout,
        ReasonCode::TooFarAhead,
        ReasonCode::TooLong,
        ReasonCode::TooManyDevices,
        ReasonCode::UnitsBusy,
        ReasonCode::UnknownProject,
        ReasonCode::UnknownShape,
        ReasonCode::UnknownSize,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::BadCount => "bad-count",
            ReasonCode::BadStep => "bad-step",
            ReasonCode::Borrowing => "borrowing",
            ReasonCode::CohortExhausted => "cohort-exhausted",
            ReasonCode::ComputeLimit => "compute-limit",
            ReasonCode::ExceedsBorrowingLimit => "exceeds-borrowing-limit",
            ReasonCode::ExceedsNominal => "exceeds-nominal",
            ReasonCode::InThePast => "in-the-past",
            ReasonCode::InstanceLimit => "instance-limit",
            ReasonCode::LayoutLocked => "layout-locked",
            ReasonCode::MisalignedWindow => "misaligned-window",
            ReasonCode::NoCapacity => "no-capacity",
            ReasonCode::NoMig => "no-mig",
            ReasonCode::NoQuota => "no-quota",
            ReasonCode::NoSuchGpu => "no-such-gpu",
            ReasonCode::Preempts => "preempts",
            ReasonCode::SizeNotAllowed => "size-not-allowed",
            ReasonCode::StaticLayout => "static-layout",
            ReasonCode::TooFarAhead => "too-far-ahead",
            ReasonCode::TooLong => "too-long",
            ReasonCode::TooManyDevices => "too-many-devices",
            ReasonCode::UnitsBusy => "units-busy",
            ReasonCode::UnknownProject => "unknown-project",
            ReasonCode::UnknownShape => "unknown-shape",
            ReasonCode::UnknownSize => "unknown-size",
        }
    }

    /// Whether the request itself is malformed (the caller must change it), rather than not honourable now.
    pub fn is_input_error(self) -> bool {
        matches!(
            self,
            ReasonCode::BadCount
                | ReasonCode::BadStep
                | ReasonCode::InThePast
                | ReasonCode::MisalignedWindow
                | ReasonCode::UnknownProject
                | ReasonCode::UnknownShape
                | ReasonCode::UnknownSize
        )
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason code's string form that names no [`ReasonCode`] (a stored record of another version, say).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no reason code {0:?}")]
pub struct UnknownReasonCode(pub String);

impl std::str::FromStr for ReasonCode {
    type Err = UnknownReasonCode;

    fn from_str(s: &str) -> Result<ReasonCode, UnknownReasonCode> {
        ReasonCode::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownReasonCode(s.to_string()))
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

#[cfg(test)]
#[test]
fn reason_codes_round_trip_and_are_unique() {
    let mut seen = std::collections::BTreeSet::new();
    for c in ReasonCode::ALL {
        assert!(seen.insert(c.as_str()), "{c} twice");
        assert_eq!(c.as_str().parse::<ReasonCode>(), Ok(c));
    }
    assert!(ReasonCode::InThePast.is_input_error() && !ReasonCode::NoCapacity.is_input_error());
}
