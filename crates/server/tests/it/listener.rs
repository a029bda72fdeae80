//! The HTTP listener under slow and idle clients: the header-read timeout, the request timeout, the
//! connection cap, and a shutdown that does not wait for idle connections. Every wait here is bounded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use server::serve::HttpLimits;

use crate::Harness;

fn limits(header_ms: u64, request_ms: u64, max_connections: usize) -> HttpLimits {
    HttpLimits {
        header_timeout: Duration::from_millis(header_ms),
        request_timeout: Duration::from_millis(request_ms),
        max_connections,
    }
}

/// A raw connection to the harness's server that has sent `bytes`.
fn open(h: &Harness, bytes: &str) -> TcpStream {
    let mut s = TcpStream::connect(h.url.trim_start_matches("http://")).unwrap();
    s.write_all(bytes.as_bytes()).unwrap();
    s
}

/// Everything the server sends until it closes the connection, or `None` if it is still open after `wait`.
fn until_closed(s: &mut TcpStream, wait: Duration) -> Option<String> {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())?;
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&got).into_owned());
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return None;
            }
            Err(e) => panic!("reading: {e}"),
        }
    }
}

fn healthz(h: &Harness, timeout: Duration) -> Result<u16, String> {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build().into();
    agent.get(format!("{}/healthz", h.url)).call().map(|r| r.status().as_u16()).map_err(|e| e.to_string())
}

#[test]
fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let h = Harness::start_with("sqlite", limits(500, 60_000, 512));
    let started = Instant::now();
    let mut half = open(&h, "GET /healthz HTT");
    let answer = until_closed(&mut half, Duration::from_secs(5)).expect("closed within 5s");
    assert!(started.elapsed() >= Duration::from_millis(400), "closed after the timeout, not before");
    assert!(!answer.contains("200 OK"), "{answer}");
    // An idle keep-alive connection is closed the same way after its answer.
    let mut kept = open(&h, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let answer = until_closed(&mut kept, Duration::from_secs(5)).expect("closed within 5s");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A client that sends its request in time is answered.
    assert_eq!(healthz(&h, Duration::from_secs(5)), Ok(200));
}

#[test]
fn beyond_the_cap_the_oldest_idle_connection_makes_room() {
    let h = Harness::start_with("sqlite", limits(30_000, 60_000, 2));
    let mut oldest = open(&h, "GET /healthz HT");
    std::thread::sleep(Duration::from_millis(100));
    let _newer = open(&h, "");
    std::thread::sleep(Duration::from_millis(100));
    // Two half-open connections fill the cap; a probe still gets in at once, and the oldest is closed.
    let started = Instant::now();
    assert_eq!(healthz(&h, Duration::from_secs(5)), Ok(200));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(until_closed(&mut oldest, Duration::from_secs(2)).is_some(), "the oldest idle connection is closed");
    // Hundreds of idle connections against a cap of 2: probes keep working.
    let idle: Vec<TcpStream> = (0..300).map(|_| open(&h, "GET / HTTP/1.1\r\n")).collect();
    for _ in 0..3 {
        assert_eq!(healthz(&h, Duration::from_secs(5)), Ok(200));
    }
    drop(idle);
}

#[test]
fn when_every_connection_is_busy_new_ones_wait_at_most_the_request_timeout() {
    let h = Harness::start_with("sqlite", limits(30_000, 1_500, 2));
    // Two requests whose bodies never finish: both connections have a request in progress.
    let slow_api = format!(
        "POST /api/v1/bookings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"project\":",
        h.admin
    );
    let mut first = open(&h, &slow_api);
    let mut second = open(&h, &slow_api);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(healthz(&h, Duration::from_secs(10)), Ok(200));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(700), "the probe waited for a slot ({waited:?})");
    assert!(waited < Duration::from_secs(5), "at most about the request timeout ({waited:?})");
    // The requests cut off got the timeout, in the API's error format.
    for conn in [&mut first, &mut second] {
        let answer = until_closed(conn, Duration::from_secs(5)).expect("closed");
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    }
}

#[test]
fn stopping_does_not_wait_for_idle_connections() {
    let h = Harness::start_with("sqlite", limits(60_000, 60_000, 512));
    let _idle = open(&h, "");
    let _half = open(&h, "GET /healthz HTTP/1.1\r\n");
    std::thread::sleep(Duration::from_millis(100));
    let (tx, rx) = std::sync::mpsc::channel();
    let started = Instant::now();
    // On its own thread, so that a stop that hangs fails this test instead of hanging it.
    std::thread::spawn(move || {
        let mut h = h;
        h.restart();
        let _ = tx.send(h);
    });
    let h = rx.recv_timeout(Duration::from_secs(5)).expect("the server stops within 5s");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(healthz(&h, Duration::from_secs(5)), Ok(200));
}
