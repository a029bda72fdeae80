use std::collections::BTreeMap;

use model::{
    Catalog, Definitions, Fleet, Gpu, GpuId, Instant, Limits, Mode, ModelKey, Node, Project, Quota, Reconfiguration,
    Request, ShapeKey, Slices, Want, Window,
};
use proptest::prelude::*;

use super::*;
use crate::state::{Config, Planner};

const H: i64 = ROW_S;

fn w(a: i64, b: i64) -> Window {
    Window::new(Instant(a), Instant(b)).unwrap()
}

#[test]
fn counts_follow_what_each_gpu_holds() {
    let mut ix = ModelIndex::new(2, [0b11, 0b01, 0b10]).unwrap();
    ix.set(5, 0, 0b01, 0b00);
    // Row 5: GPU 0 holds unit 0 at some instant only; GPU 1 holds nothing.
    let r = &ix.rows[&5];
    assert_eq!((r.free.clone(), r.open.clone()), (vec![1, 1, 2], vec![2, 2, 2]));
    ix.set(5, 1, 0b10, 0b10);
    let r = &ix.rows[&5];
    assert_eq!((r.free.clone(), r.open.clone()), (vec![0, 1, 1], vec![1, 2, 1]));
    ix.set(5, 0, 0, 0);
    let r = &ix.rows[&5];
    assert_eq!((r.free.clone(), r.open.clone()), (vec![1, 2, 1], vec![1, 2, 1]));
    // Once nothing is held in the hour its row is gone, and reads see an empty hour.
    ix.set(5, 1, 0, 0);
    assert!(!ix.rows.contains_key(&5));
    assert_eq!(ix.get(5, 1), (0, 0));
    assert!(ModelIndex::new(1, [1 << 16]).is_none(), "masks wider than a cell are not indexed");
}

#[test]
fn held_during_reads_inner_hours_whole_and_edge_hours_only_where_held_throughout() {
    let mut ix = ModelIndex::new(1, [0b1, 0b10]).unwrap();
    ix.set(0, 0, 0b01, 0b00); // unit 0 busy for part of hour 0
    ix.set(1, 0, 0b10, 0b00); // unit 1 busy for part of hour 1
    let mut out = Vec::new();
    // [0:30, 2:00) overlaps hour 0 at its edge and covers hour 1: only hour 1's partial use counts.
    ix.held_during(w(H / 2, 2 * H), 0..1, &mut out);
    assert_eq!(out, vec![0b10]);
    ix.set(0, 0, 0b01, 0b01);
    ix.held_during(w(H / 2, 2 * H), 0..1, &mut out);
    assert_eq!(out, vec![0b11]);
}

#[test]
fn first_possible_row_needs_the_covered_hours_free_somewhere() {
    let mut ix = ModelIndex::new(2, [0b1]).unwrap();
    for row in 0..10 {
        ix.set(row, 0, 1, 1);
        ix.set(row, 1, 1, 1);
    }
    ix.set(4, 1, 1, 0); // GPU 1 frees unit 0 during hour 4
    // A 3-hour window needs two covered hours free after its first: hours 10 and 11 are, so it can start in 9
    // (its first hour not held throughout is needed too, and hour 9 is held): the first is hour 10.
    assert_eq!(ix.first_possible_row(&[0], Instant(0), 3 * H, Instant(100 * H)), Some(10));
    // A one-hour window covers no hour whole: hour 4, where unit 0 is not held throughout, may do.
    assert_eq!(ix.first_possible_row(&[0], Instant(0), H, Instant(100 * H)), Some(4));
    assert_eq!(ix.first_possible_row(&[0], Instant(0), 3 * H, Instant(9 * H)), None);
}

