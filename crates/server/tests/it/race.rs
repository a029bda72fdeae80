//! Concurrency: 64 clients race for the last N devices; exactly N win, and availability agreed beforehand.

use std::sync::{Arc, Barrier};

use crate::{Harness, at, each_backend};

const RACE_FLEET: &str = "
kind: Node
name: race-node
gpus:
  - {model: A30-24GB, count: 1, reconfiguration: dynamic}
---
kind: Project
name: race
quota:
  - {model: A30-24GB, nominal: 1}
";

fn race(h: &Harness, clients: usize) {
    let (status, body) = h.admin().post_raw("/apply", RACE_FLEET, "application/yaml");
    assert_eq!(status, 200, "{body}");
    let q = format!("/availability?project=race&shape=A30-24GB/1g.6gb&from={}&to={}", at(2.0), at(6.0));
    let (status, body) = h.admin().get(&q);
    assert_eq!(status, 200, "{body}");
    let n = body["available"].as_u64().unwrap() as usize;
    assert_eq!(n, 4, "an A30 holds 4 × 1g.6gb");
    let member = h.token("racer", "member", &["race"]);
    let barrier = Arc::new(Barrier::new(clients));
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (api, barrier) = (member.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                api.book("race", "shape=A30-24GB/1g.6gb", 1, 2.0, 6.0, "reserved")
            })
        })
        .collect();
    let results: Vec<(u16, serde_json::Value)> = handles.into_iter().map(|t| t.join().unwrap()).collect();
    let won = results.iter().filter(|(s, _)| *s == 201).count();
    let lost = results.iter().filter(|(s, _)| *s == 409).count();
    assert_eq!((won, lost), (n, clients - n), "{results:?}");
    // Every winner holds a distinct placement.
    let mut slots: Vec<u64> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["placements"][0]["start_slot"].as_u64().unwrap())
        .collect();
    slots.sort();
    slots.dedup();
    assert_eq!(slots.len(), n);
    let (_, body) = h.admin().get(&q);
    assert_eq!(body["available"], 0);
    // Invariant 4 after the race: cancel one, and exactly one more fits.
    let id = results.iter().find(|(s, _)| *s == 201).unwrap().1["id"].as_str().unwrap().to_string();
    assert_eq!(member.delete(&format!("/bookings/{id}")).0, 200);
    assert_eq!(h.admin().get(&q).1["available"], 1);
    assert_eq!(member.book("race", "shape=A30-24GB/1g.6gb", 1, 2.0, 6.0, "reserved").0, 201);
    assert_eq!(member.book("race", "shape=A30-24GB/1g.6gb", 1, 2.0, 6.0, "reserved").0, 409);
}

#[test]
fn sixty_four_clients_race_for_the_last_devices_and_exactly_n_win() {
    each_backend(|h| race(&h, 64));
}

#[test]
fn availability_k_means_k_book_and_k_plus_one_fails() {
    each_backend(|h| {
        let member = h.token("alice", "member", &["team-a"]);
        // Some load first, so the count is not trivial.
        assert_eq!(member.book("team-a", "size=gpu-medium", 2, 1.0, 5.0, "reserved").0, 201);
        for (what, mode) in [
            ("size=gpu-small", "reserved"),
            ("shape=H100-80GB/1g.10gb", "reserved"),
            ("size=gpu-large", "opportunistic"),
        ] {
            let (key, value) = what.split_once('=').unwrap();
            let q = format!("/availability?project=team-a&{key}={value}&from={}&to={}&mode={mode}", at(2.0), at(4.0));
            let (status, body) = member.get(&q);
            assert_eq!(status, 200, "{body}");
            let k = body["available"].as_u64().unwrap() as u32;
            if k > 0 {
                let (s, b) = member.book("team-a", what, k, 2.0, 4.0, mode);
                assert_eq!(s, 201, "{what}: availability said {k}: {b}");
            }
            let (s, b) = member.book("team-a", what, 1, 2.0, 4.0, mode);
            assert_eq!(s, 409, "{what}: one more than availability must fail: {b}");
        }
    });
}
