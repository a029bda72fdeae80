//! Creating and revoking API tokens: the secret is returned once; only its hash is stored. The last admin
//! token cannot be revoked (`gpubook admin token` recovers offline, should every admin token be lost).

use std::collections::BTreeSet;

use api::rest::{TokenCreated, TokenRequest};
use model::Instant;
use store::{Batch, TokenRow};

use super::error::Error;
use super::state::{State, audit};
use crate::auth::{Principal, Role, Tokens, hash_token, new_token};

impl State {
    /// A new token; the caller adds it to the shared token table once the batch is committed.
    pub fn create_token(
        &mut self,
        who: &Principal,
        req: &TokenRequest,
        now: Instant,
    ) -> Result<(TokenCreated, Batch, (String, Principal)), Error> {
        let role = Role::parse(&req.role).ok_or_else(|| {
            Error::invalid("role", format!("{:?} is not admin, project-admin, member or viewer", req.role))
        })?;
        if req.subject.trim().is_empty()
            || req.subject.chars().count() > 128
            || req.subject.chars().any(char::is_control)
        {
            return Err(Error::invalid("subject", "must be 1 to 128 printable characters"));
        }
        let projects: BTreeSet<String> = req.projects.iter().cloned().collect();
        match role {
            Role::Admin if !projects.is_empty() => {
                return Err(Error::invalid("projects", "an admin token has no projects"));
            }
            Role::Admin => {}
            _ if projects.is_empty() => return Err(Error::invalid("projects", "name at least one project")),
            _ => {
                if let Some(p) = projects.iter().find(|p| !self.defs().projects.contains_key(*p)) {
                    return Err(Error::invalid("projects", format!("no project {p:?}")));
                }
            }
        }
        if !who.can_grant(role, &projects) {
            return Err(Error::Forbidden(format!("you may not create a {} token for these projects", role.as_str())));
        }
        let issued = issue(who, &req.subject, role, projects, now);
        let principal = &issued.2.1;
        self.tokens_issued.insert(principal.token_id.clone(), principal.clone());
        Ok(issued)
    }

    /// Revokes token `id`: its own for anyone, any for an admin, a project admin's member and viewer tokens
    /// of its projects. The last admin token stays: without one, nobody could change definitions or create
    /// tokens again. The caller removes the token from the shared table once the batch is committed.
    pub fn revoke_token(&mut self, who: &Principal, id: &str, shared: &Tokens, now: Instant) -> Result<Batch, Error> {
        let live = self.live_tokens(shared);
        let target = live.get(id).ok_or_else(|| Error::NoToken(id.to_string()))?;
        if !who.can_revoke(target) {
            return Err(Error::Forbidden(format!("you may not revoke token {id}")));
        }
        if target.is_admin() && live.values().filter(|p| p.is_admin()).count() == 1 {
            return Err(Error::LastAdminToken(id.to_string()));
        }
        Ok(self.revoke(who, id, String::new(), now))
    }

    /// The batch that deletes token `id`, noted as revoked from this decision on.
    pub(crate) fn revoke(&mut self, who: &Principal, id: &str, why: String, now: Instant) -> Batch {
        self.tokens_issued.remove(id);
        self.tokens_revoked.insert(id.to_string());
        let mut batch = Batch::default();
        batch.revoked.push(id.to_string());
        batch.audit.push(audit(now, who, "token-revoke", id, why));
        batch
    }
}

/// Makes a token and the batch that stores it. `who` is `None` for the bootstrap admin token.
pub fn issue(
    who: &Principal,
    subject: &str,
    role: Role,
    projects: BTreeSet<String>,
    now: Instant,
) -> (TokenCreated, Batch, (String, Principal)) {
    let (secret, id) = new_token();
    let hash = hash_token(&secret);
    let principal = Principal { token_id: id.clone(), subject: subject.into(), role, projects: projects.clone() };
    let joined = projects.iter().cloned().collect::<Vec<_>>().join(",");
    let mut batch = Batch::default();
    batch.tokens.push(TokenRow {
        id: id.clone(),
        hash: hash.clone(),
        subject: subject.into(),
        role: role.as_str().into(),
        projects: joined.clone(),
        created_at: now.0,
    });
    let detail = format!("subject={subject} role={} projects={joined}", role.as_str());
    batch.audit.push(audit(now, who, "token-create", &id, detail));
    let created = TokenCreated {
        id,
        token: secret,
        subject: subject.into(),
        role: role.as_str().into(),
        projects: projects.into_iter().collect(),
    };
    (created, batch, (hash, principal))
}
