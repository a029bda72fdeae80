//! Request extractors that answer in gpubook's error format: the bearer token's principal (and an admin's,
//! checked before any body is read), JSON bodies and query strings whose errors name the field, and the
//! YAML text of `/apply`.

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

/// The caller, who must be an admin: checked from the headers alone, before the body is read or parsed.
pub(crate) struct Admin(pub(crate) Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, AppError> {
        let Auth(who) = Auth::from_request_parts(parts, state).await?;
        if !who.is_admin() {
            return Err(AppError::forbidden("only an admin changes fleet, sizes, cohorts and projects"));
        }
        Ok(Admin(who))
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

/// A text body (a YAML manifest): at most [`MAX_TEXT`] bytes of UTF-8.
pub(crate) struct Text(pub(crate) String);

/// Manifests may be larger than JSON bodies: a fleet of a few thousand nodes.
pub(crate) const MAX_TEXT: usize = 2 << 20;

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Text, AppError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_TEXT).await.map_err(|_| {
            AppError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "too-large", "the body is over 2 MiB")
        })?;
        String::from_utf8(bytes.into()).map(Text).map_err(|e| {
            AppError::invalid("body", format!("is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
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
