//! The closed set of writes. Every change to gpubook's state is one [`Write`], decided in the one `match`
//! of [`Write::decide`]; the engine loop persists what it returns and answers only after the commit. Reads
//! are closures over `&State`: they cannot change it.

use tokio::sync::oneshot;

use api::rest::{BookingRequest, BookingView, TokenCreated, TokenRequest};
use model::{BookingId, Instant};
use store::Batch;

use super::apply::{Applied, ApplyRequest};
use super::book::Booked;
use super::state::State;
use crate::auth::{Principal, Tokens};
use crate::error::AppError;

/// Where a write's answer goes once its batch is committed (or refused).
pub type Reply<T> = oneshot::Sender<Result<T, AppError>>;

/// A new token's shared-table entry: its hash and principal, added once the token is committed.
pub type TokenEntry = (String, Principal);

/// Every change to the state.
pub enum Write {
    /// Book devices for a window (or replay an earlier answer to the same `Idempotency-Key`).
    Book { who: Principal, request: BookingRequest, key: Option<String>, reply: Reply<Booked> },
    /// Cancel a booking: its devices and quota are free from now on.
    Cancel { who: Principal, id: BookingId, reply: Reply<BookingView> },
    /// Create, replace or delete declared objects (fleet, sizes, cohorts, projects); re-plans bookings.
    Apply { who: Principal, request: ApplyRequest, tokens: Tokens, reply: Reply<Applied> },
    /// Issue an API token.
    CreateToken { who: Principal, request: TokenRequest, reply: Reply<(TokenCreated, TokenEntry)> },
    /// Revoke an API token.
    RevokeToken { who: Principal, id: String, tokens: Tokens, reply: Reply<()> },
}

/// What the engine does with a decided write once its batch's commit is known.
pub(super) type Answer = Box<dyn FnOnce(Result<(), AppError>) + Send>;

impl Write {
    /// Decides the write against the state at `now`: what to persist, and how to answer once it is.
    pub(super) fn decide(self, state: &mut State, now: Instant) -> (Batch, Answer) {
        match self {
            Write::Book { who, request, key, reply } => settle(state.book(&who, &request, key.as_deref(), now), reply),
            Write::Cancel { who, id, reply } => settle(state.cancel(&who, id, now), reply),
            Write::Apply { who, request, tokens, reply } => settle(state.apply(&who, request, &tokens, now), reply),
            Write::CreateToken { who, request, reply } => {
                settle(state.create_token(&who, &request, now).map(|(c, batch, entry)| ((c, entry), batch)), reply)
            }
            Write::RevokeToken { who, id, tokens, reply } => {
                settle(state.revoke_token(&who, &id, &tokens, now).map(|batch| ((), batch)), reply)
            }
        }
    }
}

/// A decision's batch, and its answer: the value once the batch is committed, the commit's error otherwise;
/// a refusal is answered as it is, with nothing to persist.
fn settle<T: Send + 'static>(decided: Result<(T, Batch), AppError>, reply: Reply<T>) -> (Batch, Answer) {
    match decided {
        Ok((value, batch)) => (batch, Box::new(move |committed| drop(reply.send(committed.map(|()| value))))),
        Err(e) => (Batch::default(), Box::new(move |_| drop(reply.send(Err(e))))),
    }
}
