//! One error type at the HTTP edge, always answered as `{"error": {"code", "message", "reasons"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use api::rest::{ErrorBody, ErrorView, ReasonView, Violation};

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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(ErrorBody { error: *self.body })).into_response()
    }
}
