//! The engine: the one writer. Requests queue up; each turn of the loop takes what is queued and, in order,
//! (1) snapshots the clock, (2) decides each write against the in-memory state, (3) persists all their
//! changes in one transaction and (4) answers them — only after the commit, so a 201 means durable. A write
//! is one of the closed set of [`command::Write`]s, decided in one `match`; each has a typed answer and an
//! [`Engine`] method that sends it (`book`, `cancel`, `apply`, `create_token`, `revoke_token`). Reads are
//! closures over `&State`, which cannot change it; they run between writes and see only committed state. Deciding one request at a time is what makes
//! overbooking impossible; committing many at once (group commit) is what makes it fast.
//!
//! When a commit fails nothing of the batch is acknowledged (every request of it gets a 503), the in-memory
//! state, which already holds the batch's decisions, is thrown away and reloaded from the database, and ids
//! keep counting from where they were, so none is ever given twice. If the reload fails too, the engine
//! refuses requests and tries again on the next one, so it recovers by itself once the database does. A
//! commit refused because another server took the writer's lock (`store::StoreError::Fenced`), or a lost
//! lock reported by [`Health::fence`], stops writes for good: this server is no longer the writer.

pub mod apply;
pub mod book;
pub mod command;
pub mod error;
mod health;
pub mod replay;
pub mod state;
pub mod tokens;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::{mpsc, oneshot};

use model::Instant;
use store::{Batch, Store};

use crate::auth::{Principal, Tokens};
use command::{Answer, Reply, Write};
use error::{Error, Unavailable};
pub use health::{Health, Writes};
use state::State;

/// At most this many requests are decided and committed together.
const MAX_BATCH: usize = 512;

/// The server's clock; tests set it.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(Arc<AtomicI64>),
}

impl Clock {
    pub fn now(&self) -> Instant {
        match self {
            Clock::System => Instant(jiff::Timestamp::now().as_second()),
            Clock::Fixed(t) => Instant(t.load(Ordering::SeqCst)),
        }
    }
}

type Read = Box<dyn FnOnce(&State, Instant) + Send>;

enum Op {
    Read(Read),
    Write(Box<Write>),
}

/// A handle to the engine, cloned into every request handler.
#[derive(Clone)]
pub struct Engine {
    tx: mpsc::UnboundedSender<Op>,
    pub clock: Clock,
    pub health: Arc<Health>,
}

impl Engine {
    /// Starts the engine loop on `state`, writing to `store`. It ends when every handle is dropped.
    pub fn start(
        state: State,
        store: Store,
        clock: Clock,
        metrics: Arc<crate::metrics::Metrics>,
        tokens: Tokens,
    ) -> (Engine, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let health = Arc::new(Health::default());
        let (catalog, config) = (state.catalog.clone(), state.config.clone());
        let shell = Shell { store, catalog, config, tokens, health: health.clone(), metrics };
        let task = tokio::spawn(run(state, shell, clock.clone(), rx));
        (Engine { tx, clock, health }, task)
    }

    /// Runs `f` on committed state.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&State, Instant) -> T + Send + 'static,
    ) -> Result<T, Unavailable> {
        let (done, wait) = oneshot::channel();
        let op = Op::Read(Box::new(move |s, now| {
            let _ = done.send(f(s, now));
        }));
        self.tx.send(op).map_err(|_| self.health.refusal())?;
        wait.await.map_err(|_| self.health.refusal())
    }

    /// Books (or replays the answer to an earlier request with the same idempotency key).
    pub async fn book(
        &self,
        who: Principal,
        request: api::rest::BookingRequest,
        key: Option<String>,
    ) -> Result<book::Booked, Error> {
        self.write(|reply| Write::Book { who, request, key, reply }).await
    }

    pub async fn cancel(&self, who: Principal, id: model::BookingId) -> Result<api::rest::BookingView, Error> {
        self.write(|reply| Write::Cancel { who, id, reply }).await
    }

    pub async fn apply(&self, who: Principal, request: apply::ApplyRequest) -> Result<apply::Applied, Error> {
        self.write(|reply| Write::Apply { who, request, reply }).await
    }

    /// A new token; it works once this answers (its row is committed).
    pub async fn create_token(
        &self,
        who: Principal,
        request: api::rest::TokenRequest,
    ) -> Result<api::rest::TokenCreated, Error> {
        self.write(|reply| Write::CreateToken { who, request, reply }).await
    }

    /// Revokes a token; it stops working once its deletion is committed.
    pub async fn revoke_token(&self, who: Principal, id: String) -> Result<(), Error> {
        self.write(|reply| Write::RevokeToken { who, id, reply }).await
    }

    /// Queues a write, and waits for its answer: given once its batch is committed.
    async fn write<T>(&self, make: impl FnOnce(Reply<T>) -> Write) -> Result<T, Error> {
        let (reply, wait) = oneshot::channel();
        self.tx.send(Op::Write(Box::new(make(reply)))).map_err(|_| self.health.refusal())?;
        wait.await.map_err(|_| self.health.refusal())?
    }
}

