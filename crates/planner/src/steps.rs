//! Step functions of time: a value that changes only at breakpoints, zero before the first.

use std::collections::BTreeMap;

use model::{Instant, Window};

/// `points[t]` is the value from `t` until the next breakpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Steps {
    points: BTreeMap<Instant, i64>,
}

impl Steps {
    pub(crate) fn at(&self, t: Instant) -> i64 {
        self.points.range(..=t).next_back().map_or(0, |(_, v)| *v)
    }

    /// Adds `d` over `w`.
    pub(crate) fn add(&mut self, w: Window, d: i64) {
        if d == 0 {
            return;
        }
        let (before_start, before_end) = (self.at(w.start), self.at(w.end));
        self.points.entry(w.start).or_insert(before_start);
        self.points.entry(w.end).or_insert(before_end);
        for (_, v) in self.points.range_mut(w.start..w.end) {
            *v += d;
        }
        self.coalesce(w.start);
        self.coalesce(w.end);
    }

    /// Drops the breakpoint at `t` when it no longer changes the value.
    fn coalesce(&mut self, t: Instant) {
        let Some(&v) = self.points.get(&t) else { return };
        let prev = self.points.range(..t).next_back().map_or(0, |(_, p)| *p);
        if prev == v {
            self.points.remove(&t);
        }
    }

    /// `w.start` and every breakpoint inside `w`: the instants where the value over `w` can change.
    pub(crate) fn points_in(&self, w: Window) -> impl Iterator<Item = Instant> + '_ {
        std::iter::once(w.start).chain(self.points.range(w.start..w.end).map(|(t, _)| *t).filter(move |t| *t > w.start))
    }

    /// The breakpoints after `from`, up to and including `until`.
    pub(crate) fn breakpoints(&self, from: Instant, until: Instant) -> impl Iterator<Item = Instant> + '_ {
        self.points.range(from..=until).map(|(t, _)| *t).filter(move |t| *t > from)
    }

    /// Each constant piece of the function over `w`, as (piece, value).
    pub(crate) fn pieces(&self, w: Window) -> Vec<(Window, i64)> {
        let mut cuts: Vec<Instant> = self.points_in(w).collect();
        cuts.push(w.end);
        cuts.windows(2).map(|c| (Window { start: c[0], end: c[1] }, self.at(c[0]))).collect()
    }

    pub(crate) fn max_over(&self, w: Window) -> i64 {
        self.points_in(w).map(|t| self.at(t)).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(a: i64, b: i64) -> Window {
        Window::new(Instant(a), Instant(b)).unwrap()
    }

    #[test]
    fn adds_and_removes_back_to_nothing() {
        let mut s = Steps::default();
        s.add(w(0, 10), 2);
        s.add(w(5, 15), 3);
        assert_eq!(
            (s.at(Instant(-1)), s.at(Instant(0)), s.at(Instant(5)), s.at(Instant(10)), s.at(Instant(15))),
            (0, 2, 5, 3, 0)
        );
        assert_eq!(s.max_over(w(0, 5)), 2);
        assert_eq!(s.max_over(w(9, 11)), 5);
        assert_eq!(s.pieces(w(3, 12)), vec![(w(3, 5), 2), (w(5, 10), 5), (w(10, 12), 3)]);
        s.add(w(0, 10), -2);
        s.add(w(5, 15), -3);
        assert!(s.points.is_empty());
    }
}
