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
        match serde_path_to_error::deserialize(&mut *de) {
            Ok(v) => de.end().map(|()| Body(v)).map_err(bad_json),
            // JSON has one kind of number: `2.0` is the integer 2, as the schema's `integer` says too.
            Err(e) if e.inner().to_string().starts_with("invalid type: floating point") => {
                let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(bad_json)?;
                whole_numbers(&mut value);
                serde_path_to_error::deserialize(value).map(Body).map_err(invalid)
            }
            Err(e) => Err(invalid(e)),
        }
    }
}

fn bad_json(e: serde_json::Error) -> AppError {
    AppError::new(axum::http::StatusCode::BAD_REQUEST, "bad-json", format!("the body is not valid JSON: {e}"))
}

/// A body that is JSON but not what the operation reads: names the field.
fn invalid(e: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = e.path().to_string();
    let field = if path == "." { "body".to_string() } else { path };
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() { bad_json(inner) } else { AppError::invalid(&field, inner) }
}

/// Numbers without a fraction (`2.0`, `-1e3`) as integers, where an integer type can hold them.
fn whole_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                // The bounds are exact powers of two; `as` is exact below them.
                if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                    *n = (f as i64).into();
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *n = (f as u64).into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
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