/// What the engine loop works with besides the state.
struct Shell {
    store: Store,
    catalog: model::Catalog,
    config: planner::Config,
    /// The token table every request authenticates against: changed as token writes commit, and set anew
    /// from the database on a reload.
    tokens: Tokens,
    health: Arc<Health>,
    metrics: Arc<crate::metrics::Metrics>,
}

async fn run(state: State, shell: Shell, clock: Clock, mut rx: mpsc::UnboundedReceiver<Op>) {
    let Shell { store, health, metrics, tokens, .. } = &shell;
    // `None` after a failed commit whose reload failed too: tried again on the next request.
    let mut state = Some(state);
    let mut next_id = model::BookingId(1);
    let mut ops = Vec::new();
    while let Some(first) = rx.recv().await {
        ops.push(first);
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        if state.is_none() {
            state = reload(&shell, next_id).await;
        }
        let Some(mut current) = state.take() else {
            // Dropping an op drops its answer channel: its request gets the health's refusal.
            ops.clear();
            continue;
        };
        let now = clock.now();
        let mut batch = Batch::default();
        let mut answers: Vec<Answer> = Vec::new();
        let mut failed = false;
        for op in ops.drain(..) {
            if failed {
                continue; // refused: the state is being reloaded
            }
            match op {
                Op::Read(f) => {
                    if !answers.is_empty() {
                        failed = !flush(store, &mut batch, &mut answers, health).await;
                        if failed {
                            continue;
                        }
                    }
                    f(&current, now);
                }
                Op::Write(_) if health.is_fenced() => {}
                Op::Write(w) => {
                    let started = std::time::Instant::now();
                    let (b, answer) = w.decide(&mut current, tokens, now);
                    metrics.decide.observe(started.elapsed());
                    batch.append(b);
                    answers.push(answer);
                }
            }
        }
        if !failed && !answers.is_empty() {
            let started = std::time::Instant::now();
            failed = !flush(store, &mut batch, &mut answers, health).await;
            metrics.commit.observe(started.elapsed());
        }
        next_id = next_id.max(current.planner.next_id());
        state = if failed {
            // The state holds decisions the database does not: throw it away.
            drop(current);
            reload(&shell, next_id).await
        } else {
            Some(current)
        };
    }
}

/// Commits the batch, then answers. If the commit fails, nothing was acknowledged: every waiting request
/// gets a 503, and `false` tells the caller to reload the state. A connection that failed is closed by the
/// store, never reused.
async fn flush(store: &Store, batch: &mut Batch, answers: &mut Vec<Answer>, health: &Health) -> bool {
    let empty = batch.is_empty();
    let result = store.commit(batch).await;
    *batch = Batch::default();
    match result {
        Ok(()) => {
            // An empty batch (refusals, replays) wrote nothing, so it proves nothing about writing.
            if !empty {
                health.set(Writes::Ok);
            }
            for a in answers.drain(..) {
                a(Ok(()));
            }
            true
        }
        Err(e) => {
            tracing::error!("commit failed, nothing acknowledged: {e}");
            let refusal = if e.is_fenced() {
                health.set(Writes::Fenced(e.to_string()));
                Unavailable::Fenced(e.to_string())
            } else {
                health.set(Writes::Failing(e.to_string()));
                Unavailable::CommitFailed
            };
            for a in answers.drain(..) {
                a(Err(Error::Unavailable(refusal.clone())));
            }
            false
        }
    }
}

/// The committed state, from the database, counting ids on from `next_id`. `None` (logged, and the health
/// says so) when the database cannot be read.
async fn reload(shell: &Shell, next_id: model::BookingId) -> Option<State> {
    let Shell { store, catalog, config, tokens, health, .. } = shell;
    let loaded = match store.load().await {
        Ok(snap) => {
            let stored = snap.tokens.iter().filter_map(|r| crate::auth::principal_of(r).map(|p| (r.hash.clone(), p)));
            tokens.replace_all(stored.collect());
            State::load(snap, catalog.clone(), config.clone(), false).map(|(s, _)| s).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    match loaded {
        Ok(mut s) => {
            s.planner.skip_ids_below(next_id);
            Some(s)
        }
        Err(e) => {
            tracing::error!("reloading the state failed; retrying on the next request: {e}");
            health.set(Writes::Failing(format!("reloading the state: {e}")));
            None
        }
    }
}
