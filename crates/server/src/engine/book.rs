//! Booking and cancelling: decide with the planner, then describe what to persist.

use api::rest::{BookingCreated, BookingRequest, BookingView, ReasonView};
use model::{BookingId, Instant};
use store::Batch;

use super::error::{Error, Refusal};
use super::replay::{Outcome, Replay, idempotency_scope, request_hash};
use super::state::{State, audit, booking_row};
use crate::auth::Principal;

/// The answer to `POST /bookings`: created now, or rendered again from the record of an earlier request with
/// the same key (the booking as it is now).
#[derive(Clone, Debug)]
pub enum Booked {
    Created(Box<BookingCreated>),
    Replayed(Box<BookingCreated>),
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
            let again = self.created(&r.outcome, now)?;
            return Ok((Booked::Replayed(Box::new(again)), Batch::default()));
        }
        let request = body.to_request(&who.subject)?;
        let (decision, id) = self.planner.book(&request, now);
        let Some(id) = id else {
            return Err(Error::Refused(Refusal { verdict: decision.verdict, reasons: decision.reasons }));
        };
        // One booking may move several devices: each booking once.
        let moved: Vec<BookingId> =
            decision.moves.iter().map(|m| m.booking).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let outcome = Outcome { booking: id, verdict: decision.verdict, reasons: decision.reasons, moved };
        let mut batch = Batch::default();
        let preempted = outcome.preempted();
        for touched in std::iter::once(id).chain(preempted.iter().copied()).chain(outcome.moved.iter().copied()) {
            if let Some(b) = self.planner.booking(touched) {
                batch.bookings.push(booking_row(b, &self.catalog));
            }
        }
        let created = self.created(&outcome, now)?;
        let detail = serde_json::json!({"request": body, "verdict": created.verdict, "preempted": created.preempted});
        batch.audit.push(audit(now, who, "book", &id.to_string(), detail.to_string()));
        for v in preempted {
            batch.audit.push(audit(now, who, "preempt", &v.to_string(), format!("reclaimed for {id}")));
        }
        if let Some(key) = key {
            let replay = Replay { request_hash: hash, outcome };
            batch.idempotency.push(replay.to_row(scope.clone(), key.to_string(), now));
            self.idempotency.insert((scope, key.to_string()), replay);
        }
        Ok((Booked::Created(Box::new(created)), batch))
    }

    /// The answer to a booking request that did `outcome`, with the booking as it is at `now`.
    pub fn created(&self, outcome: &Outcome, now: Instant) -> Result<BookingCreated, Error> {
        let booking = self.booking(outcome.booking).ok_or(Error::NoBooking(outcome.booking))?;
        Ok(BookingCreated {
            booking: self.view(booking, now),
            verdict: outcome.verdict.code().into(),
            reasons: outcome.reasons.iter().map(ReasonView::from).collect(),
            preempted: outcome.preempted().iter().map(ToString::to_string).collect(),
            moved: outcome.moved.iter().map(ToString::to_string).collect(),
        })
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
