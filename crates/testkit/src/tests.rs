use super::*;

#[test]
fn the_generator_is_the_same_for_a_seed_and_spreads() {
    let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    let xs: Vec<u64> = (0..100).map(|_| a.below(10)).collect();
    let ys: Vec<u64> = (0..100).map(|_| b.below(10)).collect();
    assert_eq!(xs, ys);
    assert!((0..10).all(|d| xs.contains(&d)), "{xs:?}");
    assert_ne!(Rng::new(0).next_u64(), 0);
}

#[test]
fn builders_make_valid_definitions() {
    use model::Reconfiguration::{Dynamic, PerGpu};
    let f = fleet().gpus("node", "H100-80GB", 10, 8, Dynamic).gpu("a100", "A100-40GB", PerGpu, None).build();
    assert_eq!(f.gpus().count(), 11);
    let defs = definitions(f)
        .cohort("research", None)
        .project(project("team-a").cohort("research").quota("H100-80GB", 16, Some(8), None))
        .build();
    assert_eq!(defs.projects["team-a"].quotas.len(), 1);
    assert_eq!(at(1.5).0 - DAY0.0, 5400);
    let r = request("team-a", "H100-80GB/1g.10gb", model::Window { start: at(1.0), end: at(2.0) }).count(2).build();
    assert_eq!(r.count, 2);
}
