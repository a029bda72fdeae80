//! Fleets over 64 GPUs of a model take the free-units index path for "not before". That path is a bounded
//! heuristic (it may answer later than re-placing bookings would allow), but it must be sound: a "not
//! before T" request fits at T, and "never" means no start within the horizon fits.

use model::{Definitions, Instant, Mode, ModelKey, Reconfiguration, Request, ShapeKey, Want, Window};
use planner::{Config, Planner, Verdict};
use proptest::prelude::*;

const HOUR: i64 = 3600;
const DAY0: i64 = testkit::DAY0.0;
const GPUS: u32 = 66;
const PROFILES: [&str; 5] = ["1g.10gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"];

fn definitions(nominal_gpus: u32) -> Definitions {
    let fleet = testkit::fleet().gpus("n", "H100-80GB", GPUS, GPUS, Reconfiguration::Dynamic).build();
    let project = |name: &str| testkit::project(name).quota("H100-80GB", nominal_gpus * 8, None, None);
    testkit::definitions(fleet).project(project("a")).project(project("b")).build()
}

fn shape(p: usize) -> Want {
    Want::Shape(if p == PROFILES.len() {
        ShapeKey::whole(&ModelKey("H100-80GB".into()))
    } else {
        ShapeKey::mig(&ModelKey("H100-80GB".into()), PROFILES[p])
    })
}

fn request(project: &str, p: usize, count: u32, start_h: i64, hours: i64) -> Request {
    Request {
        project: project.into(),
        owner: "t".into(),
        want: shape(p),
        count,
        window: Window::new(Instant(DAY0 + start_h * HOUR), Instant(DAY0 + (start_h + hours) * HOUR)).unwrap(),
        mode: Mode::Reserved,
        priority: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn not_before_on_large_fleets_is_sound(
        fill in proptest::collection::vec((0..=PROFILES.len(), 1..40u32, 0..24i64, 1..12i64), 5..30),
        asks in proptest::collection::vec((0..=PROFILES.len(), 1..20u32, 0..24i64, 1..8i64, any::<bool>()), 4..10),
        nominal in 20..80u32,
    ) {
        let config = Config { horizon_s: 2 * 24 * HOUR, ..Config::default() };
        let mut planner = Planner::new(model::Catalog::builtin(), definitions(nominal), config);
        let now = Instant(DAY0);
        for (p, count, start_h, hours) in fill {
            planner.book(&request("b", p, count, start_h, hours), now);
        }
        for (p, count, start_h, hours, quota_bound) in asks {
            // Project b is the busy one: asking as b also exercises refusals on quota.
            let who = if quota_bound { "b" } else { "a" };
            let req = request(who, p, count, start_h, hours);
            let decision = planner.admit(&req, now);
            match decision.verdict {
                Verdict::NotBefore(t) => {
                    prop_assert!(t > req.window.start);
                    let moved = Request { window: req.window.moved_to(t), ..req.clone() };
                    prop_assert!(planner.admit(&moved, now).fits(), "not before {t} but it does not fit there: {req:?}");
                }
                Verdict::Never => {
                    // Every quarter hour of the horizon: none fits.
                    let mut t = req.window.start.plus(900);
                    while t <= now.plus(2 * 24 * HOUR) {
                        let moved = Request { window: req.window.moved_to(t), ..req.clone() };
                        prop_assert!(!planner.admit(&moved, now).fits(), "never, but it fits from {t}: {req:?}");
                        t = t.plus(900);
                    }
                }
                _ => prop_assert!(decision.fits()),
            }
        }
    }
}
