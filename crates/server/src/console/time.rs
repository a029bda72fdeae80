//! The viewer's time zone (the browser tells it in the `tz` cookie; UTC until it does) and how the console
//! writes and reads instants in it.

use axum::http::HeaderMap;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use model::Instant;

#[derive(Clone, Debug)]
pub(crate) struct Tz {
    pub(crate) name: String,
    zone: TimeZone,
}

impl Tz {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Tz {
        let name = super::http::cookie(headers, "tz").map(percent_decode);
        name.and_then(|n| TimeZone::get(&n).ok().map(|zone| Tz { name: n, zone }))
            .unwrap_or_else(|| Tz { name: "UTC".into(), zone: TimeZone::UTC })
    }

    pub(crate) fn zoned(&self, t: Instant) -> Zoned {
        Timestamp::from_second(t.0).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned(self.zone.clone())
    }

    /// Local midnight starting `date`.
    pub(crate) fn midnight(&self, date: Date) -> Instant {
        let z = date.to_zoned(self.zone.clone()).unwrap_or_else(|_| Timestamp::UNIX_EPOCH.to_zoned(TimeZone::UTC));
        Instant(z.timestamp().as_second())
    }

    pub(crate) fn today(&self, now: Instant) -> Date {
        self.zoned(now).date()
    }

    /// `Tue 24 Nov 09:00`.
    pub(crate) fn show(&self, t: Instant) -> String {
        self.zoned(t).strftime("%a %-d %b %H:%M").to_string()
    }

    /// `09:00`.
    pub(crate) fn hour(&self, t: Instant) -> String {
        self.zoned(t).strftime("%H:%M").to_string()
    }

    /// The value of a `datetime-local` input: `2026-11-24T09:00`.
    pub(crate) fn input(&self, t: Instant) -> String {
        self.zoned(t).strftime("%Y-%m-%dT%H:%M").to_string()
    }

    /// Reads a `datetime-local` value in this zone as RFC 3339 for the API; the error names the field.
    pub(crate) fn parse_input(&self, field: &str, s: &str) -> Result<String, String> {
        let dt: DateTime = s.trim().parse().map_err(|_| format!("{field}: {s:?} is not a date and time"))?;
        let z = dt.to_zoned(self.zone.clone()).map_err(|e| format!("{field}: {e}"))?;
        Ok(z.timestamp().to_string())
    }
}

/// `Etc%2FGMT%2B5` → `Etc/GMT+5`; a malformed escape is kept as it is (and then names no zone).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex =
            b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// "3 h 15 min", for what is left of an active booking.
pub(crate) fn span(seconds: i64) -> String {
    let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_local_times() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=b; tz=Europe%2FBerlin".parse().unwrap());
        let tz = Tz::from_headers(&h);
        assert_eq!(tz.name, "Europe/Berlin");
        // 2026-11-23T08:00Z is 09:00 in Berlin.
        let t = Instant(1_795_420_800);
        assert_eq!(tz.input(t), "2026-11-23T09:00");
        assert_eq!(tz.parse_input("start", "2026-11-23T09:00").unwrap(), "2026-11-23T08:00:00Z");
        assert!(tz.parse_input("start", "tomorrow").unwrap_err().starts_with("start: "));
        assert_eq!(Tz::from_headers(&HeaderMap::new()).name, "UTC");
        h.insert("cookie", "tz=Etc%2FGMT%2B5".parse().unwrap());
        assert_eq!(Tz::from_headers(&h).name, "Etc/GMT+5");
        h.insert("cookie", "tz=Nowhere%2FAtAll%zz".parse().unwrap());
        assert_eq!(Tz::from_headers(&h).name, "UTC", "an unknown zone reads as UTC");
        assert_eq!(span(3 * 3600 + 15 * 60), "3 h 15 min");
    }
}
