//! `/tokens` and `/whoami`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use api::rest::{ErrorBody, TokenCreated, TokenRequest};

use super::AppState;
use super::extract::{Auth, Body};
use crate::error::AppError;

/// Create a token (admin: any; project-admin: member or viewer of its projects). The secret is shown once.
#[utoipa::path(post, path = "/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = TokenCreated),
        (status = 403, description = "a role or projects the caller may not grant", body = ErrorBody),
        (status = 422, description = "bad input, naming the field; also projects for an admin token, none for another \
            role, or a project that does not exist", body = ErrorBody)))]
pub(super) async fn create(
    State(s): State<AppState>,
    Auth(who): Auth,
    Body(req): Body<TokenRequest>,
) -> Result<(StatusCode, axum::Json<TokenCreated>), AppError> {
    let created = s.engine.create_token(who, req).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Revoke a token: it stops working at once. Admins revoke any; project admins the member and viewer
/// tokens of their projects; anyone their own. The last admin token cannot be revoked (409).
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth", params(("id" = String, Path, description = "such as tok-0123456789ab")),
    responses((status = 204, description = "revoked"),
        (status = 403, description = "not the caller's to revoke", body = ErrorBody),
        (status = 404, description = "no such token", body = ErrorBody),
        (status = 409, description = "the last admin token", body = ErrorBody)))]
pub(super) async fn revoke(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    s.engine.revoke_token(who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct WhoAmI {
    subject: String,
    #[schema(value_type = api::rest::RoleName)]
    role: String,
    projects: Vec<String>,
    token_id: String,
}

/// Who the presented token belongs to.
#[utoipa::path(get, path = "/whoami", tag = "auth", responses((status = 200, body = WhoAmI)))]
pub(super) async fn whoami(Auth(who): Auth) -> axum::Json<WhoAmI> {
    axum::Json(WhoAmI {
        subject: who.subject,
        role: who.role.as_str().into(),
        projects: who.projects.into_iter().collect(),
        token_id: who.token_id,
    })
}
