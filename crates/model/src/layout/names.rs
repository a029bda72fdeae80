//! Names for layouts in the style of NVIDIA's mig-parted configs (`all-1g.10gb`, `all-balanced`).

use std::collections::BTreeMap;

use super::Layout;
use crate::catalog::{MigGeometry, ProfileIdx, Variant};

impl MigGeometry {
    /// Instance counts per profile name, as a mig-parted `mig-devices` map holds them.
    pub fn counts(&self, layout: &Layout) -> BTreeMap<String, u32> {
        let mut counts = BTreeMap::new();
        for p in layout.placements() {
            *counts.entry(self.profile(p.profile).name.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The GPU Operator's name for this layout's profile counts, when it has one: `all-enabled` (no
    /// instances), `all-<profile>` (the maximum count of one profile, `+` written `.`), or `all-balanced`
    /// (2 × the base 1g + 1 × 2g, + 1 × 3g on GPUs with 7 compute slices; `pkg/mig/builder/balanced.go`).
    pub fn well_known_name(&self, layout: &Layout) -> Option<String> {
        let counts = self.counts(layout);
        if counts.is_empty() {
            return Some("all-enabled".into());
        }
        if counts.len() == 1 {
            let (name, &count) = counts.iter().next()?;
            let idx = self.find(name)?;
            if count == self.profile(idx).max {
                return Some(format!("all-{}", name.replace('+', ".")));
            }
        }
        (counts == self.balanced_counts()?).then(|| "all-balanced".to_string())
    }

    /// A mig-parted config name for any layout: the well-known name, or one spelled from the counts.
    pub fn config_name(&self, layout: &Layout) -> String {
        self.well_known_name(layout).unwrap_or_else(|| {
            let parts: Vec<String> =
                self.counts(layout).iter().map(|(name, n)| format!("{n}x{}", name.replace('+', "."))).collect();
            format!("gpubook-{}", parts.join("-"))
        })
    }

    fn base_with_compute(&self, compute: u32) -> Option<ProfileIdx> {
        self.indices()
            .filter(|&i| {
                let p = self.profile(i);
                p.variant == Variant::Base && p.compute_slices == compute
            })
            .max_by_key(|&i| (self.profile(i).max, std::cmp::Reverse(self.profile(i).size)))
    }

    fn balanced_counts(&self) -> Option<BTreeMap<String, u32>> {
        let name = |i: ProfileIdx| self.profile(i).name.clone();
        let mut counts = BTreeMap::new();
        counts.insert(name(self.base_with_compute(1)?), 2);
        counts.insert(name(self.base_with_compute(2)?), 1);
        if self.compute_slices >= 7 {
            counts.insert(name(self.base_with_compute(3)?), 1);
        }
        Some(counts)
    }
}

impl MigGeometry {
    /// The layout a well-known name stands for (`all-enabled`, `all-balanced`, `all-<profile>` with `+`
    /// written `.`), placed with explicit starts; `None` for a name this model has no layout for.
    pub fn layout_named(&self, name: &str) -> Option<Layout> {
        let counts: BTreeMap<ProfileIdx, u32> = match name {
            "all-enabled" => BTreeMap::new(),
            "all-balanced" => {
                self.balanced_counts()?.iter().map(|(n, &c)| Some((self.find(n)?, c))).collect::<Option<_>>()?
            }
            _ => {
                let wanted = name.strip_prefix("all-")?;
                let idx = self.indices().find(|&i| self.profile(i).name.replace('+', ".") == wanted)?;
                BTreeMap::from([(idx, self.profile(idx).max)])
            }
        };
        self.place_counts(&counts)
    }

    /// Some valid layout with exactly these instance counts, if one exists. Larger profiles are placed
    /// first; the search backtracks, so a fit is found whenever there is one.
    pub fn place_counts(&self, counts: &BTreeMap<ProfileIdx, u32>) -> Option<Layout> {
        let mut todo: Vec<ProfileIdx> = counts.iter().flat_map(|(&i, &n)| std::iter::repeat_n(i, n as usize)).collect();
        todo.sort_by_key(|&i| std::cmp::Reverse((self.profile(i).size, self.profile(i).compute_slices)));
        self.place(&todo, Layout::default())
    }

    fn place(&self, todo: &[ProfileIdx], layout: Layout) -> Option<Layout> {
        let Some((&first, rest)) = todo.split_first() else { return Some(layout) };
        self.profile(first).starts.iter().find_map(|&start| {
            let p = super::Placement { profile: first, start };
            if self.can_add(&layout, p) { self.place(rest, layout.with(p)) } else { None }
        })
    }
}
