//! Instants and half-open windows `[start, end)`, in whole seconds since the Unix epoch (UTC).
//!
//! The core keeps time as plain integers so it never reads a clock and compares cheaply; the edges convert
//! to and from RFC 3339 with `jiff`.

use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i64);

impl Instant {
    pub const MIN: Instant = Instant(i64::MIN);
    pub const MAX: Instant = Instant(i64::MAX);

    pub fn plus(self, secs: i64) -> Instant {
        Instant(self.0.saturating_add(secs))
    }

    /// The latest multiple of `quantum` seconds at or before this instant.
    pub fn floor(self, quantum: i64) -> Instant {
        Instant(self.0.div_euclid(quantum) * quantum)
    }

    /// The earliest multiple of `quantum` seconds at or after this instant.
    pub fn ceil(self, quantum: i64) -> Instant {
        let f = self.floor(quantum);
        if f == self { f } else { f.plus(quantum) }
    }
}

impl Instant {
    /// The instant as a `jiff` timestamp, for the edges that format and parse RFC 3339.
    pub fn timestamp(self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_second(self.0).ok()
    }

    pub fn from_timestamp(t: jiff::Timestamp) -> Instant {
        Instant(t.as_second())
    }
}

/// RFC 3339 in UTC, such as `2026-01-05T09:00:00Z`.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.timestamp() {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "@{}", self.0),
        }
    }
}

/// A half-open time window `[start, end)` with `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    /// A window, or why not: the end must come after the start.
    pub fn new(start: Instant, end: Instant) -> Result<Window, String> {
        if start < end { Ok(Window { start, end }) } else { Err("the end must come after the start".into()) }
    }

    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, t: Instant) -> bool {
        self.start <= t && t < self.end
    }

    pub fn seconds(&self) -> i64 {
        self.end.0 - self.start.0
    }

    /// The same duration starting at `start`.
    pub fn moved_to(&self, start: Instant) -> Window {
        Window { start, end: start.plus(self.seconds()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_half_open() {
        let a = Window::new(Instant(0), Instant(10)).unwrap();
        let b = Window::new(Instant(10), Instant(20)).unwrap();
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        assert!(a.overlaps(&Window::new(Instant(9), Instant(11)).unwrap()));
        assert!(a.contains(Instant(0)) && !a.contains(Instant(10)));
        assert!(Window::new(Instant(5), Instant(5)).is_err());
        assert_eq!(Instant(901).floor(900), Instant(900));
        assert_eq!(Instant(901).ceil(900), Instant(1800));
        assert_eq!(Instant(-1).floor(900), Instant(-900));
        assert_eq!(a.moved_to(Instant(100)).end, Instant(110));
        assert_eq!(Instant(1_767_603_600).to_string(), "2026-01-05T09:00:00Z");
    }
}
