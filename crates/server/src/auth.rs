//! Bearer tokens and roles. Tokens are 256 random bits, so a SHA-256 hash is what is kept (a slow password
//! hash buys nothing against a guess of 2^256 and would cost every request). Roles are scoped to projects.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Everything, every project.
    Admin,
    /// Books and cancels any booking of its projects; creates member and viewer tokens for them.
    ProjectAdmin,
    /// Books in its projects and cancels its own bookings.
    Member,
    /// Reads its projects.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProjectAdmin => "project-admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Admin, Role::ProjectAdmin, Role::Member, Role::Viewer].into_iter().find(|r| r.as_str() == s)
    }
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub token_id: String,
    pub subject: String,
    pub role: Role,
    pub projects: BTreeSet<String>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn can_read(&self, project: &str) -> bool {
        self.is_admin() || self.projects.contains(project)
    }

    pub fn can_book(&self, project: &str) -> bool {
        self.is_admin() || (self.role != Role::Viewer && self.projects.contains(project))
    }

    pub fn can_cancel(&self, project: &str, owner: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::ProjectAdmin => self.projects.contains(project),
            Role::Member => self.projects.contains(project) && owner == self.subject,
            Role::Viewer => false,
        }
    }

    /// Whether this principal may revoke `token`: its own, any for an admin, and a project admin the
    /// member and viewer tokens of its projects.
    pub fn can_revoke(&self, token: &Principal) -> bool {
        self.is_admin()
            || token.token_id == self.token_id
            || (token.role != Role::Admin && self.can_grant(token.role, &token.projects))
    }

    /// Whether this principal may create a token with `role` for `projects`.
    pub fn can_grant(&self, role: Role, projects: &BTreeSet<String>) -> bool {
        match self.role {
            Role::Admin => true,
            Role::ProjectAdmin => {
                matches!(role, Role::Member | Role::Viewer)
                    && !projects.is_empty()
                    && projects.is_subset(&self.projects)
            }
            _ => false,
        }
    }
}

/// The SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new secret token (`gpb_` and 64 hex digits) and a random id for it.
pub fn new_token() -> (String, String) {
    let secret: [u8; 32] = rand::random();
    let id: [u8; 6] = rand::random();
    (format!("gpb_{}", hex(&secret)), format!("tok-{}", hex(&id)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The known tokens by hash, shared between the engine (which adds them after commit) and request handlers.
#[derive(Clone, Debug, Default)]
pub struct Tokens(Arc<RwLock<HashMap<String, Principal>>>);

impl Tokens {
    pub fn insert(&self, hash: String, p: Principal) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(hash, p);
    }

    /// The principal of a presented token.
    pub fn lookup(&self, token: &str) -> Option<Principal> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).get(&hash_token(token)).cloned()
    }

    /// The principal of the token with this id.
    pub fn by_id(&self, id: &str) -> Option<Principal> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).values().find(|p| p.token_id == id).cloned()
    }

    /// Every known token's principal.
    pub fn all(&self) -> Vec<Principal> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    pub fn remove_id(&self, id: &str) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).retain(|_, p| p.token_id != id);
    }

    pub fn is_empty(&self) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    pub fn replace_all(&self, all: HashMap<String, Principal>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = all;
    }
}

/// A stored token row into a principal.
pub fn principal_of(row: &store::TokenRow) -> Option<Principal> {
    Some(Principal {
        token_id: row.id.clone(),
        subject: row.subject.clone(),
        role: Role::parse(&row.role)?,
        projects: row.projects.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
    })
}
