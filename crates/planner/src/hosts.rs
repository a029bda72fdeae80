//! The GPUs a search looks at: those of the shape's model that the free-units index does not rule out,
//! in fleet order, a chunk of the index at a time.

use model::{Shape, Window};

use crate::admit::Work;
use crate::index::{Cell, ModelIndex};
use crate::state::Planner;

/// GPUs whose index columns are read together.
const CHUNK: usize = 256;

/// An iterator over the GPUs (planner indexes) that may host one of `masks` over `window`: every GPU the
/// index cannot rule out, and every GPU the decision under way has taken a reservation off.
pub(crate) struct MayHost<'a> {
    members: std::borrow::Cow<'a, [usize]>,
    /// Some hour of the window has none of the slots free anywhere: `members` holds the touched GPUs only.
    only_touched: bool,
    index: Option<&'a ModelIndex>,
    window: Window,
    masks: Vec<u32>,
    touched: Vec<usize>,
    at: usize,
    chunk: std::ops::Range<usize>,
    held: Vec<Cell>,
}

impl Iterator for MayHost<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.at < self.members.len() {
            let (p, g) = (self.at, self.members[self.at]);
            self.at += 1;
            let Some(index) = self.index else { return Some(g) };
            if self.only_touched {
                return Some(g);
            }
            if !self.chunk.contains(&p) {
                self.chunk = p..(p + CHUNK).min(self.members.len());
                index.held_during(self.window, self.chunk.clone(), &mut self.held);
            }
            let held = u32::from(self.held[p - self.chunk.start]);
            if self.masks.iter().any(|m| m & held == 0) || self.touched.contains(&g) {
                return Some(g);
            }
        }
        None
    }
}

impl Planner {
    /// The GPUs that may host a device of `shape` over `window` on top of `work`, in fleet order.
    pub(crate) fn may_host<'a>(&'a self, shape: &Shape, window: Window, work: &Work) -> MayHost<'a> {
        let members = self.by_model.get(&shape.key.model).map_or(&[][..], |m| &m[..]);
        let masks: Vec<u32> = members
            .first()
            .map(|&g| Self::slots_of(shape, &self.gpus[g]).into_iter().map(|s| self.gpus[g].mask_of(s)).collect())
            .unwrap_or_default();
        let touched: Vec<usize> = work
            .removed
            .iter()
            .filter_map(|(b, d)| self.bookings.get(b).and_then(|b| b.devices.get(usize::from(*d))))
            .filter_map(|d| self.by_id.get(&d.gpu).copied())
            .collect();
        let index = self.index.get(&shape.key.model);
        let which: Vec<usize> = masks.iter().filter_map(|m| index.and_then(|i| i.mask_index(*m))).collect();
        let only_touched = index.is_some_and(|i| i.rules_out_all(&which, window));
        let members = if only_touched {
            // Some hour of the window has none of the slots free anywhere: only the GPUs the decision has
            // taken reservations off can host.
            let mut only: Vec<usize> =
                touched.iter().copied().filter(|&g| self.gpus[g].gpu.model == shape.key.model).collect();
            only.sort_by_key(|&g| self.pos[g]);
            only.dedup();
            std::borrow::Cow::Owned(only)
        } else {
            std::borrow::Cow::Borrowed(members)
        };
        MayHost { members, only_touched, index, window, masks, touched, at: 0, chunk: 0..0, held: Vec::new() }
    }
}
