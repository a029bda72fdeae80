//! Booking and cancelling: decide with the planner, then describe what to persist.

use sha2::{Digest, Sha256};

use api::rest::{BookingCreated, BookingRequest, BookingView, ReasonView};
use model::{BookingId, Instant};
use planner::Verdict;
use store::{Batch, IdempotencyRow};

use super::error::{Error, Refusal};
use super::state::{Replay, State, audit, booking_row};
use crate::auth::Principal;

/// The answer to `POST /bookings`: created now, or replayed from an earlier request with the same key.
#[derive(Clone, Debug)]
pub enum Booked {
    Created(Box<BookingCreated>),
    Replayed { status: u16, body: String },
}

/// The hash that tells a retry from a different request under the same key.
pub fn request_hash(body: &BookingRequest) -> String {
    let canonical = serde_json::to_vec(body).unwrap_or_default();
    Sha256::digest(&canonical).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whose idempotency records a request may see: those of the same token (not the same subject: anyone may
/// be given a token with any subject) for the same project. Stored in the `subject` column as
/// `<token-id>/<project>`.
pub fn idempotency_scope(who: &Principal, project: &str) -> String {
    format!("{}/{}", who.token_id, project)
}

/// Parses a booking id such as `b17` (or `17`).
pub fn parse_id(s: &str) -> Option<BookingId> {
    s.strip_prefix('b').unwrap_or(s).parse().ok().map(BookingId)
}

impl State {
    pub fn book(
        &mut self,
        who: &Principal,
        body: &BookingRequest,
        key: Option<&str>,
        now: Instant,
    ) -> Result<(Booked, Batch), Error> {
        // Authorised first: an idempotency record answers only the caller it was made for.
        self.may_book(who, body)?;
        let hash = request_hash(body);
        let scope = idempotency_scope(who, &body.project);
        if let Some(r) = key.and_then(|k| self.idempotency.get(&(scope.clone(), k.to_string()))) {
            if r.request_hash != hash {
                return Err(Error::KeyReused);
            }
            return Ok((Booked::Replayed { status: r.status, body: r.response.clone() }, Batch::default()));
        }
        let request = body.to_request(&who.subject)?;
        let (decision, id) = self.planner.book(&request, now);
        let Some(id) = id else {
            return Err(Error::Refused(Refusal { verdict: decision.verdict, reasons: decision.reasons }));
        };
        let reasons: Vec<ReasonView> = decision.reasons.iter().map(ReasonView::from).collect();
        let mut batch = Batch::default();
        let preempted = match &decision.verdict {
            Verdict::FitsAfterPreempting(v) => v.clone(),
            _ => Vec::new(),
        };
        // One booking may move several devices: each booking once.
        let moved: Vec<BookingId> =
            decision.moves.iter().map(|m| m.booking).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        for touched in std::iter::once(id).chain(preempted.iter().copied()).chain(moved.iter().copied()) {
            if let Some(b) = self.planner.booking(touched) {
                batch.bookings.push(booking_row(b, &self.catalog));
            }
        }
        let booking = self.planner.booking(id).expect("just booked");
        let created = BookingCreated {
            booking: self.view(booking, now),
            verdict: decision.verdict.code().into(),
            reasons,
            preempted: preempted.iter().map(ToString::to_string).collect(),
            moved: moved.iter().map(ToString::to_string).collect(),
        };
        let detail = serde_json::json!({"request": body, "verdict": created.verdict, "preempted": created.preempted});
        batch.audit.push(audit(now, who, "book", &id.to_string(), detail.to_string()));
        for v in &preempted {
            batch.audit.push(audit(now, who, "preempt", &v.to_string(), format!("reclaimed for {id}")));
        }
        if let Some(key) = key {
            let response = serde_json::to_string(&created).unwrap_or_default();
            let replay = Replay { request_hash: hash.clone(), status: 201, response: response.clone() };
            self.idempotency.insert((scope.clone(), key.to_string()), replay);
            batch.idempotency.push(IdempotencyRow {
                subject: scope,
                key: key.to_string(),
                request_hash: hash,
                status: 201,
                response,
                created_at: now.0,
            });
        }
        Ok((Booked::Created(Box::new(created)), batch))
    }

    /// What booking would decide, changing nothing.
    pub fn decide(
        &self,
        who: &Principal,
        body: &BookingRequest,
        now: Instant,
    ) -> Result<api::rest::DecisionView, Error> {
        self.may_book(who, body)?;
        let request = body.to_request(&who.subject)?;
        let decision = self.planner.admit(&request, now);
        Ok(api::rest::DecisionView::of(&decision, &self.catalog, |g| self.uuid(g)))
    }

    /// Whether `who` may make this booking: book in its project, and at most at the project's priority
    /// unless an admin (a member cannot jump its own project's queue).
    fn may_book(&self, who: &Principal, body: &BookingRequest) -> Result<(), Error> {
        if !who.can_book(&body.project) {
            return Err(Error::Forbidden(format!("you may not book for project {:?}", body.project)));
        }
        let project = self.defs().projects.get(&body.project);
        if let (Some(asked), Some(p)) = (body.priority, project)
            && asked > p.priority
            && !who.is_admin()
        {
            return Err(Error::PriorityAboveProject { asked, project: p.name.clone(), allowed: p.priority });
        }
        Ok(())
    }

    pub fn cancel(&mut self, who: &Principal, id: BookingId, now: Instant) -> Result<(BookingView, Batch), Error> {
        let b = self.visible(who, id)?;
        if !who.can_cancel(&b.request.project, &b.request.owner) {
            return Err(Error::Forbidden(format!("you may not cancel booking {id}")));
        }
        // A visible booking the calendar does not hold is archived, so over: not cancellable either.
        self.planner.cancel(id, now).map_err(Error::NotCancellable)?;
        let b = self.planner.booking(id).expect("cancelled bookings stay");
        let mut batch = Batch::default();
        batch.bookings.push(booking_row(b, &self.catalog));
        batch.audit.push(audit(now, who, "cancel", &id.to_string(), String::new()));
        Ok((self.view(b, now), batch))
    }

    /// A booking the caller may see; 404 alike for "absent" and "another project's", so ids leak nothing.
    pub fn visible(&self, who: &Principal, id: BookingId) -> Result<&model::Booking, Error> {
        match self.booking(id) {
            Some(b) if who.can_read(&b.request.project) => Ok(b),
            _ => Err(Error::NoBooking(id)),
        }
    }
}
