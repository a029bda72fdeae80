//! gpubook's service: the engine that decides and persists bookings one writer at a time, the REST API
//! and web console over it, authentication and authorisation, and metrics. `gpubook serve` is [`serve::start`].

pub mod app;
pub mod app_state;
pub mod auth;
pub mod console;
pub mod engine;
pub mod error;
pub mod kubernetes;
pub mod metrics;
pub mod routes;
pub mod serve;
pub mod sessions;
mod view;

pub use app::app;
pub use app_state::AppState;
pub use routes::openapi;
pub use serve::{Running, ServeConfig, ServeError, start};
