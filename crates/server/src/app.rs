//! The whole service as one router: the REST API with its OpenAPI document (`routes`), the console
//! (`console`), health and metrics, behind the security headers. The top of the crate's layering: it
//! imports the edges, and nothing imports it but `serve`.

use axum::Router;

use crate::app_state::AppState;

/// `/api/v1`, its OpenAPI document and docs page, the console, `/healthz`, `/readyz` and `/metrics`.
pub fn app(state: AppState) -> Router {
    crate::routes::service()
        .merge(crate::console::router())
        .layer(axum::middleware::from_fn(crate::routes::security_headers))
        .with_state(state)
}
