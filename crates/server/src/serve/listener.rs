//! The HTTP listener: hyper's HTTP/1 on each accepted connection, with a header-read timeout, a request
//! timeout and a cap on open connections, and a graceful shutdown.
//!
//! **The cap.** At most [`HttpLimits::max_connections`] connections are open at once, which keeps the process
//! below its open-files limit (`ulimit -n`) whatever clients do. A connection beyond the cap is accepted and
//! makes room: the oldest connection with no request in progress (an idle keep-alive connection, or one that
//! has not sent a whole request head yet) is closed at once. So a flood of idle or half-sent connections
//! cannot keep a health probe or a user out: each new connection pushes out the oldest idle one. Only when
//! every connection has a request in progress does a new one wait (in the kernel's accept queue); then the
//! oldest is asked to finish its request and close, and is closed anyway after the request timeout.
//!
//! **Timeouts.** A connection that does not send a whole request head within
//! [`HttpLimits::header_timeout`] of opening, or of its previous answer (keep-alive), is closed. A request
//! not answered within [`HttpLimits::request_timeout`] (reading its body included) gets a 503 with the code
//! `timeout`; a change it asked the engine for may still have been made, as after a lost connection.
//!
//! **Shutdown.** The listener closes, idle connections close at once, and requests in progress finish (or
//! are cut off after the request timeout).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::response::IntoResponse;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// Limits of the HTTP listener (`gpubook serve --header-timeout --request-timeout --max-connections`).
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// A connection must send a whole request head within this long of opening or of its previous answer.
    pub header_timeout: Duration,
    /// A request must be answered (its body read and its answer begun) within this long.
    pub request_timeout: Duration,
    /// At most this many connections are open at once; keep it well below the open-files limit.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// An open connection, as the accept loop sees it.
#[derive(Default)]
struct Conn {
    /// Requests from their head being read until their answer's body is sent (or dropped).
    in_flight: AtomicUsize,
    /// Asked to close (to make room, or at shutdown).
    asked: AtomicBool,
    close: Notify,
}

impl Conn {
    fn ask_to_close(&self) {
        self.asked.store(true, Ordering::SeqCst);
        self.close.notify_one();
    }
}

/// The open connections by age (accept order).
#[derive(Default)]
struct Open(Mutex<BTreeMap<u64, Arc<Conn>>>);

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the oldest idle connection to close, else the oldest busy one; none when all are asked already.
    fn make_room(&self) {
        let open = self.lock();
        let not_asked = || open.values().filter(|c| !c.asked.load(Ordering::SeqCst));
        let idle = not_asked().find(|c| c.in_flight.load(Ordering::SeqCst) == 0);
        if let Some(c) = idle.or_else(|| not_asked().next()) {
            c.ask_to_close();
        }
    }

    fn close_all(&self) {
        self.lock().values().for_each(|c| c.ask_to_close());
    }
}

/// A connection's place: its entry in [`Open`] and its permit, both given back when it ends (or panics).
struct Place {
    id: u64,
    open: Arc<Open>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.open.lock().remove(&self.id);
    }
}

/// Serves `router` on `listener` until `stop` completes, then shuts down gracefully; returns once every
/// connection is closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    stop: impl Future<Output = ()> + Send,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let permits = Arc::new(Semaphore::new(max));
    let open = Arc::new(Open::default());
    let mut next_id = 0u64;
    tokio::pin!(stop);
    'accept: loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted: try again soon.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(50)) => continue,
                        () = &mut stop => break,
                    }
                }
            },
            () = &mut stop => break,
        };
        let permit = loop {
            if let Ok(p) = permits.clone().try_acquire_owned() {
                break p;
            }
            open.make_room();
            tokio::select! {
                p = permits.clone().acquire_owned() => break p.expect("the semaphore is never closed"),
                // The one asked turned busy before it saw the request: ask another.
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
                () = &mut stop => break 'accept,
            }
        };
        next_id += 1;
        let conn = Arc::new(Conn::default());
        open.lock().insert(next_id, conn.clone());
        let place = Place { id: next_id, open: open.clone(), _permit: permit };
        let (router, limits) = (router.clone(), limits.clone());
        tokio::spawn(async move {
            connection(stream, router, &limits, &conn).await;
            drop(place);
        });
    }
    drop(listener);
    open.close_all();
    let _ = permits.acquire_many(max as u32).await;
}

/// Serves one connection until it ends, or until it is asked to close: at once when idle, else after its
/// request in progress (or the request timeout, whichever is first).
async fn connection(stream: TcpStream, router: Router, limits: &HttpLimits, conn: &Arc<Conn>) {
    let _ = stream.set_nodelay(true);
    let answer = Answer { router: TowerToHyperService::new(router), conn: conn.clone(), limit: limits.request_timeout };
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), answer);
    tokio::pin!(http);
    let cut_off = tokio::time::sleep(Duration::MAX);
    tokio::pin!(cut_off);
    let mut closing = false;
    loop {
        tokio::select! {
            done = http.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!("connection: {e}");
                }
                return;
            }
            () = conn.close.notified(), if !closing => {
                if conn.in_flight.load(Ordering::SeqCst) == 0 {
                    return;
                }
                http.as_mut().graceful_shutdown();
                cut_off.as_mut().reset(tokio::time::Instant::now() + limits.request_timeout);
                closing = true;
            }
            () = &mut cut_off, if closing => return,
        }
    }
}

/// Counts a request in progress on its connection while it lives.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn enter(conn: Arc<Conn>) -> InFlight {
        conn.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The router with the request timeout, counting requests in progress.
struct Answer {
    router: TowerToHyperService<Router>,
    conn: Arc<Conn>,
    limit: Duration,
}

type Answered = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Answer {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answered;

    fn call(&self, req: Request<Incoming>) -> Answered {
        // Counted from here (the connection's own task), so a close request never cuts this one off.
        let in_flight = InFlight::enter(self.conn.clone());
        let api = req.uri().path().starts_with("/api/");
        let answer = self.router.call(req);
        let limit = self.limit;
        Box::pin(async move {
            let resp = match tokio::time::timeout(limit, answer).await {
                Ok(Ok(resp)) => resp,
                Ok(Err(never)) => match never {},
                Err(_) => timed_out(api, limit),
            };
            // Still in progress until the body is sent or dropped.
            Ok(resp.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _counted = &in_flight;
                    frame
                }))
            }))
        })
    }
}

fn timed_out(api: bool, limit: Duration) -> Response<Body> {
    let message = format!(
        "no answer within {}s; a change this request asked for may or may not have been made",
        limit.as_secs_f64()
    );
    if api {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", message).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
    }
}
