//! Storage faults end to end: a full disk never yields a 201 for what was not stored, never gives an id
//! twice, and the server recovers by itself when space returns.

use std::collections::BTreeSet;

use crate::{Harness, at};

#[test]
fn a_full_disk_answers_503_never_a_false_201_and_the_server_recovers() {
    let Some(disk) = store::scratch::SmallDisk::mount(1200 * 1024) else { return };
    let mut h = Harness::start_on_sqlite(format!("sqlite://{}", disk.path.join("gpubook.db").display()));
    let admin = h.admin();
    let book = |i: usize| {
        let from = 1.0 + i as f64 * 0.25;
        admin.post(
            "/bookings",
            &serde_json::json!({"project": "team-a", "size": "gpu-tiny", "start": at(from), "end": at(from + 0.25)}),
        )
    };
    let mut stored = BTreeSet::new();
    let (mut refused, mut i) = (0, 0);
    while refused < 12 && i < 2500 {
        let (status, body) = book(i);
        i += 1;
        match status {
            201 => {
                let id = body["id"].as_str().unwrap().to_string();
                assert!(stored.insert(id.clone()), "{id} was given twice");
            }
            503 => refused += 1,
            other => panic!("booking {i}: {other} {body}"),
        }
    }
    assert!(refused > 0, "the disk never filled after {i} bookings");
    let (status, text) = admin.root_get("/healthz");
    assert_eq!(status, 503, "healthz while the disk is full: {text}");
    let (status, ready) = admin.root_get("/readyz");
    assert_eq!(status, 503, "{ready}");
    assert!(ready.contains(r#""writes":"failing""#), "{ready}");

    // Space returns: healthy again (a probe write goes through) and booking again, without a restart.
    disk.resize(64 << 20);
    assert_eq!(admin.root_get("/healthz").0, 200);
    let (status, body) = book(i + 10);
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    assert!(stored.insert(id.clone()), "{id} was given twice");

    // Every acknowledged booking is stored.
    h.restart();
    let admin = h.admin();
    let (_, listed) = admin.get("/bookings?project=team-a");
    let ids: BTreeSet<String> =
        listed.as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, stored, "the stored bookings are exactly the acknowledged ones");
    drop(h);
    drop(disk);
}

#[test]
fn a_writer_that_loses_its_postgres_lock_stops_writing_and_another_takes_over() {
    if !store::scratch::backends().contains(&"postgres") {
        return;
    }
    let h = Harness::start("postgres");
    let admin = h.admin();
    let ask = |from: f64| serde_json::json!({"project": "team-a", "size": "gpu-tiny", "start": at(from), "end": at(from + 1.0)});
    assert_eq!(admin.post("/bookings", &ask(1.0)).0, 201);
    assert!(h.another_server().is_err(), "a second writer must not start while the first holds the lock");

    h.rt.block_on(store::scratch::terminate_lock_sessions(&h.database_url()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while admin.root_get("/healthz").0 == 200 {
        assert!(std::time::Instant::now() < deadline, "the lost lock was never noticed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (status, ready) = admin.root_get("/readyz");
    assert_eq!(status, 503);
    assert!(ready.contains(r#""writes":"fenced""#), "{ready}");
    let (status, body) = admin.post("/bookings", &ask(2.0));
    assert_eq!(status, 503, "the old writer must refuse: {body}");

    // A new server takes over the database and books; the old one still refuses.
    let next = h.another_server().expect("the new writer starts");
    let next_admin = crate::harness::Api::at(next.addr, &admin.token);
    let (status, body) = next_admin.post("/bookings", &ask(3.0));
    assert_eq!(status, 201, "{body}");
    assert_eq!(admin.post("/bookings", &ask(4.0)).0, 503);
    let (_, listed) = next_admin.get("/bookings?project=team-a");
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    h.rt.block_on(next.stop());
}

#[test]
fn a_second_server_on_the_same_sqlite_file_is_refused_whatever_its_data_directory() {
    let h = Harness::start("sqlite");
    let err = h.another_server().err().expect("one database file, one writer");
    assert!(err.to_string().contains("another gpubook server"), "{err}");
}

#[test]
fn a_window_to_the_end_of_time_is_refused_at_once() {
    let h = Harness::start("sqlite");
    // team-b sets no maxDuration: the server's own bound applies.
    let bob = h.token("bob", "member", &["team-b"]);
    let ask =
        serde_json::json!({"project": "team-b", "size": "gpu-tiny", "start": at(1.0), "end": "9999-12-30T00:00:00Z"});
    let (status, body) = bob.post("/bookings", &ask);
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["reasons"][0]["code"], "too-long", "{body}");
    let (status, body) =
        bob.get(&format!("/availability?project=team-b&size=gpu-tiny&start={}&end=9999-12-30T00:00:00Z", at(1.0)));
    // Answered at once, without counting over 8,000 years: nothing available, and why.
    assert_eq!((status, &body["available"]), (200, &serde_json::json!(0)), "{body}");
    assert_eq!(body["reasons"][0]["code"], "too-long", "{body}");
    let (status, body) = bob.post(
        "/bookings",
        &serde_json::json!({"project": "team-b", "size": "gpu-tiny",
        "start": "2026-11-23T09:00:00.999999Z", "end": at(3.0)}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("fraction"), "{body}");
}

#[test]
fn a_replaced_writer_is_refused_by_the_epoch_check_of_its_own_commit() {
    if !store::scratch::backends().contains(&"postgres") {
        return;
    }
    let mut h = Harness::start("postgres");
    // The lock's watcher looks only once an hour: the old writer learns it was replaced from its commit.
    h.lock_check = std::time::Duration::from_secs(3600);
    h.restart();
    let admin = h.admin();
    let ask = |from: f64| serde_json::json!({"project": "team-a", "size": "gpu-tiny", "start": at(from), "end": at(from + 1.0)});
    assert_eq!(admin.post("/bookings", &ask(1.0)).0, 201);
    h.rt.block_on(store::scratch::terminate_lock_sessions(&h.database_url()));
    let next = h.another_server().expect("the new writer takes the lock");
    assert_eq!(admin.root_get("/healthz").0, 200, "the old writer does not know yet");
    let (status, body) = admin.post("/bookings", &ask(2.0));
    assert_eq!(status, 503, "the old writer must not commit: {body}");
    let (status, ready) = admin.root_get("/readyz");
    assert_eq!(status, 503);
    assert!(ready.contains(r#""writes":"fenced""#) && ready.contains("no longer the writer"), "{ready}");
    assert_eq!(admin.post("/bookings", &ask(3.0)).0, 503, "fenced for good");
    let next_admin = crate::harness::Api::at(next.addr, &admin.token);
    let (_, listed) = next_admin.get("/bookings?project=team-a");
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing of the old writer landed after the takeover: {listed}");
    h.rt.block_on(next.stop());
}
