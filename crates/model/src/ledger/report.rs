//! Reports: the ledger's charges of many bookings within a window, grouped by one key.

use std::collections::BTreeMap;

use crate::booking::Booking;
use crate::catalog::Catalog;
use crate::definitions::Definitions;
use crate::time::Window;

use super::{Charge, Prices, charge};

/// What a report groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum By {
    Project,
    Booking,
    Model,
    Owner,
    Cohort,
}

impl By {
    pub const ALL: [By; 5] = [By::Project, By::Booking, By::Model, By::Owner, By::Cohort];

    pub fn as_str(self) -> &'static str {
        match self {
            By::Project => "project",
            By::Booking => "booking",
            By::Model => "model",
            By::Owner => "owner",
            By::Cohort => "cohort",
        }
    }

    pub fn parse(s: &str) -> Option<By> {
        By::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// One group of a report: its key (`None`: a project outside any cohort) and what it holds and costs.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub key: Option<String>,
    pub charge: Charge,
}

/// The charges of `bookings` within `within`, grouped `by`, in key order, and their total. Bookings that
/// hold nothing within the window make no row.
pub fn report<'a>(
    bookings: impl IntoIterator<Item = &'a Booking>,
    within: Window,
    prices: &Prices,
    catalog: &Catalog,
    defs: &Definitions,
    by: By,
) -> (Vec<Row>, Charge) {
    let mut groups: BTreeMap<Option<String>, Charge> = BTreeMap::new();
    let mut total = Charge::default();
    for b in bookings {
        for (model, c) in charge(b, within, prices, catalog) {
            let key = match by {
                By::Project => Some(b.request.project.clone()),
                By::Booking => Some(b.id.to_string()),
                By::Model => Some(model.0.clone()),
                By::Owner => Some(b.request.owner.clone()),
                By::Cohort => defs.projects.get(&b.request.project).and_then(|p| p.cohort.clone()),
            };
            groups.entry(key).or_default().add(&c);
            total.add(&c);
        }
    }
    (groups.into_iter().map(|(key, charge)| Row { key, charge }).collect(), total)
}
