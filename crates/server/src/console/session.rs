//! The console's session extractors: [`Session`] (the signed-in user of a page, from the session cookie;
//! see `crate::sessions` for the sessions themselves) and [`Posted`] (a form POSTed from a page of that
//! session, its CSRF token checked). Forms carry a CSRF token derived from the session id, which another
//! site can neither read nor forge.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::http::{cookie, url_encode};
use super::time::Tz;
use crate::app_state::AppState;
use crate::auth::Principal;

/// The session cookie.
pub(crate) const COOKIE: &str = "gpubook_session";

/// The signed-in user of a console page, with what every page needs.
pub(crate) struct Session {
    pub(crate) who: Principal,
    pub(crate) csrf: String,
    pub(crate) tz: Tz,
    pub(crate) id: String,
}

/// A page for someone who is not signed in: to the sign-in page, then back.
pub(crate) struct SignInFirst(String);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let next = url_encode(&self.0);
        Redirect::to(&format!("/console/sign-in?next={next}")).into_response()
    }
}

/// The CSRF token of a session: a hash of its id, so it is the same on every page and proves the form
/// came from a page this session loaded.
fn csrf_of(session_id: &str) -> String {
    let digest = Sha256::digest(format!("gpubook-console-csrf\0{session_id}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl FromRequestParts<AppState> for Session {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, SignInFirst> {
        let here = parts.uri.path_and_query().map_or("/console", |p| p.as_str()).to_string();
        let id = cookie(&parts.headers, COOKIE).ok_or_else(|| SignInFirst(here.clone()))?;
        let who = state.sessions.principal(id, &state.tokens).ok_or(SignInFirst(here))?;
        Ok(Session { who, csrf: csrf_of(id), tz: Tz::from_headers(&parts.headers), id: id.to_string() })
    }
}

/// A form that carries the CSRF token of the page it came from (or sends it as `X-CSRF-Token`, as htmx does).
pub(crate) trait Csrf {
    fn csrf(&self) -> Option<&str>;
}

/// A form POSTed from a page of this session: the session and the form, once the CSRF token checks out.
pub(crate) struct Posted<T>(pub(crate) Session, pub(crate) T);

impl<T: serde::de::DeserializeOwned + Csrf + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Posted<T>, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let axum::Form(form) = axum::Form::<T>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let sent = form.csrf().map(str::to_string).or(header);
        if sent.as_deref() != Some(session.csrf.as_str()) {
            return Err(StaleForm.into_response());
        }
        Ok(Posted(session, form))
    }
}

/// A form without this session's CSRF token: refused, nothing done.
pub(crate) struct StaleForm;

impl IntoResponse for StaleForm {
    fn into_response(self) -> Response {
        let msg = "This form is stale or came from another site: reload the page and try again.";
        (StatusCode::FORBIDDEN, msg).into_response()
    }
}

/// A form with nothing but its CSRF token (sign out, cancel).
#[derive(serde::Deserialize)]
pub(crate) struct CsrfOnly {
    pub(crate) csrf: Option<String>,
}

impl Csrf for CsrfOnly {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}
