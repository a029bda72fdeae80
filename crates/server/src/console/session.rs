//! Console sessions. Signing in with a gpubook token starts a server-side session: a random 256-bit id in
//! an HttpOnly, SameSite=Strict cookie, mapped (in memory, by its SHA-256) to the token's id. The cookie
//! never holds the token. Every page reads the principal through the session, and only while the token
//! still exists, so revoking a token ends its sessions; signing out ends the session. Sessions live in
//! memory only: a restart signs everyone out. Forms carry a CSRF token derived from the session id, which
//! another site can neither read nor forge.
//!
//! Signing in is guarded against login CSRF (another site signing the browser in as someone else): the
//! POST must come from this server's own page (`Origin`, else `Referer`, names this host; `Sec-Fetch-Site`
//! is not `cross-site` or `same-site`) and carry the sign-in page's one-time value that is also in a
//! SameSite=Strict cookie (double submit).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use maud::html;
use sha2::{Digest, Sha256};

use super::layout::{Nav, page_bare};
use super::time::Tz;
use crate::auth::{Principal, Tokens};
use crate::routes::AppState;

pub(crate) const COOKIE: &str = "gpubook_session";
/// The sign-in form's double-submit value.
const SIGN_IN_COOKIE: &str = "gpubook_sign_in";
/// How long a console session lasts.
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions are kept; beyond, the oldest ends.
const MAX_SESSIONS: usize = 10_000;
/// The longest `next` followed after signing in.
const MAX_NEXT: usize = 2048;

/// The console's sessions, in memory (a restart ends them all), by the SHA-256 of their id.
#[derive(Clone, Debug, Default)]
pub struct Sessions(Arc<Mutex<HashMap<String, Started>>>);

#[derive(Clone, Debug)]
struct Started {
    token_id: String,
    at: Instant,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Started>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for the token with this id; answers the session id for the cookie.
    fn start(&self, token_id: &str) -> String {
        let id = random_hex::<32>();
        let mut all = self.lock();
        if all.len() >= MAX_SESSIONS {
            all.retain(|_, s| s.at.elapsed() < MAX_AGE);
        }
        if all.len() >= MAX_SESSIONS
            && let Some(oldest) = all.iter().min_by_key(|(_, s)| s.at).map(|(k, _)| k.clone())
        {
            all.remove(&oldest);
        }
        all.insert(hash(&id), Started { token_id: token_id.to_string(), at: Instant::now() });
        id
    }

    /// The principal of a live session whose token still exists; an expired or orphaned one ends here.
    fn principal(&self, id: &str, tokens: &Tokens) -> Option<Principal> {
        let key = hash(id);
        let mut all = self.lock();
        let started = all.get(&key)?;
        let who = (started.at.elapsed() < MAX_AGE).then(|| tokens.by_id(&started.token_id)).flatten();
        if who.is_none() {
            all.remove(&key);
        }
        who
    }

    fn end(&self, id: &str) {
        self.lock().remove(&hash(id));
    }
}

fn hash(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex<const N: usize>() -> String {
    let bytes: [u8; N] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signed-in user of a console page, with what every page needs.
pub(crate) struct Session {
    pub(crate) who: Principal,
    pub(crate) csrf: String,
    pub(crate) tz: Tz,
    id: String,
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

#[derive(serde::Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Only paths of the console itself are followed after signing in: printable ASCII (as in a URL), no
/// `//` or backslash that a browser could read as another host, and bounded; anything else leads to `/console`.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| {
        n.starts_with("/console")
            && !n.starts_with("//")
            && n.len() <= MAX_NEXT
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    })
    .unwrap_or("/console")
}

pub(crate) async fn sign_in_page(headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<Next>) -> Response {
    sign_in_form(&headers, StatusCode::OK, safe_next(q.next.as_deref()), None)
}

/// The sign-in page, with its double-submit value in the form and in a cookie (kept if the browser has one).
fn sign_in_form(headers: &HeaderMap, status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let value = cookie(headers, SIGN_IN_COOKIE)
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(random_hex::<16>, str::to_string);
    let set = format!("{SIGN_IN_COOKIE}={value}; Path=/console/sign-in; HttpOnly; SameSite=Strict; Max-Age=86400");
    let page = page_bare(
        "Sign in",
        html! {
            main.sign-in {
                h1 { "gpubook" }
                p.lead { "Book whole GPUs and MIG slices for a time window." }
                form method="post" action="/console/sign-in" {
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="csrf" value=(value);
                    label for="token" { "Access token" }
                    input #token type="password" name="token" autocomplete="current-password" required autofocus
                        aria-describedby="token-help";
                    p #token-help .help { "Your platform team gives you a token (" code { "gpubook token create" } ")." }
                    @if let Some(e) = error { p.error role="alert" { (e) } }
                    button.primary type="submit" { "Sign in" }
                }
            }
        },
    );
    (status, [(header::SET_COOKIE, set)], page).into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct SignInForm {
    token: String,
    next: Option<String>,
    csrf: Option<String>,
}

pub(crate) async fn sign_in(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SignInForm>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_string();
    let expected = cookie(&headers, SIGN_IN_COOKIE);
    if !from_this_site(&headers) || expected.is_none() || f.csrf.as_deref() != expected {
        let msg = "This sign-in came from another site or an old page. Sign in again here.";
        return sign_in_form(&headers, StatusCode::FORBIDDEN, &next, Some(msg));
    }
    let Some(who) = s.tokens.lookup(f.token.trim()) else {
        let msg = "That token is not valid. Check it and try again.";
        return sign_in_form(&headers, StatusCode::UNAUTHORIZED, &next, Some(msg));
    };
    let id = s.sessions.start(&who.token_id);
    let session = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", MAX_AGE.as_secs());
    let used = format!("{SIGN_IN_COOKIE}=; Path=/console/sign-in; HttpOnly; SameSite=Strict; Max-Age=0");
    (AppendHeaders([(header::SET_COOKIE, session), (header::SET_COOKIE, used)]), Redirect::to(&next)).into_response()
}

/// Whether a browser sent this request from a page of this server: `Sec-Fetch-Site` (when sent) is not
/// another site, and the `Origin` (else the `Referer`), when sent, names this host as the request does
/// (`Host`, or `X-Forwarded-Host` behind a proxy). A client that sends none of these is no browser that
/// another site could drive.
fn from_this_site(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    if matches!(get("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return false;
    }
    let Some(from) = get("origin").or_else(|| get("referer")) else {
        return true;
    };
    let Some(authority) = authority_of(from) else {
        return false;
    };
    let forwarded = get("x-forwarded-host").map(|h| h.split(',').next().unwrap_or("").trim());
    [get("host"), forwarded].into_iter().flatten().any(|host| !host.is_empty() && host.eq_ignore_ascii_case(authority))
}

/// `host[:port]` of an absolute http(s) URL; `None` for anything else (such as `null`).
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    (!authority.is_empty() && !authority.contains('@')).then_some(authority)
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

pub(crate) async fn sign_out(State(s): State<AppState>, Posted(session, _): Posted<CsrfOnly>) -> Response {
    s.sessions.end(&session.id);
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
