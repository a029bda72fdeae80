//! The closed set of writes. Every change to gpubook's state is one [`Write`], decided in the one `match`
//! of [`Write::decide`]; the engine loop persists what it returns and answers only after the commit. Reads
//! are closures over `&State`: they cannot change it.

use tokio::sync::oneshot;

use api::rest::{BookingRequest, BookingView, TokenCreated, TokenRequest};
use model::{BookingId, Instant};
use store::Batch;

use super::apply::{Applied, ApplyRequest};
use super::book::Booked;
use super::error::Error;
use super::state::State;
use crate::auth::{Principal, Tokens};

/// Where a write's answer goes once its batch is committed (or refused).
pub type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// Every change to the state.
pub enum Write {
    /// Book devices for a window (or replay an earlier answer to the same `Idempotency-Key`).
    Book { who: Principal, request: BookingRequest, key: Option<String>, reply: Reply<Booked> },
    /// Cancel a booking: its devices and quota are free from now on.
    Cancel { who: Principal, id: BookingId, reply: Reply<BookingView> },
    /// Create, replace or delete declared objects (fleet, sizes, cohorts, projects); re-plans bookings and
    /// revokes the tokens of deleted projects.
    Apply { who: Principal, request: ApplyRequest, reply: Reply<Applied> },
    /// Issue an API token.
    CreateToken { who: Principal, request: TokenRequest, reply: Reply<TokenCreated> },
    /// Revoke an API token.
    RevokeToken { who: Principal, id: String, reply: Reply<()> },
}

/// What the engine does with a decided write once its batch's commit is known.
pub(super) type Answer = Box<dyn FnOnce(Result<(), Error>) + Send>;

impl Write {
    /// Decides the write against the state at `now`: what to persist, and how to answer once it is. The
    /// shared token table (`tokens`, read by every request's authentication) changes here, once the commit
    /// is durable, whether or not the request still waits for its answer.
    pub(super) fn decide(self, state: &mut State, tokens: &Tokens, now: Instant) -> (Batch, Answer) {
        match self {
            Write::Book { who, request, key, reply } => {
                settle(state.book(&who, &request, key.as_deref(), now), reply, |_| {})
            }
            Write::Cancel { who, id, reply } => settle(state.cancel(&who, id, now), reply, |_| {}),
            Write::Apply { who, request, reply } => {
                let shared = tokens.clone();
                settle(state.apply(&who, request, tokens, now), reply, move |applied: &Applied| {
                    applied.revoked.iter().for_each(|id| shared.remove_id(id))
                })
            }
            Write::CreateToken { who, request, reply } => {
                let shared = tokens.clone();
                let decided = state.create_token(&who, &request, now);
                let (created, entry) = match decided {
                    Ok((created, batch, entry)) => (Ok((created, batch)), Some(entry)),
                    Err(e) => (Err(e), None),
                };
                settle(created, reply, move |_| {
                    if let Some((hash, principal)) = entry {
                        shared.insert(hash, principal);
                    }
                })
            }
            Write::RevokeToken { who, id, reply } => {
                let shared = tokens.clone();
                let decided = state.revoke_token(&who, &id, tokens, now).map(|batch| ((), batch));
                settle(decided, reply, move |_| shared.remove_id(&id))
            }
        }
    }
}

/// A decision's batch, and its answer: once the batch is committed, `on_commit` runs and the value is
/// answered; the commit's error otherwise; a refusal is answered as it is, with nothing to persist.
fn settle<T: Send + 'static>(
    decided: Result<(T, Batch), Error>,
    reply: Reply<T>,
    on_commit: impl FnOnce(&T) + Send + 'static,
) -> (Batch, Answer) {
    match decided {
        Ok((value, batch)) => (
            batch,
            Box::new(move |committed: Result<(), Error>| {
                if committed.is_ok() {
                    on_commit(&value);
                }
                drop(reply.send(committed.map(|()| value)))
            }),
        ),
        Err(e) => (Batch::default(), Box::new(move |_| drop(reply.send(Err(e))))),
    }
}
