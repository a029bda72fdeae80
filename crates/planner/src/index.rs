//! The free-units index: per GPU model and per hour, which units of each GPU are held at some instant and
//! at every instant of the hour, and for each slot mask of the model how many GPUs have it free. Searches
//! ask it which GPUs can still host a slot over a window, so a refusal does not scan the fleet; it answers
//! a superset of those GPUs (a GPU it leaves out really is busy), and the calendar gives the exact answer
//! for the few that remain.

use std::collections::BTreeMap;
use std::ops::Range;

use model::{Instant, Window};

/// Seconds an index row covers.
pub(crate) const ROW_S: i64 = 3600;

/// A unit mask of one GPU as the index stores it: models with at most 16 units are indexed.
pub(crate) type Cell = u16;

#[derive(Clone, Debug)]
struct Row {
    /// Per GPU of the model: units held at some instant of the hour.
    some: Vec<Cell>,
    /// Per GPU: units held at every instant of the hour.
    all: Vec<Cell>,
    /// Per slot mask: GPUs on which it is free for the whole hour.
    free: Vec<u32>,
    /// Per slot mask: GPUs on which none of its units is held all hour (it may be free at some instant).
    open: Vec<u32>,
    /// GPUs holding some unit during the hour: at 0 the row says nothing and is dropped, so the index holds
    /// rows only for hours something is booked in.
    busy: u32,
}

/// The index of one GPU model's calendars.
#[derive(Clone, Debug)]
pub(crate) struct ModelIndex {
    gpus: usize,
    /// The distinct unit masks a slot of the model can hold (the whole GPU and every MIG placement).
    masks: Vec<Cell>,
    rows: BTreeMap<i64, Row>,
}

/// The hour row an instant falls in.
pub(crate) fn row_of(t: Instant) -> i64 {
    t.0.div_euclid(ROW_S)
}

/// The window an hour row covers.
pub(crate) fn row_window(row: i64) -> Window {
    Window { start: Instant(row * ROW_S), end: Instant((row + 1) * ROW_S) }
}

impl ModelIndex {
    /// An index for `gpus` GPUs whose slots hold `masks`; `None` when a mask does not fit a [`Cell`].
    pub(crate) fn new(gpus: usize, masks: impl IntoIterator<Item = u32>) -> Option<ModelIndex> {
        let mut cells = Vec::new();
        for m in masks {
            let c = Cell::try_from(m).ok()?;
            if !cells.contains(&c) {
                cells.push(c);
            }
        }
        Some(ModelIndex { gpus, masks: cells, rows: BTreeMap::new() })
    }

    /// Forgets every row, to be built again.
    pub(crate) fn clear(&mut self) {
        self.rows.clear();
    }

    /// Where `mask` is among the model's slot masks.
    pub(crate) fn mask_index(&self, mask: u32) -> Option<usize> {
        self.masks.iter().position(|m| u32::from(*m) == mask)
    }

    /// (held at some instant, held at every instant) of the hour `row` on GPU `pos`.
    pub(crate) fn get(&self, row: i64, pos: usize) -> (Cell, Cell) {
        self.rows.get(&row).map_or((0, 0), |r| (r.some[pos], r.all[pos]))
    }

    /// Records what GPU `pos` holds during the hour `row`, keeping the per-mask counts.
    pub(crate) fn set(&mut self, row: i64, pos: usize, some: Cell, all: Cell) {
        if self.get(row, pos) == (some, all) {
            return;
        }
        let (gpus, n) = (self.gpus as u32, self.masks.len());
        let r = self.rows.entry(row).or_insert_with(|| Row {
            some: vec![0; self.gpus],
            all: vec![0; self.gpus],
            free: vec![gpus; n],
            open: vec![gpus; n],
            busy: 0,
        });
        let (s0, a0) = (r.some[pos], r.all[pos]);
        for (i, m) in self.masks.iter().enumerate() {
            r.free[i] = r.free[i] + u32::from(m & some == 0) - u32::from(m & s0 == 0);
            r.open[i] = r.open[i] + u32::from(m & all == 0) - u32::from(m & a0 == 0);
        }
        r.busy = r.busy + u32::from(some != 0) - u32::from(s0 != 0);
        r.some[pos] = some;
        r.all[pos] = all;
        if r.busy == 0 {
            self.rows.remove(&row);
        }
    }

