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

/// The calendar month that holds `t` in the time zone `tz`, as a window of instants: from midnight of its
/// first day to midnight of the next month's first day, in that zone (a zone is a value, looked up by the
/// caller; this reads no clock and no file).
pub fn month_of(t: Instant, tz: &jiff::tz::TimeZone) -> Option<Window> {
    let local = t.timestamp()?.to_zoned(tz.clone());
    let first = local.date().first_of_month();
    let start = first.to_zoned(tz.clone()).ok()?;
    let end = first.checked_add(jiff::Span::new().months(1)).ok()?.to_zoned(tz.clone()).ok()?;
    Window::new(Instant::from_timestamp(start.timestamp()), Instant::from_timestamp(end.timestamp())).ok()
}

/// The months (in `tz`) that `w` touches, each as a window, in order.
pub fn months_touching(w: Window, tz: &jiff::tz::TimeZone) -> Vec<Window> {
    let mut out = Vec::new();
    let mut at = w.start;
    while at < w.end {
        let Some(m) = month_of(at, tz) else { break };
        out.push(m);
        at = m.end;
    }
    out
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

    fn parse(s: &str) -> Instant {
        Instant::from_timestamp(s.parse().unwrap())
    }

    #[test]
    fn months_follow_the_time_zone() {
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        // 23:30 UTC on 31 March is already April in Berlin (UTC+2 in summer time).
        let m = month_of(parse("2026-03-31T23:30:00Z"), &berlin).unwrap();
        assert_eq!((m.start, m.end), (parse("2026-03-31T22:00:00Z"), parse("2026-04-30T22:00:00Z")));
        let utc = month_of(parse("2026-03-31T23:30:00Z"), &jiff::tz::TimeZone::UTC).unwrap();
        assert_eq!((utc.start, utc.end), (parse("2026-03-01T00:00:00Z"), parse("2026-04-01T00:00:00Z")));
        // March in Berlin starts in winter time (UTC+1) and is an hour short.
        let march = month_of(parse("2026-03-15T00:00:00Z"), &berlin).unwrap();
        assert_eq!(march.start, parse("2026-02-28T23:00:00Z"));
        assert_eq!(march.seconds(), 31 * 86_400 - 3_600);
        let w = Window::new(parse("2026-01-31T12:00:00Z"), parse("2026-03-01T00:00:00Z")).unwrap();
        assert_eq!(months_touching(w, &jiff::tz::TimeZone::UTC).len(), 2);
        assert_eq!(months_touching(w, &berlin).len(), 3);
    }
}
