//! One error type at the HTTP edge, always answered as `{"error": {"code", "message", "reasons"}}`, and the
//! one place where the engine's domain errors become HTTP statuses and error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use api::rest::{ErrorBody, ErrorView, ReasonView, Violation};

use crate::engine::error::{Error, Refusal, Unavailable};

#[derive(Clone, Debug, PartialEq)]
pub struct AppError {
    pub status: StatusCode,
    pub body: Box<ErrorView>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            body: Box::new(ErrorView {
                code: code.into(),
                message: message.into(),
                reasons: Vec::new(),
                not_before: None,
                violations: Vec::new(),
            }),
        }
    }

    pub fn unauthorized() -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required")
    }

    pub fn forbidden(what: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", what)
    }

    pub fn not_found(what: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not-found", what)
    }

    /// Bad input: names the field and the reason.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> AppError {
        let mut e = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{field}: {reason}"));
        e.body.reasons.push(ReasonView { code: "invalid-field".into(), message: format!("{field}: {reason}") });
        e
    }

    pub fn unavailable(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    pub fn with_reasons(mut self, reasons: Vec<ReasonView>) -> AppError {
        self.body.reasons = reasons;
        self
    }

    pub fn with_violations(mut self, violations: Vec<Violation>) -> AppError {
        self.body.violations = violations;
        self
    }
}

impl From<api::rest::FieldError> for AppError {
    fn from(e: api::rest::FieldError) -> AppError {
        AppError::invalid(&e.field, e.reason)
    }
}

/// Each domain error's status, code and body. The codes and messages are a contract: clients branch on them.
impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        let message = e.to_string();
        match e {
            Error::Invalid { field, reason } => AppError::invalid(&field, reason),
            Error::Forbidden(_) => AppError::forbidden(message),
            Error::PriorityAboveProject { .. } => {
                let reason = ReasonView { code: "priority-above-project".into(), message: message.clone() };
                AppError::forbidden(message).with_reasons(vec![reason])
            }
            Error::NoBooking(_) | Error::NoToken(_) => AppError::not_found(message),
            Error::KeyReused => AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", message),
            Error::Refused(r) => refusal(&r, message),
            Error::NotCancellable(_) => AppError::new(StatusCode::CONFLICT, "not-cancellable", message),
            Error::BreaksBookings(violations) => {
                AppError::new(StatusCode::CONFLICT, "breaks-bookings", message).with_violations(violations)
            }
            Error::LastAdminToken(_) => AppError::new(StatusCode::CONFLICT, "last-admin-token", message),
            Error::Unavailable(u) => AppError::from(u),
        }
    }
}

impl From<Unavailable> for AppError {
    fn from(u: Unavailable) -> AppError {
        AppError::unavailable(u.to_string())
    }
}

/// A refused booking: 422 (`invalid`) for input the planner cannot read, 409 with the verdict's code when it
/// cannot be honoured; the reasons, and from when the same duration fits.
fn refusal(r: &Refusal, message: String) -> AppError {
    let (status, code) = if r.is_input_error() {
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    } else {
        (StatusCode::CONFLICT, r.verdict.code())
    };
    let mut e = AppError::new(status, code, message).with_reasons(r.reasons.iter().map(ReasonView::from).collect());
    e.body.not_before = r.not_before().map(|t| t.to_string());
    e
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(ErrorBody { error: *self.body })).into_response()
    }
}

#[cfg(test)]
mod tests {
    use model::{BookingId, Instant};
    use planner::{CancelError, Reason, ReasonCode, Verdict};

    use super::*;

    fn mapped(e: Error) -> (u16, String) {
        let e = AppError::from(e);
        (e.status.as_u16(), e.body.code)
    }

    #[test]
    fn each_domain_error_has_its_status_and_code() {
        let refused = |verdict, code| Error::Refused(Refusal { verdict, reasons: vec![Reason::new(code, "why")] });
        let cases = [
            (Error::invalid("count", "must be positive"), 422, "invalid"),
            (Error::Forbidden("no".into()), 403, "forbidden"),
            (Error::PriorityAboveProject { asked: 9, project: "p".into(), allowed: 1 }, 403, "forbidden"),
            (Error::NoBooking(BookingId(3)), 404, "not-found"),
            (Error::NoToken("t1".into()), 404, "not-found"),
            (Error::KeyReused, 422, "idempotency-key-reused"),
            (refused(Verdict::Never, ReasonCode::NoCapacity), 409, "never"),
            (refused(Verdict::NotBefore(Instant(7200)), ReasonCode::UnitsBusy), 409, "not-before"),
            (refused(Verdict::Never, ReasonCode::InThePast), 422, "invalid"),
            (Error::NotCancellable(CancelError::Completed(BookingId(3))), 409, "not-cancellable"),
            (Error::BreaksBookings(Vec::new()), 409, "breaks-bookings"),
            (Error::LastAdminToken("t1".into()), 409, "last-admin-token"),
            (Error::Unavailable(Unavailable::CommitFailed), 503, "unavailable"),
            (Error::Unavailable(Unavailable::Fenced("lost".into())), 503, "unavailable"),
        ];
        for (e, status, code) in cases {
            let shown = format!("{e:?}");
            assert_eq!(mapped(e), (status, code.to_string()), "{shown}");
        }
    }

    #[test]
    fn a_refusal_carries_its_reasons_and_not_before() {
        let r = Refusal {
            verdict: Verdict::NotBefore(Instant(7200)),
            reasons: vec![Reason::new(ReasonCode::UnitsBusy, "busy")],
        };
        let e = AppError::from(Error::Refused(r));
        assert_eq!(e.body.message, "the booking cannot be made: busy");
        assert_eq!(e.body.reasons, vec![ReasonView { code: "units-busy".into(), message: "busy".into() }]);
        assert_eq!(e.body.not_before.as_deref(), Some("1970-01-01T02:00:00Z"));
        let priority = AppError::from(Error::PriorityAboveProject { asked: 9, project: "p".into(), allowed: 1 });
        assert_eq!(priority.body.reasons[0].code, "priority-above-project");
        assert_eq!(priority.body.reasons[0].message, priority.body.message);
    }
}
