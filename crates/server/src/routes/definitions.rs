//! Declared objects: fleet, sizes, projects, cohorts, price lists. `GET` reads them; `PUT` replaces all of a kind;
//! `POST /apply` creates or updates the documents of a manifest file. Changes that would break confirmed
//! bookings are refused with the list of them, unless `force=true`.

use axum::extract::State;
use serde::Deserialize;

use api::Document;
use api::manifest::{CohortDoc, NodeDoc, PriceListDoc, ProjectDoc, SizeDoc};
use api::rest::{ApplyResult, ErrorBody};
use api::views::SizeView;

use super::AppState;
use super::extract::{Admin, Auth, Body, Query, Text};
use crate::engine::apply::{ApplyRequest, Scope};
use crate::error::AppError;

/// Unknown parameters are refused (422), so that a misspelt `dry_run` never changes anything.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeQuery {
    /// Validate and report what would change; change nothing.
    #[serde(default)]
    dry_run: bool,
    /// Apply even if confirmed bookings break: they are preempted and told why.
    #[serde(default)]
    force: bool,
}

const VIOLATIONS: &str =
    "it would break confirmed or active bookings, listed in `violations`; `force=true` preempts them";
const INVALID: &str = "the definitions are not valid (an unknown GPU model, size or cohort, a selector that does not \
    compile, a name given twice, …) or a parameter cannot be read; the error names the object and field";

async fn change(
    s: &AppState,
    who: crate::auth::Principal,
    docs: Vec<Document>,
    scope: Scope,
    q: ChangeQuery,
) -> Result<axum::Json<ApplyResult>, AppError> {
    let req = ApplyRequest { docs, scope, dry_run: q.dry_run, force: q.force };
    let applied = s.engine.apply(who, req).await?;
    Ok(axum::Json(applied.result))
}

/// Every size with the shapes it matches.
#[utoipa::path(get, path = "/sizes", tag = "definitions", responses((status = 200, body = Vec<SizeView>)))]
pub(super) async fn sizes(State(s): State<AppState>, Auth(_who): Auth) -> Result<axum::Json<Vec<SizeView>>, AppError> {
    Ok(axum::Json(s.engine.read(|state, _| api::views::sizes(state.defs(), &state.catalog, &state.warnings)).await?))
}

/// Replace the declared sizes (the built-in gpu-small, gpu-medium and gpu-large stay unless redefined).
#[utoipa::path(put, path = "/sizes", tag = "definitions", params(ChangeQuery), request_body = Vec<SizeDoc>,
    responses((status = 200, body = ApplyResult), (status = 403, description = "not an admin", body = ErrorBody),
        (status = 409, description = VIOLATIONS, body = ErrorBody), (status = 422, description = INVALID, body = ErrorBody)))]
pub(super) async fn put_sizes(
    State(s): State<AppState>,
    Admin(who): Admin,
    Query(q): Query<ChangeQuery>,
    Body(docs): Body<Vec<SizeDoc>>,
) -> Result<axum::Json<ApplyResult>, AppError> {
    change(&s, who, docs.into_iter().map(Document::Size).collect(), Scope::ReplaceKind("Size"), q).await
}

/// The projects the caller belongs to (all, for an admin).
#[utoipa::path(get, path = "/projects", tag = "definitions", responses((status = 200, body = Vec<ProjectDoc>)))]
pub(super) async fn projects(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<axum::Json<Vec<ProjectDoc>>, AppError> {
    let all = s
        .engine
        .read(move |state, _| {
            state
                .docs
                .values()
                .filter_map(|d| match d {
                    Document::Project(p) if who.can_read(&p.name) => Some(p.clone()),
                    _ => None,
                })
                .collect()
        })
        .await?;
    Ok(axum::Json(all))
}

/// Replace every project.
#[utoipa::path(put, path = "/projects", tag = "definitions", params(ChangeQuery), request_body = Vec<ProjectDoc>,
    responses((status = 200, body = ApplyResult), (status = 403, description = "not an admin", body = ErrorBody),
        (status = 409, description = VIOLATIONS, body = ErrorBody), (status = 422, description = INVALID, body = ErrorBody)))]
pub(super) async fn put_projects(
    State(s): State<AppState>,
    Admin(who): Admin,
    Query(q): Query<ChangeQuery>,
    Body(docs): Body<Vec<ProjectDoc>>,
) -> Result<axum::Json<ApplyResult>, AppError> {
    change(&s, who, docs.into_iter().map(Document::Project).collect(), Scope::ReplaceKind("Project"), q).await
}

#[utoipa::path(get, path = "/cohorts", tag = "definitions", responses((status = 200, body = Vec<CohortDoc>)))]
pub(super) async fn cohorts(
    State(s): State<AppState>,
    Auth(_who): Auth,
) -> Result<axum::Json<Vec<CohortDoc>>, AppError> {
    let all = s
        .engine
        .read(|state, _| {
            state
                .docs
                .values()
                .filter_map(|d| if let Document::Cohort(c) = d { Some(c.clone()) } else { None })
                .collect()
        })
        .await?;
    Ok(axum::Json(all))
}

