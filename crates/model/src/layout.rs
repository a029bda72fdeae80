//! MIG layouts: sets of GPU instances `(profile, start)` on one GPU, their validity, and enumeration.
//!
//! The rules are NVML's (reference/mig.md §2.1): every start is one of the profile's allowed starts, unit
//! ranges `[start, start + size)` are pairwise disjoint, per-profile counts stay within the maximum, and the
//! compute slices add up to at most the GPU's.

mod enumerate;
mod names;

use std::fmt;

use crate::catalog::{MigGeometry, ProfileIdx};

/// One GPU instance: a profile placed at a start unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Placement {
    pub profile: ProfileIdx,
    pub start: u32,
}

/// A set of placements on one GPU, kept sorted by start.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Layout(Vec<Placement>);

impl Layout {
    pub fn new(mut placements: Vec<Placement>) -> Layout {
        placements.sort_by_key(|p| (p.start, p.profile));
        Layout(placements)
    }

    pub fn placements(&self) -> &[Placement] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The layout with `p` added.
    pub fn with(&self, p: Placement) -> Layout {
        let mut v = self.0.clone();
        v.push(p);
        Layout::new(v)
    }

    /// Units in use, as a bit mask.
    pub fn mask(&self, geometry: &MigGeometry) -> u32 {
        self.0.iter().fold(0, |m, p| m | geometry.profile(p.profile).mask_at(p.start))
    }

    /// `profile@start` items, such as `3g.40gb@4 1g.10gb@0`.
    pub fn describe(&self, geometry: &MigGeometry) -> String {
        let parts: Vec<String> =
            self.0.iter().map(|p| format!("{}@{}", geometry.profile(p.profile).name, p.start)).collect();
        parts.join(" ")
    }
}

/// Why a layout is not valid, naming the instances at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("no MIG profile {profile:?} on this GPU model")]
    UnknownProfile { profile: String },
    #[error("{profile} cannot start at unit {start}; allowed starts are {allowed:?}")]
    StartNotAllowed { profile: String, start: u32, allowed: Vec<u32> },
    #[error("{first} and {second} overlap on units {units:?}")]
    Overlap { first: String, second: String, units: Vec<u32> },
    #[error("{count} instances of {profile}, at most {max} allowed on one GPU")]
    TooMany { profile: String, count: u32, max: u32 },
    #[error("the instances use {used} compute slices, the GPU has {max}")]
    ComputeExceeded { used: u32, max: u32 },
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile #{}@{}", self.profile.0, self.start)
    }
}

impl MigGeometry {
    /// A placement of the profile named `profile` at `start`, if the start is allowed.
    pub fn placement(&self, profile: &str, start: u32) -> Result<Placement, LayoutError> {
        let idx = self.find(profile).ok_or_else(|| LayoutError::UnknownProfile { profile: profile.into() })?;
        let p = Placement { profile: idx, start };
        self.check_start(p)?;
        Ok(p)
    }

    fn check_start(&self, p: Placement) -> Result<(), LayoutError> {
        let prof = self.profile(p.profile);
        if prof.starts.contains(&p.start) {
            Ok(())
        } else {
            Err(LayoutError::StartNotAllowed {
                profile: prof.name.clone(),
                start: p.start,
                allowed: prof.starts.clone(),
            })
        }
    }

    /// Checks a layout against NVML's rules and says exactly what is wrong when it is not valid.
    pub fn validate(&self, layout: &Layout) -> Result<(), LayoutError> {
        let mut used = 0u32;
        let mut compute = 0u32;
        let mut counts = vec![0u32; self.profiles.len()];
        for (i, &p) in layout.0.iter().enumerate() {
            if usize::from(p.profile.0) >= self.profiles.len() {
                return Err(LayoutError::UnknownProfile { profile: format!("#{}", p.profile.0) });
            }
            self.check_start(p)?;
            let prof = self.profile(p.profile);
            let mask = prof.mask_at(p.start);
            if used & mask != 0 {
                let other = layout.0[..i]
                    .iter()
                    .find(|q| self.profile(q.profile).mask_at(q.start) & mask != 0)
                    .expect("an earlier placement set the overlapping bits");
                let overlap = self.profile(other.profile).mask_at(other.start) & mask;
                return Err(LayoutError::Overlap {
                    first: format!("{}@{}", self.profile(other.profile).name, other.start),
                    second: format!("{}@{}", prof.name, p.start),
                    units: (0..32).filter(|b| overlap & (1 << b) != 0).collect(),
                });
            }
            used |= mask;
            compute += prof.compute_slices;
            let count = &mut counts[usize::from(p.profile.0)];
            *count += 1;
            if *count > prof.max {
                return Err(LayoutError::TooMany { profile: prof.name.clone(), count: *count, max: prof.max });
            }
        }
        if compute > self.compute_slices {
            return Err(LayoutError::ComputeExceeded { used: compute, max: self.compute_slices });
        }
        Ok(())
    }

    /// Whether `p` can be added to the valid layout `layout`.
    pub fn can_add(&self, layout: &Layout, p: Placement) -> bool {
        let prof = self.profile(p.profile);
        if !prof.starts.contains(&p.start) || layout.mask(self) & prof.mask_at(p.start) != 0 {
            return false;
        }
        let same = layout.0.iter().filter(|q| q.profile == p.profile).count() as u32;
        let compute: u32 = layout.0.iter().map(|q| self.profile(q.profile).compute_slices).sum();
        same < prof.max && compute + prof.compute_slices <= self.compute_slices
    }

    /// Every placement of every profile, in profile then start order.
    pub fn all_placements(&self) -> impl Iterator<Item = Placement> + '_ {
        self.indices()
            .flat_map(move |idx| self.profile(idx).starts.iter().map(move |&start| Placement { profile: idx, start }))
    }
}

#[cfg(test)]
mod tests;
