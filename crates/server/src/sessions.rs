//! The console's sessions. Signing in with a gpubook token starts a server-side session: a random 256-bit
//! id in an HttpOnly, SameSite=Strict cookie, mapped (in memory, by its SHA-256) to the token's id. The
//! cookie never holds the token. A page reads the principal through the session, and only while the token
//! still exists, so revoking a token ends its sessions; signing out ends the session. Sessions live in
//! memory only: a restart signs everyone out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::auth::{Principal, Tokens};

/// How long a console session lasts.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions are kept; beyond, the oldest ends.
const MAX_SESSIONS: usize = 10_000;

/// The console's sessions, in memory (a restart ends them all), by the SHA-256 of their id.
#[derive(Clone, Debug, Default)]
pub struct Sessions(Arc<Mutex<HashMap<String, Started>>>);

#[derive(Clone, Debug)]
struct Started {
    token_id: String,
    at: Instant,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Started>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for the token with this id; answers the session id for the cookie.
    pub(crate) fn start(&self, token_id: &str) -> String {
        let id = random_hex::<32>();
        let mut all = self.lock();
        if all.len() >= MAX_SESSIONS {
            all.retain(|_, s| s.at.elapsed() < MAX_AGE);
        }
        if all.len() >= MAX_SESSIONS
            && let Some(oldest) = all.iter().min_by_key(|(_, s)| s.at).map(|(k, _)| k.clone())
        {
            all.remove(&oldest);
        }
        all.insert(hash(&id), Started { token_id: token_id.to_string(), at: Instant::now() });
        id
    }

    /// The principal of a live session whose token still exists; an expired or orphaned one ends here.
    pub(crate) fn principal(&self, id: &str, tokens: &Tokens) -> Option<Principal> {
        let key = hash(id);
        let mut all = self.lock();
        let started = all.get(&key)?;
        let who = (started.at.elapsed() < MAX_AGE).then(|| tokens.by_id(&started.token_id)).flatten();
        if who.is_none() {
            all.remove(&key);
        }
        who
    }

    pub(crate) fn end(&self, id: &str) {
        self.lock().remove(&hash(id));
    }
}

fn hash(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn random_hex<const N: usize>() -> String {
    let bytes: [u8; N] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
