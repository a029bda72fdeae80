//! Whether the engine can write: set by each commit's outcome and by the writer-lock watch, read by
//! `/healthz` and `/readyz` and by every request the engine cannot take.

use std::sync::Mutex;

use super::error::Unavailable;

/// Whether the engine can write, for `/healthz` and `/readyz`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Writes {
    #[default]
    Ok,
    /// The last commit failed (or the state could not be reloaded after it); the next write tries again.
    Failing(String),
    /// Another server is the writer now: this one refuses every write until it is restarted.
    Fenced(String),
}

/// The engine's write health, shared with the HTTP handlers.
#[derive(Debug, Default)]
pub struct Health(Mutex<Writes>);

impl Health {
    pub fn writes(&self) -> Writes {
        self.0.lock().map(|w| w.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// A write probe went through: writes work again (unless fenced).
    pub fn recovered(&self) {
        self.set(Writes::Ok);
    }

    /// Records the outcome of a commit. Fenced is final.
    pub(super) fn set(&self, to: Writes) {
        let mut w = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !matches!(*w, Writes::Fenced(_)) {
            *w = to;
        }
    }

    /// Stops every write from now on: this server lost its writer lock (its PostgreSQL session ended), so
    /// another one may be writing.
    pub fn fence(&self, why: String) {
        tracing::error!("stopping writes: {why}");
        self.set(Writes::Fenced(why));
    }

    pub(super) fn is_fenced(&self) -> bool {
        matches!(self.writes(), Writes::Fenced(_))
    }

    /// Why a request could not be taken.
    pub(super) fn refusal(&self) -> Unavailable {
        match self.writes() {
            Writes::Ok => Unavailable::ShuttingDown,
            Writes::Failing(why) => Unavailable::Failing(why),
            Writes::Fenced(why) => Unavailable::Fenced(why),
        }
    }
}
