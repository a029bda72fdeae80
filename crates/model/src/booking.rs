//! Bookings: who asked for what, for when, and the devices they hold once placed.

use std::fmt;

use crate::catalog::ProfileIdx;
use crate::fleet::GpuId;
use crate::shape::ShapeKey;
use crate::time::{Instant, Window};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BookingId(pub u64);

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", self.0)
    }
}

impl BookingId {
    /// The name of the booking's Kubernetes objects (its ClusterQueue, LocalQueue, ResourceClaimTemplate and
    /// HardwareProfile): `gpubook-b17`.
    pub fn object_name(self) -> String {
        format!("gpubook-{self}")
    }
}

/// How a booking stands against quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Within the project's nominal quota: guaranteed, never preempted once confirmed.
    Reserved,
    /// Uses idle capacity, borrowing from the cohort if need be; a lender's reserved booking may reclaim it.
    Opportunistic,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Reserved => "reserved",
            Mode::Opportunistic => "opportunistic",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::Reserved, Mode::Opportunistic].into_iter().find(|m| m.as_str() == s)
    }
}

/// What a booking asks for: any shape of a size, or one exact shape.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Want {
    Size(String),
    Shape(ShapeKey),
}

impl fmt::Display for Want {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Want::Size(s) => f.write_str(s),
            Want::Shape(s) => write!(f, "{s}"),
        }
    }
}

/// A booking request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub project: String,
    pub owner: String,
    pub want: Want,
    pub count: u32,
    pub window: Window,
    pub mode: Mode,
    /// Defaults to the project's priority.
    pub priority: Option<i32>,
}

/// How a device is carved out of its GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    /// The whole GPU, MIG off.
    Whole,
    /// A MIG instance of this profile at this start unit.
    Mig { profile: ProfileIdx, start: u32 },
}

/// One device a booking holds: a GPU and the slot on it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Device {
    pub gpu: GpuId,
    pub shape: ShapeKey,
    pub slot: Slot,
}

/// Where a booking is in its life. Confirmed, active and completed follow from the clock; cancelled and
/// preempted are recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Confirmed,
    Active,
    Completed,
    Cancelled,
    /// `by` is the booking that reclaimed the capacity; `None` when a change of fleet or quotas did.
    Preempted {
        by: Option<BookingId>,
        reason: String,
    },
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Active => "active",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::Preempted { .. } => "preempted",
        }
    }
}

/// A placed booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    pub id: BookingId,
    pub request: Request,
    /// The effective priority (the request's, or the project's).
    pub priority: i32,
    pub devices: Vec<Device>,
    pub created: Instant,
    /// Cancelled or preempted; `None` while the booking holds its devices.
    pub ended: Option<Status>,
    /// When it was cancelled or preempted: Kubernetes objects drain from then on.
    pub ended_at: Option<Instant>,
}

impl Booking {
    pub fn window(&self) -> Window {
        self.request.window
    }

    /// Whether the booking holds its devices (it was neither cancelled nor preempted).
    pub fn holds(&self) -> bool {
        self.ended.is_none()
    }

    /// Whether it has started at `now`: then it never moves and is never re-placed.
    pub fn started(&self, now: Instant) -> bool {
        self.request.window.start <= now
    }

    /// When the booking stops holding its devices: its window's end, or when it was cancelled or preempted.
    pub fn released_at(&self) -> Instant {
        match (&self.ended, self.ended_at) {
            (None, _) => self.request.window.end,
            (Some(_), Some(at)) => at.min(self.request.window.end),
            // Ended before the time was recorded: treat it as never having started.
            (Some(_), None) => self.request.window.start.min(self.created),
        }
    }

    pub fn status(&self, now: Instant) -> Status {
        match &self.ended {
            Some(s) => s.clone(),
            None if now >= self.request.window.end => Status::Completed,
            None if now >= self.request.window.start => Status::Active,
            None => Status::Confirmed,
        }
    }
}
