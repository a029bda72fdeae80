//! Request extractors that answer in gpubook's error format: the bearer token's principal, and JSON
//! bodies and query strings whose errors name the field.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::auth::Principal;
use crate::error::AppError;

/// The caller, from `Authorization: Bearer TOKEN`.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, AppError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).ok_or_else(AppError::unauthorized)?;
        state.tokens.lookup(token).map(Auth).ok_or_else(AppError::unauthorized)
    }
}

/// A JSON body; an error names the field (`quota[0].nominal`) and the reason.
pub(crate) struct Body<T>(pub(crate) T);

/// Request bodies are small; anything larger is refused before parsing.
const MAX_BODY: usize = 1 << 20;

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Body<T>, AppError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY).await.map_err(|_| {
            AppError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "too-large", "the body is over 1 MiB")
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Body).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "body".to_string() } else { path };
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                AppError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "bad-json",
                    format!("the body is not valid JSON: {inner}"),
                )
            } else {
                AppError::invalid(&field, inner)
            }
        })
    }
}

/// A query string; an error names the parameter.
pub(crate) struct Query<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Query<T>, AppError> {
        let q = parts.uri.query().unwrap_or("");
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| AppError::invalid("query", format!("{q:?}: {}", e.body_text())))
    }
}
