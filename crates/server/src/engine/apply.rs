//! Changing the declared objects: validate the whole result, find the confirmed bookings it would break,
//! and refuse unless forced (then those bookings are preempted and told why). Deleting a project revokes,
//! in the same commit, every token that names it — also one that names other projects too (a token's
//! projects are what it was issued for; issue a new one for those that remain), so a project created
//! again under the same name grants nothing to old tokens.

use std::collections::{BTreeMap, BTreeSet};

use api::Document;
use api::rest::{ApplyResult, Violation};
use model::{Booking, BookingId, Definitions, Instant, PriceVersion, Status};
use planner::{InvariantError, Planner, RestoreError};
use store::{Batch, ObjectChange};

use super::error::Error;
use super::state::{State, audit, booking_row, object_row, price_version_row, resolve_docs};
use crate::auth::{Principal, Tokens};

/// Why a live booking does not survive a definitions change: its GPU is gone, or with it the calendar
/// breaks an invariant (shared units or a layout the GPU cannot take; quotas that no longer cover it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error(transparent)]
    Restore(#[from] RestoreError),
    #[error(transparent)]
    Invariant(#[from] InvariantError),
}

/// What an apply does with the documents it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Create or update these objects; leave the others.
    Merge,
    /// These are all the objects of this kind: others of the kind are deleted (`PUT /projects`).
    ReplaceKind(&'static str),
}

/// What an apply did: its result, and the tokens it revoked (for the shared table, once committed).
pub struct Applied {
    pub result: ApplyResult,
    pub revoked: Vec<String>,
}

pub struct ApplyRequest {
    pub docs: Vec<Document>,
    pub scope: Scope,
    pub dry_run: bool,
    pub force: bool,
}

impl State {
    pub fn apply(
        &mut self,
        who: &Principal,
        req: ApplyRequest,
        tokens: &Tokens,
        now: Instant,
    ) -> Result<(Applied, Batch), Error> {
        if !who.is_admin() {
            return Err(Error::Forbidden("only an admin changes fleet, sizes, cohorts and projects".into()));
        }
        let mut next = self.docs.clone();
        let mut changes = Vec::new();
        if let Scope::ReplaceKind(kind) = req.scope {
            for (k, n) in self.docs.keys().filter(|(k, _)| k == kind) {
                if !req.docs.iter().any(|d| d.name() == n) {
                    next.remove(&(k.clone(), n.clone()));
                    changes.push(format!("deleted {k} {n}"));
                }
            }
        }
        for doc in &req.docs {
            let key = (doc.kind().to_string(), doc.name().to_string());
            let what = match self.docs.get(&key) {
                None => "created",
                Some(old) if old == doc => "unchanged",
                Some(_) => "configured",
            };
            changes.push(format!("{what} {} {}", key.0, key.1));
            next.insert(key, doc.clone());
        }
        let (defs, warnings) = resolve_docs(&next, &self.catalog)
            .map_err(|e| Error::invalid(format!("{} {}", e.object.clone().unwrap_or_default(), e.field), e.reason))?;
        defs.check()
            .map_err(|e| Error::invalid(format!("{} {}", e.kind, e.name), format!("{}: {}", e.field, e.reason)))?;
        let new_prices = self.price_change(&defs, now)?;
        let (planner, archive, violations) = self.rebuild(defs, now);
        let views: Vec<Violation> = violations
            .iter()
            .map(|(b, broken)| Violation {
                booking: b.id.to_string(),
                project: b.request.project.clone(),
                reason: broken.to_string(),
            })
            .collect();
        if !views.is_empty() && !req.force {
            return Err(Error::BreaksBookings(views));
        }
        let orphaned = self.tokens_of_deleted_projects(&next, tokens);
        changes.extend(orphaned.iter().map(|(id, p)| format!("revoked Token {id} (project {p} is deleted)")));
        let result = ApplyResult { dry_run: req.dry_run, changes, warnings: warnings.clone(), preempted: views };
        if req.dry_run {
            return Ok((Applied { result, revoked: Vec::new() }, Batch::default()));
        }
        let mut batch = Batch::default();
        for (id, project) in &orphaned {
            batch.append(self.revoke(who, id, format!("project {project} deleted"), now));
        }
        for (key, doc) in &next {
            if self.docs.get(key) != Some(doc) {
                batch.objects.push(ObjectChange::Put(object_row(doc)));
            }
        }
        for (kind, name) in self.docs.keys().filter(|k| !next.contains_key(*k)) {
            batch.objects.push(ObjectChange::Delete { kind: kind.clone(), name: name.clone() });
        }
        for (b, _) in &violations {
            if let Some(b) = planner.booking(b.id).or_else(|| archive.get(&b.id)) {
                batch.bookings.push(booking_row(b, &self.catalog));
            }
        }
        if let Some(version) = new_prices {
            let doc = next.values().find(|d| matches!(d, Document::PriceList(_)));
            let seq = self.prices.versions().len() + 1;
            self.prices.push(version);
            let applied_at = self.prices.versions().last().map_or(now, |v| v.applied_at);
            batch.price_versions.push(price_version_row(seq, applied_at, doc));
        }
        let detail = serde_json::json!({"changes": result.changes, "preempted": result.preempted}).to_string();
        batch.audit.push(audit(now, who, "apply", "definitions", detail));
        self.docs = next;
        self.warnings = warnings;
        self.planner = planner;
        self.archive = archive;
        let revoked = orphaned.into_iter().map(|(id, _)| id).collect();
        Ok((Applied { result, revoked }, batch))
    }

    /// The price version an apply of `defs` adds, if its price list differs from the one in force; refused
    /// when it changes the currency of an earlier version (a report would mix currencies).
    fn price_change(&self, defs: &Definitions, now: Instant) -> Result<Option<PriceVersion>, Error> {
        let current = self.defs().price_list.as_ref();
        let next = defs.price_list.as_ref();
        if current == next && (next.is_none() || !self.prices.versions().is_empty()) {
            return Ok(None);
        }
        if let (Some(n), Some(was)) = (next, self.prices.currency())
            && n.currency != was
        {
            return Err(Error::invalid(
                format!("PriceList {} currency", n.name),
                format!(
                    "cannot change from {was} to {} once prices were applied: reports would mix currencies",
                    n.currency
                ),
            ));
        }
        Ok(Some(PriceVersion { applied_at: now, list: next.cloned() }))
    }

    /// The live tokens that name a project `next` no longer has, with that project.
    fn tokens_of_deleted_projects(
        &self,
        next: &BTreeMap<(String, String), Document>,
        tokens: &Tokens,
    ) -> Vec<(String, String)> {
        let deleted: BTreeSet<&str> = self
            .docs
            .keys()
            .filter(|key| key.0 == "Project" && !next.contains_key(*key))
            .map(|(_, name)| name.as_str())
            .collect();
        if deleted.is_empty() {
            return Vec::new();
        }
        self.live_tokens(tokens)
            .into_values()
            .filter_map(|p| {
                p.projects.iter().find(|n| deleted.contains(n.as_str())).map(|n| (p.token_id.clone(), n.clone()))
            })
            .collect()
    }

    /// A planner for `defs` holding every booking. Confirmed and active bookings that no longer fit are
    /// returned as violations (and recorded as preempted in the new planner); ended or completed bookings
    /// that cannot be placed on the calendar any more go to the archive.
    fn rebuild(
        &self,
        defs: Definitions,
        now: Instant,
    ) -> (Planner, BTreeMap<BookingId, Booking>, Vec<(Booking, Broken)>) {
        let fresh = || Planner::new(self.catalog.clone(), defs.clone(), self.config.clone());
        let all = self.all_bookings();
        let (live, past): (Vec<&Booking>, Vec<&Booking>) =
            all.into_iter().partition(|b| b.holds() && b.window().end > now);
        // Which live bookings still fit, checked on a calendar of live bookings only (past ones cannot
        // break what is to come). One pass when all fit; one booking at a time otherwise.
        let mut kept = fresh();
        let all_fit = live.iter().all(|b| kept.restore((*b).clone()).is_ok()) && kept.check_invariants().is_ok();
        let mut violations = Vec::new();
        if !all_fit {
            kept = fresh();
            for b in &live {
                let mut trial = kept.clone();
                let placed = trial.restore((*b).clone()).map_err(Broken::from);
                match placed.and_then(|()| trial.check_invariants().map_err(Broken::from)) {
                    Ok(()) => kept = trial,
                    Err(e) => violations.push(((*b).clone(), e)),
                }
            }
        }
        let mut planner = fresh();
        let mut archive = BTreeMap::new();
        let mut ended: BTreeMap<BookingId, Booking> = BTreeMap::new();
        for (b, reason) in &violations {
            let mut b = b.clone();
            b.ended = Some(Status::Preempted { by: None, reason: format!("the fleet or quotas changed: {reason}") });
            b.ended_at = Some(now);
            ended.insert(b.id, b);
        }
        let bookings: Vec<Booking> =
            live.iter().chain(past.iter()).map(|b| ended.remove(&b.id).unwrap_or_else(|| (*b).clone())).collect();
        for (b, e) in planner.restore_all(bookings) {
            tracing::info!(booking = %b.id, "archived: {e}");
            archive.insert(b.id, b);
        }
        // Ids keep counting from where this planner was, whatever the new one holds.
        planner.skip_ids_below(self.planner.next_id());
        (planner, archive, violations)
    }
}
