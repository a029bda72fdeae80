//! Projects (tenants), their quotas per GPU model, and the cohorts they borrow and lend within.
//!
//! Quota semantics are Kueue's (reference/kueue.md): `nominal` is guaranteed, `borrowing_limit` caps what
//! the project may take beyond it from its cohort, `lending_limit` caps what it lends of its own nominal.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::ModelKey;
use crate::names::check_dns_label;
use crate::units::Slices;

/// A node in the cohort tree; a cohort without a parent is a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cohort {
    pub name: String,
    pub parent: Option<String>,
}

/// A project's quota for one GPU model, in memory slices of that model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    pub model: ModelKey,
    pub nominal: Slices,
    /// `None`: may borrow whatever the cohort has idle.
    pub borrowing_limit: Option<Slices>,
    /// `None`: may lend all of its nominal.
    pub lending_limit: Option<Slices>,
}

/// Per-booking rules of a project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most devices in one booking.
    pub max_devices: Option<u32>,
    /// Longest booking window, in seconds.
    pub max_duration_s: Option<i64>,
    /// How far ahead of now a booking may start, in seconds.
    pub max_lead_s: Option<i64>,
}

/// A tenant: a Kubernetes namespace, its quotas and rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub name: String,
    pub namespace: String,
    pub cohort: Option<String>,
    pub priority: i32,
    pub quotas: BTreeMap<ModelKey, Quota>,
    /// Sizes the project may book; `None` means all.
    pub sizes: Option<BTreeSet<String>>,
    pub limits: Limits,
}

/// A refused project or cohort: which one, which field, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {name:?}: {field}: {reason}")]
pub struct ProjectError {
    pub kind: &'static str,
    pub name: String,
    pub field: String,
    pub reason: String,
}

impl Quota {
    /// Checks the limits against the nominal: a project cannot lend more than it has.
    pub fn check(&self) -> Result<(), String> {
        match self.lending_limit {
            Some(l) if l > self.nominal => {
                Err(format!("lendingLimit ({}) is more than nominal ({})", l.0, self.nominal.0))
            }
            _ => Ok(()),
        }
    }
}

/// Checks names, parents and cycles of a set of cohorts, and that projects name existing cohorts and sizes.
pub fn check_tree(
    cohorts: &BTreeMap<String, Cohort>,
    projects: &BTreeMap<String, Project>,
    sizes: &BTreeSet<String>,
) -> Result<(), ProjectError> {
    for c in cohorts.values() {
        let err = |field: &str, reason: String| ProjectError {
            kind: "Cohort",
            name: c.name.clone(),
            field: field.into(),
            reason,
        };
        check_dns_label(&c.name).map_err(|r| err("name", r))?;
        if let Some(p) = &c.parent
            && !cohorts.contains_key(p)
        {
            return Err(err("parent", format!("no cohort named {p:?}")));
        }
        // Walk up; a path longer than the number of cohorts has a cycle.
        let mut at = c.parent.as_deref();
        for _ in 0..=cohorts.len() {
            match at {
                None => break,
                Some(p) if p == c.name => return Err(err("parent", "the cohort is its own ancestor".into())),
                Some(p) => at = cohorts.get(p).and_then(|x| x.parent.as_deref()),
            }
        }
    }
    for p in projects.values() {
        let err = |field: &str, reason: String| ProjectError {
            kind: "Project",
            name: p.name.clone(),
            field: field.into(),
            reason,
        };
        check_dns_label(&p.name).map_err(|r| err("name", r))?;
        check_dns_label(&p.namespace).map_err(|r| err("namespace", r))?;
        if let Some(c) = &p.cohort
            && !cohorts.contains_key(c)
        {
            return Err(err("cohort", format!("no cohort named {c:?}")));
        }
        for s in p.sizes.iter().flatten() {
            if !sizes.contains(s) {
                return Err(err("sizes", format!("no size named {s:?}")));
            }
        }
        for q in p.quotas.values() {
            q.check().map_err(|r| err(&format!("quota[{}]", q.model), r))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(name: &str, parent: Option<&str>) -> (String, Cohort) {
        (name.into(), Cohort { name: name.into(), parent: parent.map(str::to_string) })
    }

    fn project(name: &str, cohort: Option<&str>) -> Project {
        Project {
            name: name.into(),
            namespace: name.into(),
            cohort: cohort.map(str::to_string),
            priority: 0,
            quotas: BTreeMap::new(),
            sizes: None,
            limits: Limits::default(),
        }
    }

    #[test]
    fn cohort_cycles_and_dangling_names_are_refused() {
        let none = BTreeMap::new();
        let sizes = BTreeSet::new();
        let cycle = BTreeMap::from([cohort("a", Some("b")), cohort("b", Some("a"))]);
        assert!(check_tree(&cycle, &none, &sizes).unwrap_err().reason.contains("own ancestor"));
        let dangling = BTreeMap::from([cohort("a", Some("x"))]);
        assert_eq!(check_tree(&dangling, &none, &sizes).unwrap_err().field, "parent");
        let ok = BTreeMap::from([cohort("root", None), cohort("research", Some("root"))]);
        let projects = BTreeMap::from([("p".to_string(), project("p", Some("research")))]);
        assert!(check_tree(&ok, &projects, &sizes).is_ok());
        let lost = BTreeMap::from([("p".to_string(), project("p", Some("nope")))]);
        assert_eq!(check_tree(&ok, &lost, &sizes).unwrap_err().field, "cohort");
    }

    #[test]
    fn lending_more_than_nominal_is_refused() {
        let q = Quota {
            model: ModelKey("H100-80GB".into()),
            nominal: Slices(8),
            borrowing_limit: None,
            lending_limit: Some(Slices(9)),
        };
        assert!(q.check().unwrap_err().contains("lendingLimit"));
    }
}
