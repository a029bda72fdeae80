//! Enumeration of the maximal layouts of a GPU model.

use super::{Layout, Placement};
use crate::catalog::{MigGeometry, Variant};

impl MigGeometry {
    /// Placements of the base profiles (no `+me`, `+me.all`, `-me` or `+gfx` variant).
    pub fn base_placements(&self) -> Vec<Placement> {
        self.all_placements().filter(|p| self.profile(p.profile).variant == Variant::Base).collect()
    }

    /// All valid layouts of base profiles to which no base-profile instance can be added, sorted.
    ///
    /// A depth-first walk over the base placements deciding "in" or "out" for each one, pruned as soon as a
    /// placement does not fit; each leaf is kept when nothing more fits. Each set is reached exactly once.
    pub fn maximal_layouts(&self) -> Vec<Layout> {
        let candidates = self.base_placements();
        let mut out = Vec::new();
        let mut chosen = Vec::new();
        self.walk(&candidates, 0, &mut chosen, &mut out);
        out.sort();
        out
    }

    fn walk(&self, candidates: &[Placement], next: usize, chosen: &mut Vec<Placement>, out: &mut Vec<Layout>) {
        if next == candidates.len() {
            let layout = Layout::new(chosen.clone());
            if candidates.iter().all(|&p| !self.can_add(&layout, p)) {
                out.push(layout);
            }
            return;
        }
        let p = candidates[next];
        if self.can_add(&Layout::new(chosen.clone()), p) {
            chosen.push(p);
            self.walk(candidates, next + 1, chosen, out);
            chosen.pop();
        }
        self.walk(candidates, next + 1, chosen, out);
    }

    /// Whether a valid layout is maximal with respect to base profiles.
    pub fn is_maximal(&self, layout: &Layout) -> bool {
        self.base_placements().into_iter().all(|p| !self.can_add(layout, p))
    }
}