fn planner(gpus: u32) -> Planner {
    let model = ModelKey("H100-80GB".into());
    let node = Node {
        name: "n".into(),
        gpus: (0..gpus)
            .map(|i| Gpu {
                id: GpuId { node: "n".into(), index: i },
                model: model.clone(),
                uuid: None,
                reconfiguration: Reconfiguration::Dynamic,
                layout: None,
            })
            .collect(),
    };
    let quota = Quota { model: model.clone(), nominal: Slices(gpus * 8), borrowing_limit: None, lending_limit: None };
    let project = Project {
        name: "p".into(),
        namespace: "p".into(),
        cohort: None,
        priority: 0,
        quotas: BTreeMap::from([(model, quota)]),
        sizes: None,
        limits: Limits::default(),
    };
    let defs = Definitions {
        fleet: Fleet::new(vec![node]).unwrap(),
        projects: BTreeMap::from([("p".to_string(), project)]),
        ..Definitions::default()
    };
    Planner::new(Catalog::builtin(), defs, Config::default())
}

/// Every row that holds something: (units at some instant, units throughout, free counts, open counts).
type Rows = BTreeMap<i64, (Vec<Cell>, Vec<Cell>, Vec<u32>, Vec<u32>)>;

fn rows(p: &Planner) -> Rows {
    let ix = &p.index[&ModelKey("H100-80GB".into())];
    ix.rows
        .iter()
        .filter(|(_, r)| r.some.iter().chain(&r.all).any(|c| *c != 0))
        .map(|(k, r)| (*k, (r.some.clone(), r.all.clone(), r.free.clone(), r.open.clone())))
        .collect()
}

/// The index as it would be built from the calendars alone.
fn rebuilt(p: &Planner) -> BTreeMap<(i64, usize), (Cell, Cell)> {
    let mut out = BTreeMap::new();
    for (g, cal) in p.gpus.iter().enumerate() {
        for r in cal.reservations() {
            for row in row_of(r.window.start)..=row_of(r.window.end.plus(-1)) {
                let (some, all) = cal.held(row_window(row));
                out.insert((row, p.pos[g]), (some as Cell, all as Cell));
            }
        }
    }
    out
}

proptest! {
    /// After any bookings and cancellations the index holds what the calendars say, its counts match, and
    /// what it calls held over a window is held there.
    #[test]
    fn index_agrees_with_the_calendars(
        ops in proptest::collection::vec((0usize..4, 0i64..40, 1i64..24, any::<bool>()), 1..40),
        probes in proptest::collection::vec((0i64..64, 1i64..16), 1..12),
    ) {
        let mut p = planner(3);
        let profiles = ["1g.10gb", "2g.20gb", "3g.40gb", "7g.80gb"];
        let q = 900;
        let now = Instant(-H);
        for (shape, start, len, cancel) in ops {
            let want = Want::Shape(ShapeKey::mig(&ModelKey("H100-80GB".into()), profiles[shape]));
            let window = w(start * q * 2, start * q * 2 + len * q);
            let req = Request { project: "p".into(), owner: "o".into(), want, count: 1, window, mode: Mode::Reserved, priority: None };
            if let (_, Some(id)) = p.book(&req, now) && cancel {
                p.cancel(id, now).unwrap();
            }
        }
        let ix = &p.index[&ModelKey("H100-80GB".into())];
        let expected = rebuilt(&p);
        for (&row, r) in &ix.rows {
            for pos in 0..3 {
                let want = expected.get(&(row, pos)).copied().unwrap_or((0, 0));
                prop_assert_eq!((r.some[pos], r.all[pos]), want, "row {} gpu {}", row, pos);
            }
            for (i, m) in ix.masks.iter().enumerate() {
                prop_assert_eq!(r.free[i] as usize, r.some.iter().filter(|s| *s & m == 0).count());
                prop_assert_eq!(r.open[i] as usize, r.all.iter().filter(|a| *a & m == 0).count());
            }
        }
        prop_assert!(expected.keys().all(|(row, _)| ix.rows.contains_key(row)));
        // Only hours something is held in have a row: memory follows what is booked, and a cancellation
        // gives its rows back.
        let booked_rows: std::collections::BTreeSet<i64> = expected.keys().map(|(row, _)| *row).collect();
        prop_assert_eq!(ix.rows(), booked_rows.len());
        // Loading the same bookings at once builds the same index GPU by GPU.
        let mut loaded = planner(3);
        let refused = loaded.restore_all(p.bookings().cloned());
        prop_assert!(refused.is_empty());
        prop_assert_eq!(rows(&loaded), rows(&p));
        let mut held = Vec::new();
        for (start, len) in probes {
            let win = w(start * q, (start + len) * q);
            ix.held_during(win, 0..3, &mut held);
            for (g, cal) in p.gpus.iter().enumerate() {
                let exact = cal.busy_mask(win, &Default::default());
                prop_assert_eq!(u32::from(held[p.pos[g]]) & !exact, 0, "{:?} claims more than is held", win);
            }
        }
    }
}

