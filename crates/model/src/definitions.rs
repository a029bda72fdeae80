//! Everything a platform team declares: fleet, sizes, cohorts, projects and prices, checked as a whole.

use std::collections::{BTreeMap, BTreeSet};

use crate::allowance::Allowance;
use crate::booking::Want;
use crate::catalog::Catalog;
use crate::fleet::Fleet;
use crate::price::PriceList;
use crate::project::{Cohort, Project, ProjectError, check_tree};
use crate::shape::ShapeKey;
use crate::size::Size;

/// The declared state gpubook plans against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definitions {
    pub fleet: Fleet,
    pub sizes: BTreeMap<String, Size>,
    pub cohorts: BTreeMap<String, Cohort>,
    pub projects: BTreeMap<String, Project>,
    /// The declared price list, if any (at most one is).
    pub price_list: Option<PriceList>,
}

impl Definitions {
    /// Checks what spans objects: cohort parents and cycles, and the cohorts and sizes projects name.
    pub fn check(&self) -> Result<(), ProjectError> {
        let sizes: BTreeSet<String> = self.sizes.keys().cloned().collect();
        check_tree(&self.cohorts, &self.projects, &sizes)
    }

    /// What one device of `shape` brings in a booking that asked for `want`: the size's allowance when it
    /// sets one, else the default for the shape (zero for a shape the catalog does not have).
    pub fn device_allowance(&self, catalog: &Catalog, want: &Want, shape: &ShapeKey) -> Allowance {
        let of_size = match want {
            Want::Size(name) => self.sizes.get(name).and_then(|s| s.allowance),
            Want::Shape(_) => None,
        };
        of_size.or_else(|| Allowance::default_for(catalog, shape)).unwrap_or_default()
    }
}
