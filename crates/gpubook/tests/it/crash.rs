//! Invariant 5: every acknowledged booking survives `kill -9` and a restart, on SQLite and PostgreSQL, and
//! the restored calendar holds no two devices on the same units of a GPU at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::server::Server;

fn stream(url: String, token: String, worker: usize, stop: Arc<AtomicBool>, acked: Arc<Mutex<Vec<String>>>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let hour = jiff::Timestamp::now().as_second() / 3600 + 2;
    let mut i = 0i64;
    while !stop.load(Ordering::SeqCst) {
        // Each worker walks its own hours, so bookings keep fitting.
        let start = (hour + i * 4 + worker as i64) * 3600;
        let body = json!({
            "project": "team-a", "shape": "H100-80GB/1g.10gb", "count": 2,
            "start": jiff::Timestamp::from_second(start).unwrap().to_string(),
            "end": jiff::Timestamp::from_second(start + 3600).unwrap().to_string(),
        });
        let resp = agent
            .post(format!("{url}/api/v1/bookings"))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(&body);
        match resp {
            Ok(mut r) if r.status() == 201 => {
                let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
                acked.lock().unwrap().push(v["id"].as_str().unwrap().to_string());
            }
            Ok(r) => assert!(r.status() == 409 || r.status() == 503, "unexpected {}", r.status()),
            Err(_) => return, // the server is gone
        }
        i += 1;
    }
}

fn crash_and_recover(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), database_url);
    let (url, token) = (server.url.clone(), server.token.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (url, token, stop, acked) = (url.clone(), token.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || stream(url, token, w, stop, acked))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let (data_dir, db) = server.kill();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "the stream was running when the server died ({} acknowledged)", acked.len());

    let server = Server::spawn(&data_dir, db.as_deref());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent
        .get(format!("{}/api/v1/bookings", server.url))
        .header("Authorization", format!("Bearer {}", server.token))
        .call()
        .unwrap();
    let all: Vec<Value> = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|b| b["id"].as_str().unwrap()).collect();
    for id in &acked {
        assert!(ids.contains(id.as_str()), "acknowledged booking {id} was lost in the crash");
    }
    // No two holding devices share a 1g.10gb slot of a GPU in overlapping windows.
    let mut used: BTreeMap<(String, u64, u64, String), &str> = BTreeMap::new();
    for b in all.iter().filter(|b| b["status"] == "confirmed") {
        for p in b["placements"].as_array().unwrap() {
            let key = (
                p["node"].as_str().unwrap().to_string(),
                p["gpu"].as_u64().unwrap(),
                p["start_slot"].as_u64().unwrap(),
                b["start"].as_str().unwrap().to_string(),
            );
            if let Some(other) = used.insert(key.clone(), b["id"].as_str().unwrap()) {
                panic!("{other} and {} share {key:?}", b["id"]);
            }
        }
    }
    assert_eq!(server.terminate().code(), Some(0), "a graceful stop exits 0");
}

#[test]
fn acknowledged_bookings_survive_kill_9_on_sqlite() {
    crash_and_recover(None);
}

#[test]
fn acknowledged_bookings_survive_kill_9_on_postgres() {
    if !store::scratch::backends().contains(&"postgres") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(store::scratch::ScratchDb::new("postgres"));
    crash_and_recover(Some(&db.url));
    rt.block_on(db.drop_db());
}
