//! The HTTP edge: `app(state) -> Router`. Handlers parse, call the engine, map the answer — nothing more.

mod bookings;
mod cluster;
mod definitions;
mod extract;
mod fleet;
mod ops;
mod tokens;

use std::sync::Arc;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Tokens;
use crate::engine::Engine;
use crate::metrics::Metrics;

pub use extract::Auth;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub tokens: Tokens,
    pub metrics: Arc<Metrics>,
    pub store: store::Store,
    pub catalog: Arc<model::Catalog>,
    /// How Kubernetes objects are rendered (also for the reconciler, when one runs).
    pub k8s: Arc<k8s::Options>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "gpubook", description = "Book whole GPUs and MIG slices for a time window."),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document of `/api/v1`, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(fleet::catalog))
        .routes(routes!(fleet::fleet, definitions::put_fleet))
        .routes(routes!(definitions::sizes, definitions::put_sizes))
        .routes(routes!(definitions::projects, definitions::put_projects))
        .routes(routes!(definitions::cohorts, definitions::put_cohorts))
        .routes(routes!(definitions::apply))
        .routes(routes!(fleet::availability))
        .routes(routes!(bookings::create, bookings::list))
        .routes(routes!(bookings::get, bookings::cancel))
        .routes(routes!(tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::whoami))
        .routes(routes!(ops::audit))
        .routes(routes!(cluster::objects))
}

/// The whole service: `/api/v1`, its OpenAPI document and docs page, the console, `/healthz` and `/metrics`.
pub fn app(state: AppState) -> Router {
    let (api, mut spec) = api_router().split_for_parts();
    spec.info.version = env!("CARGO_PKG_VERSION").into();
    let api = api.fallback(ops::no_route);
    Router::new()
        .nest("/api/v1", api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", spec))
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/metrics", axum::routing::get(ops::metrics))
        .merge(crate::console::router())
        .with_state(state)
}
