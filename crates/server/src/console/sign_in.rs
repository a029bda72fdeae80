//! Signing in and out of the console. Signing in is guarded against login CSRF (another site signing the
//! browser in as someone else): the POST must come from this server's own page (`Origin`, else `Referer`,
//! names this host; `Sec-Fetch-Site` is not `cross-site` or `same-site`) and carry the sign-in page's
//! one-time value that is also in a SameSite=Strict cookie (double submit).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use maud::html;

use super::http::cookie;
use super::layout::page_bare;
use super::session::{COOKIE, CsrfOnly, Posted};
use crate::app_state::AppState;
use crate::sessions::{MAX_AGE, random_hex};

/// The sign-in form's double-submit value.
const SIGN_IN_COOKIE: &str = "gpubook_sign_in";
/// The longest `next` followed after signing in.
const MAX_NEXT: usize = 2048;

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

pub(crate) async fn sign_out(State(s): State<AppState>, Posted(session, _): Posted<CsrfOnly>) -> Response {
    s.sessions.end(&session.id);
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/console/sign-in")).into_response()
}
