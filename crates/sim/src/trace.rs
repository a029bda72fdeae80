//! The trace format: CSV with the header `submit,start,end,project,size,count` (RFC 3339 times; `size` is a
//! size name or a shape `MODEL/PROFILE` or `MODEL/full`). Blank lines and lines starting with `#` are
//! skipped. Errors name the line and the field.

use model::{Instant, ShapeKey, Want, Window};

pub const HEADER: &str = "submit,start,end,project,size,count";

/// One request of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The line it was read from (1-based), 0 for generated rows.
    pub line: usize,
    /// When the request is made: the simulated clock when it is decided.
    pub submit: Instant,
    pub window: Window,
    pub project: String,
    pub want: Want,
    pub count: u32,
}

/// A trace row that cannot be read or replayed: where, which field, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub line: usize,
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

impl std::error::Error for TraceError {}

fn err(line: usize, field: &str, reason: impl Into<String>) -> TraceError {
    TraceError { line, field: field.into(), reason: reason.into() }
}

fn instant(line: usize, field: &str, s: &str) -> Result<Instant, TraceError> {
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| Instant(t.as_second()))
        .map_err(|e| err(line, field, format!("{:?} is not an RFC 3339 time ({e})", s.trim())))
}

/// Reads a trace.
pub fn parse(text: &str) -> Result<Vec<Row>, TraceError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let header = lines.by_ref().find(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    match header {
        Some((_, h)) if h.split(',').map(str::trim).eq(HEADER.split(',')) => {}
        Some((n, h)) => return Err(err(n, "header", format!("expected {HEADER:?}, found {h:?}"))),
        None => return Err(err(1, "header", format!("the trace is empty; expected {HEADER:?}"))),
    }
    let mut rows = Vec::new();
    for (n, l) in lines {
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        if f.len() != 6 {
            return Err(err(n, "row", format!("{} fields, expected 6 ({HEADER})", f.len())));
        }
        let (submit, start, end) = (instant(n, "submit", f[0])?, instant(n, "start", f[1])?, instant(n, "end", f[2])?);
        let window = Window::new(start, end).map_err(|_| err(n, "end", "must be after start"))?;
        if submit > start {
            return Err(err(n, "submit", "is after start: a request is made before its window"));
        }
        if f[3].is_empty() {
            return Err(err(n, "project", "is empty"));
        }
        let want = if f[4].contains('/') {
            Want::Shape(f[4].parse::<ShapeKey>().map_err(|e| err(n, "size", e))?)
        } else if f[4].is_empty() {
            return Err(err(n, "size", "is empty"));
        } else {
            Want::Size(f[4].to_string())
        };
        let count = f[5].parse::<u32>().ok().filter(|c| *c > 0);
        let count = count.ok_or_else(|| err(n, "count", format!("{:?} is not a whole number of at least 1", f[5])))?;
        rows.push(Row { line: n, submit, window, project: f[3].to_string(), want, count });
    }
    Ok(rows)
}

/// Writes a trace that [`parse`] reads back.
pub fn write(rows: &[Row]) -> String {
    let mut out = format!("{HEADER}\n");
    for r in rows {
        let want = match &r.want {
            Want::Size(s) => s.clone(),
            Want::Shape(k) => k.to_string(),
        };
        out.push_str(&format!("{},{},{},{},{want},{}\n", r.submit, r.window.start, r.window.end, r.project, r.count));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_names_bad_fields() {
        let text = "submit,start,end,project,size,count\n\
                    # a comment\n\
                    2026-01-05T08:00:00Z,2026-01-05T09:00:00Z,2026-01-05T11:00:00Z,team-a,gpu-small,2\n\
                    2026-01-05T08:00:00Z,2026-01-05T09:00:00Z,2026-01-05T10:00:00Z,team-b,H100-80GB/1g.10gb,1\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[1].want, Want::Shape("H100-80GB/1g.10gb".parse().unwrap()));
        assert_eq!(
            parse(&write(&rows)).unwrap().iter().map(|r| &r.want).collect::<Vec<_>>(),
            rows.iter().map(|r| &r.want).collect::<Vec<_>>()
        );
        let bad = |row: &str| parse(&format!("{HEADER}\n{row}\n")).unwrap_err();
        let e = bad("2026-01-05T08:00:00Z,tomorrow,2026-01-05T10:00:00Z,a,gpu-small,1");
        assert_eq!((e.line, e.field.as_str()), (2, "start"));
        assert_eq!(bad("2026-01-05T08:00:00Z,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,a,gpu-small,1").field, "end");
        assert_eq!(bad("2026-01-05T11:00:00Z,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z,a,gpu-small,1").field, "submit");
        assert_eq!(bad("2026-01-05T08:00:00Z,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z,a,gpu-small,0").field, "count");
        assert_eq!(bad("2026-01-05T08:00:00Z,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z,a,gpu-small").field, "row");
        assert_eq!(parse("start,end\n").unwrap_err().field, "header");
        assert_eq!(parse("").unwrap_err().field, "header");
    }
}
