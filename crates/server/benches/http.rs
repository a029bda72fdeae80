//! Booking throughput and latency over HTTP with concurrent clients, on SQLite and (when
//! `GPUBOOK_TEST_PG` is set) PostgreSQL. Baselines from the same run: `GET /api/v1/whoami` with the same
//! clients (the HTTP and auth floor: no engine, no database) and booking with a single client (no group
//! commit to share).
//!
//! `cargo bench -p server --bench http` (`-- --quick` for a short run).

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use store::scratch::ScratchDb;

const FLEET: &str = "
kind: Node
name: bench
gpus:
  - {model: H100-80GB, count: 64, reconfiguration: dynamic}
---
kind: Project
name: bench
quota:
  - {model: H100-80GB, nominal: 64}
";

/// 2026-11-23T08:00:00Z; the bench clock stands still there.
const T0: i64 = 1_795_420_800;

struct Run {
    requests: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    created: usize,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// `clients` threads, each sending `per_client` requests made by `request(client, i)`.
fn drive(
    clients: usize,
    per_client: usize,
    request: impl Fn(&ureq::Agent, usize, usize) -> u16 + Send + Sync + 'static,
) -> Run {
    let request = Arc::new(request);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (request, barrier) = (request.clone(), barrier.clone());
            std::thread::spawn(move || {
                let agent = agent();
                barrier.wait();
                let mut lat = Vec::with_capacity(per_client);
                let mut created = 0;
                for i in 0..per_client {
                    let t = Instant::now();
                    if request(&agent, c, i) == 201 {
                        created += 1;
                    }
                    lat.push(t.elapsed());
                }
                (lat, created)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut all: Vec<Duration> = Vec::new();
    let mut created = 0;
    for t in threads {
        let (lat, c) = t.join().unwrap();
        all.extend(lat);
        created += c;
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    Run { requests: all.len(), seconds, p50_ms: pct(0.50), p99_ms: pct(0.99), created }
}

fn bench(backend: &'static str, clients: usize, per_client: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db = rt.block_on(ScratchDb::new(backend));
    let data_dir = std::env::temp_dir().join(format!("gpubook-bench-{}-{backend}", std::process::id()));
    let cfg = server::ServeConfig {
        data_dir: data_dir.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(db.url.clone()),
        demo: false,
        catalog: model::Catalog::builtin(),
        planner: planner::Config::default(),
        clock: server::engine::Clock::Fixed(Arc::new(AtomicI64::new(T0))),
        k8s: Default::default(),
        kubernetes: None,
        http: Default::default(),
        lock_check: server::serve::LOCK_CHECK,
    };
    let running = rt.block_on(server::start(cfg)).unwrap();
    let token = running.admin_token.clone().unwrap();
    let base = format!("http://{}", running.addr);
    let resp = agent()
        .post(format!("{base}/api/v1/apply"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/yaml")
        .send(FLEET)
        .unwrap();
    assert_eq!(resp.status(), 200);

    let (url, auth) = (format!("{base}/api/v1/whoami"), format!("Bearer {token}"));
    let floor = drive(clients, per_client, move |a, _, _| {
        a.get(&url).header("Authorization", &auth).call().map_or(0, |r| r.status().as_u16())
    });
    let book = |offset: usize, clients: usize| {
        let (url, token) = (format!("{base}/api/v1/bookings"), token.clone());
        move |a: &ureq::Agent, c: usize, i: usize| {
            // Each request its own hour, spread over 80 days: they keep fitting, as a busy calendar does.
            let hour = ((offset + i * clients + c) % (80 * 24)) as i64;
            let start = T0 + 3600 + hour * 3600;
            let body = serde_json::json!({
                "project": "bench", "shape": "H100-80GB/1g.10gb", "count": 1,
                "start": model::Instant(start).to_string(), "end": model::Instant(start + 3600).to_string(),
            });
            a.post(&url)
                .header("Authorization", format!("Bearer {token}"))
                .send_json(&body)
                .map_or(0, |r| r.status().as_u16())
        }
    };
    let single = drive(1, per_client.min(400), book(0, 1));
    let many = drive(clients, per_client, book(1_000_000, clients));
    let rate = |r: &Run| r.requests as f64 / r.seconds;
    println!(
        "{backend:8} whoami floor, {clients:3} clients: {:7.0} req/s   p50 {:6.2} ms  p99 {:6.2} ms",
        rate(&floor),
        floor.p50_ms,
        floor.p99_ms
    );
    println!(
        "{backend:8} book, 1 client    : {:7.0} bookings/s  p50 {:6.2} ms  p99 {:6.2} ms  ({} of {} created)",
        rate(&single),
        single.p50_ms,
        single.p99_ms,
        single.created,
        single.requests
    );
    println!(
        "{backend:8} book, {clients:3} clients: {:7.0} bookings/s  p50 {:6.2} ms  p99 {:6.2} ms  ({} of {} created)",
        rate(&many),
        many.p50_ms,
        many.p99_ms,
        many.created,
        many.requests
    );
    println!(
        "{backend:8} ratios: concurrent booking = {:.2}× the single client, {:.2}× the whoami floor",
        rate(&many) / rate(&single),
        rate(&many) / rate(&floor)
    );
    rt.block_on(running.stop());
    rt.block_on(db.drop_db());
    let _ = std::fs::remove_dir_all(data_dir);
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (clients, per_client) = if quick { (16, 100) } else { (32, 500) };
    bench("sqlite", clients, per_client);
    if std::env::var(store::scratch::PG_ENV).is_ok() {
        bench("postgres", clients, per_client);
    } else {
        println!("postgres: skipped ({} is not set)", store::scratch::PG_ENV);
    }
}
