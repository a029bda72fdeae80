use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::catalog::Catalog;

fn geometry(model: &str) -> MigGeometry {
    Catalog::builtin().get(model).unwrap().mig.clone().unwrap()
}

fn layout(g: &MigGeometry, items: &[(&str, u32)]) -> Layout {
    Layout::new(items.iter().map(|&(p, s)| Placement { profile: g.find(p).unwrap(), start: s }).collect())
}

#[test]
fn h100_has_the_78_maximal_placements_of_nvidias_table() {
    let g = geometry("H100-80GB");
    let all = g.maximal_layouts();
    assert_eq!(all.len(), 78, "reference/mig.md §2.1: 78 maximal placements");
    let multisets: BTreeSet<_> = all.iter().map(|l| g.counts(l)).collect();
    assert_eq!(multisets.len(), 38, "reference/mig.md §2.1: 38 maximal profile multisets");
    let full_compute = multisets
        .iter()
        .filter(|m| m.iter().map(|(p, n)| g.profile(g.find(p).unwrap()).compute_slices * n).sum::<u32>() == 7)
        .count();
    assert_eq!(full_compute, 17, "reference/mig.md §2.1: 17 multisets use all 7 compute slices");
    assert!(all.contains(&layout(&g, &[("4g.40gb", 0), ("3g.40gb", 4)])));
    assert!(all.contains(&layout(&g, &[("3g.40gb", 0), ("3g.40gb", 4)])), "valid although it strands a slice");
    assert!(all.contains(&layout(&g, &[("7g.80gb", 0)])));
}

#[test]
fn rtx_pro_6000_layouts_live_on_a_12_unit_grid() {
    let g = geometry("RTX-PRO-6000-Blackwell-96GB");
    let all: Vec<String> = g.maximal_layouts().iter().map(|l| l.describe(&g)).collect();
    assert_eq!(
        all,
        [
            "1g.24gb@0 1g.24gb@3 1g.24gb@6 1g.24gb@9",
            "1g.24gb@0 1g.24gb@3 2g.48gb@6",
            "2g.48gb@0 1g.24gb@6 1g.24gb@9",
            "2g.48gb@0 2g.48gb@6",
            "4g.96gb@0",
        ]
    );
}

#[test]
fn a30_layouts_live_on_a_4_unit_grid() {
    let g = geometry("A30-24GB");
    let all: Vec<String> = g.maximal_layouts().iter().map(|l| l.describe(&g)).collect();
    assert_eq!(
        all,
        [
            "1g.6gb@0 1g.6gb@1 1g.6gb@2 1g.6gb@3",
            "1g.6gb@0 1g.6gb@1 2g.12gb@2",
            "2g.12gb@0 1g.6gb@2 1g.6gb@3",
            "2g.12gb@0 2g.12gb@2",
            "4g.24gb@0"
        ]
    );
}

#[test]
fn invalid_layouts_say_exactly_why() {
    let g = geometry("H100-80GB");
    assert_eq!(
        g.placement("2g.20gb", 6).unwrap_err().to_string(),
        "2g.20gb cannot start at unit 6; allowed starts are [0, 2, 4]"
    );
    assert_eq!(g.placement("9g.1gb", 0).unwrap_err(), LayoutError::UnknownProfile { profile: "9g.1gb".into() });
    let overlap = layout(&g, &[("3g.40gb", 4), ("1g.10gb", 5)]);
    assert_eq!(g.validate(&overlap).unwrap_err().to_string(), "3g.40gb@4 and 1g.10gb@5 overlap on units [5]");
    let two_me = layout(&g, &[("1g.10gb+me", 0), ("1g.10gb+me", 1)]);
    assert_eq!(g.validate(&two_me).unwrap_err().to_string(), "2 instances of 1g.10gb+me, at most 1 allowed on one GPU");
    assert!(g.validate(&layout(&g, &[("4g.40gb", 0), ("3g.40gb", 4)])).is_ok(), "4g + 3g fit together");
    let seven = layout(
        &g,
        &[
            ("1g.10gb", 0),
            ("1g.10gb", 1),
            ("1g.10gb", 2),
            ("1g.10gb", 3),
            ("1g.10gb", 4),
            ("1g.10gb", 5),
            ("1g.10gb", 6),
        ],
    );
    assert!(g.validate(&seven).is_ok());
    assert!(g.indices().all(|i| g.profile(i).variant != crate::catalog::Variant::Base
        || !g.can_add(&seven, Placement { profile: i, start: 7 })));
    // A made-up geometry where placements allow more compute than the GPU has.
    let mut tight = g.clone();
    tight.compute_slices = 3;
    assert_eq!(
        tight.validate(&layout(&g, &[("2g.20gb", 0), ("2g.20gb", 2)])).unwrap_err(),
        LayoutError::ComputeExceeded { used: 4, max: 3 }
    );
}

