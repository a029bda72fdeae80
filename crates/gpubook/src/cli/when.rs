//! Times as people type and read them, in their own time zone: `now`, `today 14:00`, `tomorrow 09:00`,
//! `2026-11-23 09:00`, or an RFC 3339 instant. Shown back in the local zone.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// Booking windows align to this many seconds (the server's default quantum).
const QUANTUM_S: i64 = 900;

/// Parses `s` relative to `now` in `now`'s time zone. `now` rounds up to the next quarter hour, since a
/// window may not start in the past.
pub(crate) fn parse(s: &str, now: &Zoned) -> Result<Timestamp, String> {
    let s = s.trim();
    let bad = || {
        format!(
            "{s:?} is not a time such as now, 'today 14:00', 'tomorrow 09:00', '2026-11-23 09:00' or 2026-11-23T09:00:00Z"
        )
    };
    if s == "now" {
        let t = now.timestamp().as_second();
        let up = (t + QUANTUM_S - 1).div_euclid(QUANTUM_S) * QUANTUM_S;
        return Timestamp::from_second(up).map_err(|e| e.to_string());
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let tz = now.time_zone();
    let (day, rest) = match s.split_once(' ') {
        Some(("today", rest)) => (now.date(), rest),
        Some(("tomorrow", rest)) => (now.date().checked_add(1.day()).map_err(|e| e.to_string())?, rest),
        _ => {
            let dt: DateTime = s.replace(' ', "T").parse().map_err(|_| bad())?;
            return local(dt, tz);
        }
    };
    let time: Time = rest.trim().parse().map_err(|_| bad())?;
    local(Date::to_datetime(day, time), tz)
}

fn local(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, String> {
    // Inside a DST gap or fold, the compatible choice (as calendars make it).
    tz.to_ambiguous_zoned(dt).compatible().map(|z| z.timestamp()).map_err(|e| e.to_string())
}

/// The local zone: `TZ` or the system's.
pub(crate) fn zone() -> TimeZone {
    TimeZone::system()
}

/// An RFC 3339 instant from the server, in the local zone: `Mon 2026-11-23 09:00 CET`.
pub(crate) fn show(rfc3339: &str) -> String {
    match rfc3339.parse::<Timestamp>() {
        Ok(t) => t.to_zoned(zone()).strftime("%a %Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Zoned {
        s.parse().unwrap()
    }

    #[test]
    fn local_times_parse_in_the_viewers_zone() {
        let now = at("2026-11-22T10:07:00+01:00[Europe/Paris]");
        assert_eq!(parse("tomorrow 09:00", &now).unwrap().to_string(), "2026-11-23T08:00:00Z");
        assert_eq!(parse("today 14:30", &now).unwrap().to_string(), "2026-11-22T13:30:00Z");
        assert_eq!(parse("2026-12-01 09:00", &now).unwrap().to_string(), "2026-12-01T08:00:00Z");
        assert_eq!(parse("2026-12-01T09:00:00Z", &now).unwrap().to_string(), "2026-12-01T09:00:00Z");
        assert_eq!(parse("now", &now).unwrap().to_string(), "2026-11-22T09:15:00Z");
    }

    #[test]
    fn summer_time_is_respected() {
        let now = at("2026-07-01T10:00:00+02:00[Europe/Paris]");
        assert_eq!(parse("tomorrow 09:00", &now).unwrap().to_string(), "2026-07-02T07:00:00Z");
    }

    #[test]
    fn nonsense_names_the_forms_accepted() {
        let now = at("2026-11-22T10:07:00+01:00[Europe/Paris]");
        for bad in ["yesterday 9", "tomorrow 25:00", "soon", ""] {
            let e = parse(bad, &now).unwrap_err();
            assert!(e.contains("'tomorrow 09:00'"), "{bad}: {e}");
        }
    }
}
