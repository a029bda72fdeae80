//! Security headers on every response: a Content-Security-Policy that allows this server's own scripts,
//! styles and images only (the console has no inline script or style; htmx's indicator styles are off), no
//! framing by any site, no content-type sniffing, and no referrer beyond this origin.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::middleware::Next;
use axum::response::Response;

/// Everything from this server only; forms post here only; no plugins, `<base>` or framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Swagger UI (`/api/docs`) also sets inline styles and draws its icons from `data:` URLs.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

pub(crate) async fn security(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    let csp = if docs { DOCS_CSP } else { CSP };
    headers.entry(CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(csp));
    headers.entry(X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    headers.entry(X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    headers.entry(REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    resp
}
