//! Idempotency records: what a booking request with an `Idempotency-Key` did (the booking it created, the
//! decision's verdict, reasons and moves), kept as a row, so that a retry is answered again from it. The
//! answer is rendered anew, from the booking as it is at the retry.

use sha2::{Digest, Sha256};

use api::rest::{BookingRequest, ReasonView};
use model::{BookingId, Instant};
use planner::{Reason, ReasonCode, Verdict};
use store::IdempotencyRow;

use crate::auth::Principal;

/// What a booking request did.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The booking it created.
    pub booking: BookingId,
    /// The decision's verdict (a fit: which kind, and what it preempted).
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// The not-yet-started bookings it moved to make room.
    pub moved: Vec<BookingId>,
}

/// An idempotency record: the request it answers (by hash) and what that request did.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    pub request_hash: String,
    pub outcome: Outcome,
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

impl Outcome {
    /// The bookings it preempted.
    pub fn preempted(&self) -> &[BookingId] {
        match &self.verdict {
            Verdict::FitsAfterPreempting(v) => v,
            _ => &[],
        }
    }
}

impl Replay {
    /// The row that stores this record under `(scope, key)`.
    pub fn to_row(&self, scope: String, key: String, now: Instant) -> IdempotencyRow {
        let o = &self.outcome;
        let reasons: Vec<ReasonView> = o.reasons.iter().map(ReasonView::from).collect();
        IdempotencyRow {
            subject: scope,
            key,
            request_hash: self.request_hash.clone(),
            booking_id: i64::try_from(o.booking.0).unwrap_or(i64::MAX),
            verdict: o.verdict.code().into(),
            reasons: serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into()),
            preempted: join(o.preempted()),
            moved: join(&o.moved),
            created_at: now.0,
        }
    }

    /// The record a stored row holds; an error names the row and what in it cannot be read.
    pub fn of_row(row: &IdempotencyRow) -> Result<Replay, ReplayRowError> {
        let at = |field: &'static str, reason: String| ReplayRowError {
            key: row.key.clone(),
            scope: row.subject.clone(),
            field,
            reason,
        };
        let booking = u64::try_from(row.booking_id).map(BookingId).map_err(|e| at("booking_id", e.to_string()))?;
        let preempted = split(&row.preempted).map_err(|e| at("preempted", e))?;
        let verdict = match row.verdict.as_str() {
            "fits" => Verdict::Fits,
            "fits-by-borrowing" => Verdict::FitsByBorrowing,
            "fits-after-preempting" => Verdict::FitsAfterPreempting(preempted),
            other => return Err(at("verdict", format!("{other:?} is not a fit"))),
        };
        let views: Vec<ReasonView> = serde_json::from_str(&row.reasons).map_err(|e| at("reasons", e.to_string()))?;
        let reasons = views
            .into_iter()
            .map(|r| r.code.parse::<ReasonCode>().map(|code| Reason::new(code, r.message)))
            .collect::<Result<_, _>>()
            .map_err(|e| at("reasons", e.to_string()))?;
        let moved = split(&row.moved).map_err(|e| at("moved", e))?;
        let outcome = Outcome { booking, verdict, reasons, moved };
        Ok(Replay { request_hash: row.request_hash.clone(), outcome })
    }
}

/// An idempotency row that cannot be read back: its key and scope, the column at fault and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("idempotency record {key:?} of {scope}: {field}: {reason}")]
pub struct ReplayRowError {
    pub key: String,
    pub scope: String,
    /// `booking_id`, `verdict`, `reasons`, `preempted` or `moved`.
    pub field: &'static str,
    pub reason: String,
}

fn join(ids: &[BookingId]) -> String {
    ids.iter().map(|id| id.0.to_string()).collect::<Vec<_>>().join(",")
}

fn split(ids: &str) -> Result<Vec<BookingId>, String> {
    ids.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map(BookingId).map_err(|e| format!("{s:?}: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_its_row() {
        let replay = Replay {
            request_hash: "h".into(),
            outcome: Outcome {
                booking: BookingId(7),
                verdict: Verdict::FitsAfterPreempting(vec![BookingId(3), BookingId(4)]),
                reasons: vec![Reason::new(ReasonCode::Preempts, "it preempts b3, b4")],
                moved: vec![BookingId(12)],
            },
        };
        let row = replay.to_row("t1/team-a".into(), "k-1".into(), Instant(40));
        assert_eq!((row.booking_id, row.preempted.as_str(), row.moved.as_str()), (7, "3,4", "12"));
        assert_eq!(Replay::of_row(&row), Ok(replay));
    }

    #[test]
    fn a_row_that_cannot_be_read_is_named() {
        let mut row = Replay {
            request_hash: "h".into(),
            outcome: Outcome { booking: BookingId(1), verdict: Verdict::Fits, reasons: Vec::new(), moved: Vec::new() },
        }
        .to_row("t1/p".into(), "k".into(), Instant(0));
        row.verdict = "never".into();
        let e = Replay::of_row(&row).unwrap_err();
        assert_eq!(e.field, "verdict");
        assert!(e.to_string().contains("verdict: \"never\" is not a fit"), "{e}");
        row.verdict = "fits".into();
        row.reasons = r#"[{"code":"no-such-code","message":"m"}]"#.into();
        let e = Replay::of_row(&row).unwrap_err();
        assert_eq!(e.field, "reasons");
        assert!(e.to_string().contains("reasons: no reason code \"no-such-code\""), "{e}");
        row.reasons = "[]".into();
        row.moved = "b3".into();
        let e = Replay::of_row(&row).unwrap_err();
        assert_eq!(e.field, "moved");
        assert_eq!(e.to_string(), r#"idempotency record "k" of t1/p: moved: "b3": invalid digit found in string"#);
    }
}