/// Replace every cohort.
#[utoipa::path(put, path = "/cohorts", tag = "definitions", params(ChangeQuery), request_body = Vec<CohortDoc>,
    responses((status = 200, body = ApplyResult), (status = 403, description = "not an admin", body = ErrorBody),
        (status = 409, description = VIOLATIONS, body = ErrorBody), (status = 422, description = INVALID, body = ErrorBody)))]
pub(super) async fn put_cohorts(
    State(s): State<AppState>,
    Admin(who): Admin,
    Query(q): Query<ChangeQuery>,
    Body(docs): Body<Vec<CohortDoc>>,
) -> Result<axum::Json<ApplyResult>, AppError> {
    change(&s, who, docs.into_iter().map(Document::Cohort).collect(), Scope::ReplaceKind("Cohort"), q).await
}

/// The price list (at most one), with the discounts of the caller's projects only (all, for an admin).
#[utoipa::path(get, path = "/price-lists", tag = "definitions", responses((status = 200, body = Vec<PriceListDoc>)))]
pub(super) async fn price_lists(
    State(s): State<AppState>,
    Auth(who): Auth,
) -> Result<axum::Json<Vec<PriceListDoc>>, AppError> {
    let all = s
        .engine
        .read(move |state, _| {
            state
                .docs
                .values()
                .filter_map(|d| match d {
                    Document::PriceList(p) => {
                        let mut p = p.clone();
                        p.discounts.retain(|x| who.can_read(&x.project));
                        Some(p)
                    }
                    _ => None,
                })
                .collect()
        })
        .await?;
    Ok(axum::Json(all))
}

/// Replace the price list: an empty list deletes it, more than one is refused. A change is a new version
/// of the prices from now on; instants before it keep the prices in force then (docs/metering.md).
#[utoipa::path(put, path = "/price-lists", tag = "definitions", params(ChangeQuery), request_body = Vec<PriceListDoc>,
    responses((status = 200, body = ApplyResult), (status = 403, description = "not an admin", body = ErrorBody),
        (status = 409, description = VIOLATIONS, body = ErrorBody), (status = 422, description = INVALID, body = ErrorBody)))]
pub(super) async fn put_price_lists(
    State(s): State<AppState>,
    Admin(who): Admin,
    Query(q): Query<ChangeQuery>,
    Body(docs): Body<Vec<PriceListDoc>>,
) -> Result<axum::Json<ApplyResult>, AppError> {
    change(&s, who, docs.into_iter().map(Document::PriceList).collect(), Scope::ReplaceKind("PriceList"), q).await
}

/// Replace every node (the fleet).
#[utoipa::path(put, path = "/fleet", tag = "definitions", params(ChangeQuery), request_body = Vec<NodeDoc>,
    responses((status = 200, body = ApplyResult), (status = 403, description = "not an admin", body = ErrorBody),
        (status = 409, description = VIOLATIONS, body = ErrorBody), (status = 422, description = INVALID, body = ErrorBody)))]
pub(super) async fn put_fleet(
    State(s): State<AppState>,
    Admin(who): Admin,
    Query(q): Query<ChangeQuery>,
    Body(docs): Body<Vec<NodeDoc>>,
) -> Result<axum::Json<ApplyResult>, AppError> {
    change(&s, who, docs.into_iter().map(Document::Node).collect(), Scope::ReplaceKind("Node"), q).await
}

/// Create or update the documents of a manifest (YAML, `kind:` Node, Size, Cohort, Project or PriceList): at most
/// 2 MiB, 10,000 documents, and flow collections (`[…]`, `{…}`) nested at most 64 deep.
#[utoipa::path(post, path = "/apply", tag = "definitions", params(ChangeQuery), request_body(content = Option<String>, content_type = "application/yaml", description = "YAML documents; none (an empty body) changes nothing"),
    responses((status = 200, body = ApplyResult), (status = 403, description = "not an admin", body = ErrorBody),
        (status = 409, description = VIOLATIONS, body = ErrorBody),
        (status = 413, description = "the body is over 2 MiB", body = ErrorBody),
        (status = 422, description = INVALID, body = ErrorBody)))]
pub(super) async fn apply(
    State(s): State<AppState>,
    Admin(who): Admin,
    Query(q): Query<ChangeQuery>,
    Text(text): Text,
) -> Result<axum::Json<ApplyResult>, AppError> {
    let parsed = tokio::task::spawn_blocking(move || api::parse_manifests("body", &text))
        .await
        .map_err(|e| AppError::unavailable(format!("parsing failed: {e}")))?;
    let located = parsed.map_err(|e| {
        let field = format!(
            "document {}{}",
            e.document,
            if e.field.is_empty() { String::new() } else { format!(" {}", e.field) }
        );
        AppError::invalid(&field, e.reason)
    })?;
    change(&s, who, located.into_iter().map(|l| l.doc).collect(), Scope::Merge, q).await
}