#[test]
fn a_window_past_the_servers_bounds_is_refused_before_anything_is_held() {
    let mut p = planner(2);
    let want = Want::Shape(ShapeKey::mig(&ModelKey("H100-80GB".into()), "1g.10gb"));
    let ask = |start: i64, end: i64| Request {
        project: "p".into(),
        owner: "o".into(),
        want: want.clone(),
        count: 1,
        window: w(start, end),
        mode: Mode::Reserved,
        priority: None,
    };
    let now = Instant(0);
    // Until 9999-12-30: once an index row per hour (500 years, 1.46 GB).
    let (d, id) = p.book(&ask(0, 253_402_041_600), now);
    assert!(id.is_none());
    assert_eq!(d.reasons[0].code, crate::ReasonCode::TooLong, "{:?}", d.reasons);
    let ahead = Config::default().max_ahead_s + H;
    let (d, id) = p.book(&ask(ahead, ahead + H), now);
    assert!(id.is_none());
    assert_eq!(d.reasons[0].code, crate::ReasonCode::TooFarAhead, "{:?}", d.reasons);
    assert_eq!(p.index[&ModelKey("H100-80GB".into())].rows(), 0);
    // The longest window allowed holds one row per hour, and gives them back when cancelled.
    let longest = Config::default().max_window_s;
    let (_, id) = p.book(&ask(0, longest), now);
    let id = id.expect("the longest window books");
    assert_eq!(p.index[&ModelKey("H100-80GB".into())].rows() as i64, longest / H);
    p.cancel(id, now).unwrap();
    assert_eq!(p.index[&ModelKey("H100-80GB".into())].rows(), 0);
}

#[test]
fn a_booking_kept_off_the_calendar_keeps_its_id() {
    let mut p = planner(2);
    let want = Want::Shape(ShapeKey::mig(&ModelKey("H100-80GB".into()), "7g.80gb"));
    let req = Request {
        project: "p".into(),
        owner: "o".into(),
        want,
        count: 2,
        window: w(0, H),
        mode: Mode::Reserved,
        priority: None,
    };
    let (_, id) = p.book(&req, Instant(0));
    let id = id.expect("two whole GPUs book");
    // A fleet without the second GPU cannot hold the booking: it is refused (archived), its id stays taken.
    let mut smaller = planner(1);
    let refused = smaller.restore_all(p.bookings().cloned());
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].1, crate::RestoreError::NoGpu { booking: id, gpu: GpuId { node: "n".into(), index: 1 } });
    assert!(smaller.next_id().0 > id.0, "{:?} would be given again", id);
    // Restoring it twice is its own error, and changes nothing.
    let booking = p.booking(id).unwrap().clone();
    let mut same = planner(2);
    same.restore(booking.clone()).unwrap();
    assert_eq!(same.restore(booking.clone()), Err(crate::RestoreError::AlreadyLoaded(id)));
    assert_eq!(same.check_invariants(), Ok(()));
    // A quota cut under it restores (quota is not placement) and breaks a quota invariant, not a placement one.
    let mut defs = p.definitions().clone();
    defs.projects.get_mut("p").unwrap().quotas.get_mut(&ModelKey("H100-80GB".into())).unwrap().nominal = Slices(8);
    let mut cut = Planner::new(Catalog::builtin(), defs, Config::default());
    cut.restore(booking).unwrap();
    let broken = cut.check_invariants().unwrap_err();
    assert!(broken.is_quota(), "{broken}");
    assert!(matches!(broken, crate::InvariantError::OverNominal { ref project, .. } if project == "p"), "{broken}");
}