    /// How many hour rows the index holds.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> usize {
        self.rows.len()
    }

    /// For the GPUs at `positions`, into `out`: units that are certainly held at some instant of `w` (those
    /// held at some instant of an hour inside `w`, or all through an hour `w` overlaps). A slot whose mask
    /// meets this is busy during `w`; one that does not may be free.
    pub(crate) fn held_during(&self, w: Window, positions: Range<usize>, out: &mut Vec<Cell>) {
        out.clear();
        out.resize(positions.len(), 0);
        for (&row, r) in self.rows.range(row_of(w.start)..=row_of(w.end.plus(-1))) {
            let hour = row_window(row);
            let inside = w.start <= hour.start && hour.end <= w.end;
            let cells = if inside { &r.some[positions.clone()] } else { &r.all[positions.clone()] };
            for (o, c) in out.iter_mut().zip(cells) {
                *o |= c;
            }
        }
    }

    /// Whether some hour `w` overlaps has none of the slot masks `which` free on any GPU (all through an
    /// hour inside `w`, or at some instant of an hour at its edge): then no GPU can host them over `w`.
    pub(crate) fn rules_out_all(&self, which: &[usize], w: Window) -> bool {
        self.rows.range(row_of(w.start)..=row_of(w.end.plus(-1))).any(|(&row, r)| {
            let hour = row_window(row);
            let counts = if w.start <= hour.start && hour.end <= w.end { &r.free } else { &r.open };
            which.iter().all(|&i| counts[i] == 0)
        })
    }

    /// The first hour from `from`'s on, up to `until`'s, in which a window of `seconds` for one of the slot
    /// masks `which` can start: a lower bound from the counts alone (each hour it needs could be free on a
    /// different GPU). A window starting in hour H overlaps H and covers every hour after it up to
    /// H + ⌊seconds / hour⌋ − 1.
    pub(crate) fn first_possible_row(
        &self,
        which: &[usize],
        from: Instant,
        seconds: i64,
        until: Instant,
    ) -> Option<i64> {
        let (first, last) = (row_of(from), row_of(until));
        if last < first {
            return None;
        }
        let covered = (seconds / ROW_S - 1).max(0);
        let span = (last - first + 1 + covered) as usize;
        let mut earliest: Option<i64> = None;
        for &i in which {
            // free_ok[k]: mask i is free all through row first + k on some GPU; open_ok: not held all through it.
            let mut free_ok = vec![self.gpus > 0; span];
            let mut open_ok = vec![self.gpus > 0; span];
            for (&row, r) in self.rows.range(first..first + span as i64) {
                let k = (row - first) as usize;
                free_ok[k] = r.free[i] > 0;
                open_ok[k] = r.open[i] > 0;
            }
            // Walking backwards, `run` counts the free rows right after row k; the last match is the earliest.
            let mut run = 0i64;
            for k in (0..span).rev() {
                let row = first + k as i64;
                if row <= last && open_ok[k] && run >= covered {
                    earliest = Some(earliest.map_or(row, |e| e.min(row)));
                }
                run = if free_ok[k] { run + 1 } else { 0 };
            }
        }
        earliest
    }

    /// GPUs (positions) on which one of the slot masks `which` is free all through the hours `rows` and not
    /// held all through the hour before them: those that may open a window starting in that hour.
    pub(crate) fn may_open(&self, which: &[usize], rows: Range<i64>, limit: usize) -> Vec<usize> {
        let mut held: Vec<Cell> = vec![0; self.gpus];
        let before = rows.start - 1;
        if let Some(r) = self.rows.get(&before) {
            held.copy_from_slice(&r.all);
        }
        for (_, r) in self.rows.range(rows) {
            for (h, s) in held.iter_mut().zip(&r.some) {
                *h |= s;
            }
        }
        held.iter()
            .enumerate()
            .filter(|(_, h)| which.iter().any(|&i| self.masks[i] & **h == 0))
            .map(|(p, _)| p)
            .take(limit)
            .collect()
    }
}

#[cfg(test)]
mod tests;
