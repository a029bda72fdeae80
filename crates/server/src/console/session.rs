//! Console sessions: signing in with a gpubook token sets it as an HttpOnly, SameSite=Strict cookie; every
//! page reads the principal from it as the API reads the bearer header. Forms carry a CSRF token derived
//! from the session token, which another site can neither read nor forge.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use sha2::{Digest, Sha256};

use super::layout::{Nav, page_bare};
use super::time::Tz;
use crate::auth::Principal;
use crate::routes::AppState;

pub(crate) const COOKIE: &str = "gpubook_session";
/// How long a console session lasts, in seconds.
const MAX_AGE_S: u32 = 12 * 3600;

/// The signed-in user of a console page, with what every page needs.
pub(crate) struct Session {
    pub(crate) who: Principal,
    pub(crate) csrf: String,
    pub(crate) tz: Tz,
}

/// A page for someone who is not signed in: to the sign-in page, then back.
pub(crate) struct SignInFirst(String);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let next = url_encode(&self.0);
        Redirect::to(&format!("/console/sign-in?next={next}")).into_response()
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The CSRF token of a session: a hash of its token, so it is the same on every page and proves the form
/// came from a page this session loaded.
fn csrf_of(token: &str) -> String {
    let digest = Sha256::digest(format!("gpubook-console-csrf\0{token}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl FromRequestParts<AppState> for Session {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, SignInFirst> {
        let here = parts.uri.path_and_query().map_or("/console", |p| p.as_str()).to_string();
        let token = cookie(&parts.headers, COOKIE).ok_or_else(|| SignInFirst(here.clone()))?;
        let who = state.tokens.lookup(token).ok_or(SignInFirst(here))?;
        Ok(Session { who, csrf: csrf_of(token), tz: Tz::from_headers(&parts.headers) })
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

#[derive(serde::Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Only paths of the console itself are followed after signing in.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with("/console") && !n.starts_with("//")).unwrap_or("/console")
}

pub(crate) async fn sign_in_page(axum::extract::Query(q): axum::extract::Query<Next>) -> Markup {
    sign_in_form(safe_next(q.next.as_deref()), None)
}

fn sign_in_form(next: &str, error: Option<&str>) -> Markup {
    page_bare(
        "Sign in",
        html! {
            main.sign-in {
                h1 { "gpubook" }
                p.lead { "Book whole GPUs and MIG slices for a time window." }
                form method="post" action="/console/sign-in" {
                    input type="hidden" name="next" value=(next);
                    label for="token" { "Access token" }
                    input #token type="password" name="token" autocomplete="current-password" required autofocus
                        aria-describedby="token-help";
                    p #token-help .help { "Your platform team gives you a token (" code { "gpubook token create" } ")." }
                    @if let Some(e) = error { p.error role="alert" { (e) } }
                    button.primary type="submit" { "Sign in" }
                }
            }
        },
    )
}

#[derive(serde::Deserialize)]
pub(crate) struct SignInForm {
    token: String,
    next: Option<String>,
}

pub(crate) async fn sign_in(State(s): State<AppState>, axum::Form(f): axum::Form<SignInForm>) -> Response {
    let token = f.token.trim();
    let next = safe_next(f.next.as_deref()).to_string();
    if s.tokens.lookup(token).is_none() || token.contains(';') {
        let page = sign_in_form(&next, Some("That token is not valid. Check it and try again."));
        return (StatusCode::UNAUTHORIZED, page).into_response();
    }
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={MAX_AGE_S}");
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// A form with nothing but its CSRF token (sign out, cancel).
#[derive(serde::Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: Option<String>,
}

impl Csrf for CsrfOnly {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

pub(crate) async fn sign_out(_: Posted<CsrfOnly>) -> Response {
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/console/sign-in")).into_response()
}

/// A page the signed-in user may not see.
pub(crate) fn forbidden(session: &Session, nav: Nav, what: &str) -> Response {
    let body = html! { main { h1 { "Not for your role" } p { (what) } } };
    (StatusCode::FORBIDDEN, super::layout::page(session, nav, "Not allowed", body)).into_response()
}

/// Percent-encodes a query value (or a path, keeping its slashes).
pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
