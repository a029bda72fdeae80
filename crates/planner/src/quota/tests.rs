use std::collections::BTreeMap;

use model::{Cohort, Definitions, Instant, Limits, ModelKey, Project, Quota, Slices, Window};

use super::*;

fn m() -> ModelKey {
    ModelKey("L40S-48GB".into())
}

fn project(name: &str, cohort: Option<&str>, n: u32, b: Option<u32>, l: Option<u32>) -> (String, Project) {
    let q = Quota { model: m(), nominal: Slices(n), borrowing_limit: b.map(Slices), lending_limit: l.map(Slices) };
    let p = Project {
        name: name.into(),
        namespace: name.into(),
        cohort: cohort.map(str::to_string),
        priority: 0,
        quotas: BTreeMap::from([(m(), q)]),
        sizes: None,
        limits: Limits::default(),
    };
    (name.into(), p)
}

fn defs(projects: Vec<(String, Project)>) -> Definitions {
    let cohorts = BTreeMap::from([
        ("root".to_string(), Cohort { name: "root".into(), parent: None }),
        ("child".to_string(), Cohort { name: "child".into(), parent: Some("root".into()) }),
    ]);
    Definitions { cohorts, projects: projects.into_iter().collect(), ..Definitions::default() }
}

fn w(a: i64, b: i64) -> Window {
    Window::new(Instant(a), Instant(b)).unwrap()
}

fn change(p: &str, win: Window, slices: i64, reserved: bool) -> Change {
    Change { project: p.into(), model: m(), window: win, slices, reserved }
}

#[test]
fn lending_limit_caps_what_a_cohort_can_borrow() {
    // §5.2 #3: lend-a 3 (lends 2), lend-b 2 (lends 2) running 2; lend-b asks 3: inadmissible, 2 fits.
    let mut l = Ledger::new(
        &defs(vec![project("a", Some("root"), 3, None, Some(2)), project("b", Some("root"), 2, None, Some(2))]),
        |_| 1,
    );
    l.apply(&change("b", w(0, 10), 2, true));
    assert_eq!(l.check(&change("b", w(0, 10), 3, false), &[]).unwrap_err().code, crate::ReasonCode::CohortExhausted);
    assert_eq!(l.check(&change("b", w(0, 10), 2, false), &[]), Ok(true));
    // Outside the running window nothing is used.
    assert_eq!(l.check(&change("b", w(10, 20), 4, false), &[]), Ok(true));
}

#[test]
fn hierarchical_lending_limit_counts_the_whole_tree() {
    // §5.2 #4: lender nominal 10 lending 3 in a child cohort; borrower nominal 5 fully used.
    let d = defs(vec![
        project("lender", Some("child"), 10, None, Some(3)),
        project("borrower", Some("child"), 5, Some(10), None),
    ]);
    let mut l = Ledger::new(&d, |_| 1);
    l.apply(&change("borrower", w(0, 10), 5, true));
    assert!(l.check(&change("borrower", w(0, 10), 4, false), &[]).is_err());
    assert_eq!(l.check(&change("borrower", w(0, 10), 3, false), &[]), Ok(true));
    let d = defs(vec![
        project("lender", Some("child"), 10, None, Some(5)),
        project("borrower", Some("child"), 5, Some(10), None),
    ]);
    let mut l = Ledger::new(&d, |_| 1);
    l.apply(&change("borrower", w(0, 10), 5, true));
    assert_eq!(l.check(&change("borrower", w(0, 10), 5, false), &[]), Ok(true));
}

#[test]
fn reserved_stays_within_nominal_at_every_instant() {
    let mut l = Ledger::new(&defs(vec![project("a", None, 2, None, None)]), |_| 1);
    l.apply(&change("a", w(0, 10), 1, true));
    l.apply(&change("a", w(5, 15), 1, true));
    assert_eq!(l.check(&change("a", w(12, 20), 1, true), &[]), Ok(false));
    assert_eq!(l.check(&change("a", w(8, 12), 1, true), &[]).unwrap_err().code, crate::ReasonCode::ExceedsNominal);
    // Pending changes count: releasing the first booking makes room.
    assert_eq!(l.check(&change("a", w(8, 12), 1, true), &[change("a", w(0, 10), -1, true)]), Ok(false));
    assert_eq!(l.check(&change("b", w(0, 1), 1, true), &[]).unwrap_err().code, crate::ReasonCode::NoQuota);
}
