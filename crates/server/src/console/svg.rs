//! Small SVG builders shared by the console's pages: a time axis and a step chart. Drawn on the server, so
//! the pages need no charting script.

use maud::{Markup, html};
use model::Instant;

use super::time::Tz;

/// Maps a time range onto `width` pixels.
#[derive(Clone, Copy)]
pub(crate) struct Scale {
    pub(crate) from: Instant,
    pub(crate) to: Instant,
    pub(crate) width: f64,
}

impl Scale {
    pub(crate) fn x(&self, t: Instant) -> f64 {
        let t = t.0.clamp(self.from.0, self.to.0);
        (t - self.from.0) as f64 / (self.to.0 - self.from.0).max(1) as f64 * self.width
    }
}

/// Hour or day ticks along the bottom of a chart, with labels in the viewer's zone.
pub(crate) fn axis(scale: Scale, tz: &Tz, y: f64, height: f64) -> Markup {
    let hours = (scale.to.0 - scale.from.0) / 3600;
    let every = match hours {
        0..=24 => 3,
        25..=72 => 6,
        _ => 24,
    };
    let ticks: Vec<Instant> = (0..=hours)
        .map(|h| Instant(scale.from.0 + h * 3600))
        .filter(|t| tz.zoned(*t).hour() as i64 % every == 0)
        .collect();
    html! {
        g.axis {
            @for t in &ticks {
                @let x = scale.x(*t);
                line x1=(x) x2=(x) y1="0" y2=(y) {}
                text x=(x + 2.0) y=(y + height - 2.0) {
                    @if tz.zoned(*t).hour() == 0 { (tz.zoned(*t).strftime("%a %-d")) } @else { (tz.hour(*t)) }
                }
            }
        }
    }
}

/// A vertical line at now.
pub(crate) fn now_line(scale: Scale, now: Instant, height: f64) -> Markup {
    if now < scale.from || now > scale.to {
        return html! {};
    }
    let x = scale.x(now);
    html! { line.now x1=(x) x2=(x) y1="0" y2=(height) { title { "now" } } }
}

/// A step chart of `series` (value per slot start) against `capacity`, with an axis; values in `unit`.
pub(crate) fn step_chart(
    title: &str,
    series: &[(Instant, f64)],
    capacity: f64,
    scale: Scale,
    tz: &Tz,
    now: Instant,
    unit: &str,
) -> Markup {
    let (h, axis_h) = (110.0, 14.0);
    let top = capacity.max(series.iter().map(|s| s.1).fold(0.0, f64::max)).max(1.0) * 1.1;
    let y = |v: f64| h - v / top * h;
    let mut path = format!("M0,{h}");
    for (i, (t, v)) in series.iter().enumerate() {
        let x0 = scale.x(*t);
        let x1 = series.get(i + 1).map_or(scale.width, |n| scale.x(n.0));
        path.push_str(&format!(" L{x0:.1},{:.1} L{x1:.1},{:.1}", y(*v), y(*v)));
    }
    path.push_str(&format!(" L{},{h} Z", scale.width));
    let peak = series.iter().map(|s| s.1).fold(0.0, f64::max);
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {} {}", scale.width, h + axis_h)) role="img"
                aria-label=(format!("{title}: peak {peak:.2} of {capacity:.2} {unit}")) {
                path.area d=(path) {}
                line.capacity x1="0" x2=(scale.width) y1=(y(capacity)) y2=(y(capacity)) { title { (format!("capacity {capacity:.2} {unit}")) } }
                (axis(scale, tz, h, axis_h))
                (now_line(scale, now, h))
            }
            figcaption { (title) ": peak " strong { (format!("{peak:.2}")) } " of " (format!("{capacity:.2}")) " " (unit) }
        }
    }
}