#[test]
fn well_known_names_follow_the_gpu_operator() {
    let g = geometry("H100-80GB");
    let seven: Vec<(&str, u32)> = (0..7).map(|s| ("1g.10gb", s)).collect();
    assert_eq!(g.well_known_name(&layout(&g, &seven)).as_deref(), Some("all-1g.10gb"));
    let balanced = layout(&g, &[("2g.20gb", 0), ("1g.10gb", 2), ("1g.10gb", 3), ("3g.40gb", 4)]);
    assert_eq!(g.well_known_name(&balanced).as_deref(), Some("all-balanced"));
    assert_eq!(g.well_known_name(&layout(&g, &[("7g.80gb", 0)])).as_deref(), Some("all-7g.80gb"));
    assert_eq!(g.well_known_name(&Layout::default()).as_deref(), Some("all-enabled"));
    assert_eq!(g.well_known_name(&layout(&g, &[("1g.10gb+me", 0)])).as_deref(), Some("all-1g.10gb.me"));
    let custom = layout(&g, &[("4g.40gb", 0), ("3g.40gb", 4)]);
    assert_eq!(g.well_known_name(&custom), None);
    assert_eq!(g.config_name(&custom), "gpubook-1x3g.40gb-1x4g.40gb");
    let r = geometry("RTX-PRO-6000-Blackwell-96GB");
    assert_eq!(
        r.well_known_name(&layout(&r, &[("1g.24gb", 0), ("1g.24gb", 3), ("2g.48gb", 6)])).as_deref(),
        Some("all-balanced")
    );
}

/// Naive validity: expand every instance into its units and compare, independently of the bit masks.
fn naive_valid(g: &MigGeometry, l: &Layout) -> bool {
    let mut owner = vec![None; g.units as usize];
    let mut compute = 0;
    for (i, p) in l.placements().iter().enumerate() {
        let prof = g.profile(p.profile);
        if !prof.starts.contains(&p.start) {
            return false;
        }
        for u in p.start..p.start + prof.size {
            if owner[u as usize].replace(i).is_some() {
                return false;
            }
        }
        if l.placements().iter().filter(|q| q.profile == p.profile).count() as u32 > prof.max {
            return false;
        }
        compute += prof.compute_slices;
    }
    compute <= g.compute_slices
}

fn model_and_subset() -> impl Strategy<Value = (String, Vec<bool>)> {
    prop::sample::select(vec!["H100-80GB", "A30-24GB", "RTX-PRO-6000-Blackwell-96GB", "A100-40GB"]).prop_flat_map(|m| {
        let n = geometry(m).all_placements().count();
        (Just(m.to_string()), prop::collection::vec(any::<bool>(), n))
    })
}

proptest! {
    #[test]
    fn validate_agrees_with_a_naive_check((model, pick) in model_and_subset()) {
        let g = geometry(&model);
        let l = Layout::new(g.all_placements().zip(&pick).filter(|(_, k)| **k).map(|(p, _)| p).collect());
        prop_assert_eq!(g.validate(&l).is_ok(), naive_valid(&g, &l));
    }

    /// Every valid layout of base profiles extends to one of the emitted maximal layouts.
    #[test]
    fn every_valid_layout_extends_to_an_emitted_maximal_one((model, pick) in model_and_subset()) {
        let g = geometry(&model);
        let base = g.base_placements();
        let mut l = Layout::default();
        for (p, _) in base.iter().zip(&pick).filter(|(_, k)| **k) {
            if g.can_add(&l, *p) { l = l.with(*p); }
        }
        let maximal = g.maximal_layouts();
        prop_assert!(maximal.iter().any(|m| l.placements().iter().all(|p| m.placements().contains(p))),
            "{} extends to none", l.describe(&g));
    }
}

#[test]
fn every_emitted_layout_is_valid_maximal_and_unique() {
    for model in Catalog::builtin().models().filter(|m| m.mig.is_some()) {
        let g = model.mig.as_ref().unwrap();
        let all = g.maximal_layouts();
        assert!(!all.is_empty(), "{}", model.key);
        let unique: BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{}", model.key);
        for l in &all {
            assert!(g.validate(l).is_ok(), "{}: {}", model.key, l.describe(g));
            assert!(g.is_maximal(l), "{}: {}", model.key, l.describe(g));
        }
    }
}

#[test]
fn well_known_names_place_explicit_layouts() {
    let g = geometry("H100-80GB");
    let balanced = g.layout_named("all-balanced").unwrap();
    assert_eq!(balanced.describe(&g), "2g.20gb@0 1g.10gb@2 1g.10gb@3 3g.40gb@4", "the 3g must sit at 4");
    assert_eq!(g.layout_named("all-1g.10gb").unwrap().len(), 7);
    assert_eq!(g.layout_named("all-1g.10gb.me").unwrap().len(), 1);
    assert!(g.layout_named("all-enabled").unwrap().is_empty());
    assert_eq!(g.layout_named("all-2g.35gb"), None);
    assert_eq!(g.layout_named("balanced"), None);
    let r = geometry("RTX-PRO-6000-Blackwell-96GB");
    assert_eq!(r.layout_named("all-balanced").unwrap().describe(&r), "2g.48gb@0 1g.24gb@6 1g.24gb@9");
    // Every name the GPU Operator generates for a model places, and names itself back.
    for g in Catalog::builtin().models().filter_map(|m| m.mig.as_ref()) {
        let names =
            g.profiles.iter().map(|p| format!("all-{}", p.name.replace('+', "."))).chain(["all-balanced".into()]);
        for name in names {
            let l = g.layout_named(&name).unwrap_or_else(|| panic!("{name}"));
            assert!(g.validate(&l).is_ok(), "{name}");
            assert_eq!(g.well_known_name(&l).as_deref(), Some(name.as_str()));
        }
    }
}
