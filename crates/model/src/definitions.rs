//! Everything a platform team declares: fleet, sizes, cohorts and projects, checked as a whole.

use std::collections::{BTreeMap, BTreeSet};

use crate::fleet::Fleet;
use crate::project::{Cohort, Project, ProjectError, check_tree};
use crate::size::Size;

/// The declared state gpubook plans against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definitions {
    pub fleet: Fleet,
    pub sizes: BTreeMap<String, Size>,
    pub cohorts: BTreeMap<String, Cohort>,
    pub projects: BTreeMap<String, Project>,
}

impl Definitions {
    /// Checks what spans objects: cohort parents and cycles, and the cohorts and sizes projects name.
    pub fn check(&self) -> Result<(), ProjectError> {
        let sizes: BTreeSet<String> = self.sizes.keys().cloned().collect();
        check_tree(&self.cohorts, &self.projects, &sizes)
    }
}
