//! The engine: the one writer. Requests queue up; each turn of the loop takes what is queued and, in order,
//! (1) snapshots the clock, (2) decides each write against the in-memory state, (3) persists all their
//! changes in one transaction and (4) answers them — only after the commit, so a 201 means durable. Reads
//! run between writes and see only committed state. Deciding one request at a time is what makes
//! overbooking impossible; committing many at once (group commit) is what makes it fast.

pub mod apply;
pub mod book;
pub mod state;
pub mod tokens;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::{mpsc, oneshot};

use model::Instant;
use store::{Batch, Store};

use crate::error::AppError;
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
/// A write decides against the state and returns what to persist and how to answer once it is persisted.
type Write = Box<dyn FnOnce(&mut State, Instant) -> (Batch, Answer) + Send>;
type Answer = Box<dyn FnOnce(Result<(), AppError>) + Send>;

enum Op {
    Read(Read),
    Write(Write),
}

/// A handle to the engine, cloned into every request handler.
#[derive(Clone)]
pub struct Engine {
    tx: mpsc::UnboundedSender<Op>,
    pub clock: Clock,
}

impl Engine {
    /// Starts the engine loop on `state`, writing to `store`. It ends when every handle is dropped.
    pub fn start(
        state: State,
        store: Store,
        clock: Clock,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> (Engine, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(state, store, clock.clone(), rx, metrics));
        (Engine { tx, clock }, task)
    }

    /// Runs `f` on committed state.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&State, Instant) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, wait) = oneshot::channel();
        let op = Op::Read(Box::new(move |s, now| {
            let _ = done.send(f(s, now));
        }));
        self.tx.send(op).map_err(|_| AppError::unavailable("the server is shutting down"))?;
        wait.await.map_err(|_| AppError::unavailable("the server is shutting down"))
    }

    /// Runs `f`, persists the batch it returns and only then gives its answer.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut State, Instant) -> Result<(T, Batch), AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, wait) = oneshot::channel::<Result<T, AppError>>();
        let op = Op::Write(Box::new(move |s, now| match f(s, now) {
            Ok((value, batch)) => {
                let answer: Answer = Box::new(move |committed| {
                    let _ = done.send(committed.map(|()| value));
                });
                (batch, answer)
            }
            Err(e) => (Batch::default(), Box::new(move |_| drop(done.send(Err(e))))),
        }));
        self.tx.send(op).map_err(|_| AppError::unavailable("the server is shutting down"))?;
        wait.await.map_err(|_| AppError::unavailable("the server is shutting down"))?
    }
}

async fn run(
    mut state: State,
    store: Store,
    clock: Clock,
    mut rx: mpsc::UnboundedReceiver<Op>,
    metrics: Arc<crate::metrics::Metrics>,
) {
    let mut ops = Vec::new();
    while let Some(first) = rx.recv().await {
        ops.push(first);
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let now = clock.now();
        let mut batch = Batch::default();
        let mut answers: Vec<Answer> = Vec::new();
        for op in ops.drain(..) {
            match op {
                Op::Read(f) => {
                    if !answers.is_empty() {
                        let Some(s) = flush(state, &store, &mut batch, &mut answers).await else { return };
                        state = s;
                    }
                    f(&state, now);
                }
                Op::Write(f) => {
                    let started = std::time::Instant::now();
                    let (b, answer) = f(&mut state, now);
                    metrics.decide.observe(started.elapsed());
                    batch.append(b);
                    answers.push(answer);
                }
            }
        }
        if !answers.is_empty() {
            let started = std::time::Instant::now();
            let Some(s) = flush(state, &store, &mut batch, &mut answers).await else { return };
            state = s;
            metrics.commit.observe(started.elapsed());
        }
    }
}

/// Commits the batch, then answers. If the commit fails, nothing was acknowledged: every waiting request
/// gets a 503 and the state is reloaded from the database, which still holds the truth. If even that fails,
/// the engine stops (`None`) rather than serve decisions the database does not hold.
async fn flush(state: State, store: &Store, batch: &mut Batch, answers: &mut Vec<Answer>) -> Option<State> {
    let result = store.commit(batch).await;
    *batch = Batch::default();
    match result {
        Ok(()) => {
            for a in answers.drain(..) {
                a(Ok(()));
            }
            Some(state)
        }
        Err(e) => {
            tracing::error!("commit failed, nothing acknowledged: {e}");
            for a in answers.drain(..) {
                a(Err(AppError::unavailable("the database did not accept the change; retry")));
            }
            let reloaded = match store.load().await {
                Ok(snap) => State::load(snap, state.catalog.clone(), state.config.clone(), false).map(|(s, _)| s),
                Err(e) => Err(e.to_string()),
            };
            reloaded.map_err(|e| tracing::error!("reloading after a failed commit failed too; stopping: {e}")).ok()
        }
    }
}
