//! The HTTP edge: `app(state) -> Router`. Handlers parse, call the engine, map the answer — nothing more.

mod bookings;
mod cluster;
mod definitions;
mod extract;
mod fit;
mod fleet;
mod headers;
mod manifests;
mod openapi;
mod ops;
mod tokens;
mod usage;

use axum::Router;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app_state::AppState;

pub use extract::Auth;

#[derive(OpenApi)]
#[openapi(
    info(title = "gpubook", description = "Book whole GPUs and MIG slices for a time window."),
    security(("bearer" = [])),
    components(schemas(
        api::fit::DtypeName,
        api::fit::KvDtypeName,
        api::usage::ByName,
        manifests::KindName
    ))
)]
struct ApiDoc;

/// The OpenAPI document of `/api/v1`, generated from the handlers (served at `/api/v1/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().1
}

/// The routes of `/api/v1` and their document, finished by [`openapi::Contract`] once every route is in.
fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(fleet::catalog))
        .routes(routes!(fleet::fleet, definitions::put_fleet))
        .routes(routes!(definitions::sizes, definitions::put_sizes))
        .routes(routes!(definitions::projects, definitions::put_projects))
        .routes(routes!(definitions::cohorts, definitions::put_cohorts))
        .routes(routes!(definitions::price_lists, definitions::put_price_lists))
        .routes(routes!(definitions::apply))
        .routes(routes!(fleet::availability))
        .routes(routes!(fit::fit))
        .routes(routes!(bookings::create, bookings::list))
        .routes(routes!(bookings::get, bookings::cancel))
        .routes(routes!(manifests::manifests_of))
        .routes(routes!(tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::whoami))
        .routes(routes!(usage::usage))
        .routes(routes!(ops::audit))
        .routes(routes!(cluster::objects));
    let (router, mut spec) = router.split_for_parts();
    utoipa::Modify::modify(&openapi::Contract, &mut spec);
    spec.info.version = env!("CARGO_PKG_VERSION").into();
    (router, spec)
}

pub(crate) use headers::security as security_headers;

/// `/api/v1`, its OpenAPI document and docs page, `/healthz`, `/readyz` and `/metrics`; [`crate::app()`]
/// adds the console and the security headers.
pub(crate) fn service() -> Router<AppState> {
    let (api, spec) = api_router();
    let api = api.fallback(ops::no_route).layer(axum::middleware::map_response(json_errors));
    Router::new()
        .nest("/api/v1", api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", spec))
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/readyz", axum::routing::get(ops::readyz))
        .route("/metrics", axum::routing::get(ops::metrics))
}

/// Every error of `/api/v1` is answered in the error format. gpubook's extractors already answer so; this
/// rewrites what axum answers itself in plain text or with no body (a path parameter that does not decode,
/// a method the route lacks), keeping the status and headers such as `Allow`.
async fn json_errors(resp: axum::response::Response) -> axum::response::Response {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    let status = resp.status();
    let json = resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_string());
    let message = match text {
        Ok(t) if !t.is_empty() => t,
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let code = match status.as_u16() {
        400 => "bad-request",
        404 => "not-found",
        405 => "method-not-allowed",
        413 => "too-large",
        415 => "unsupported-media-type",
        _ if status.is_client_error() => "bad-request",
        _ => "unavailable",
    };
    let rewritten = crate::error::AppError::new(status, code, message).into_response();
    let (new_parts, body) = rewritten.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    if let Some(ct) = new_parts.headers.get(CONTENT_TYPE) {
        parts.headers.insert(CONTENT_TYPE, ct.clone());
    }
    axum::response::Response::from_parts(parts, body)
}
