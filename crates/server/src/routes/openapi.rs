//! The finishing touches of the OpenAPI document, applied once every route is in: the base path, the bearer
//! scheme, the errors every operation can answer, and the constraints that a schema of one type cannot say.
//!
//! Each operation's annotation names what only it answers (403, 409, a 422 the planner decides); the errors
//! that follow from the operation's shape are added here, so that none is forgotten:
//!
//! - every operation: 401 (no valid bearer token) and 503 (a failed commit, fenced writes, shutdown, the
//!   request timeout);
//! - a JSON body: 400 (not JSON), 413 (over 1 MiB) and 422 (a field that cannot be read);
//! - a text body: 413 (over 2 MiB) and 422;
//! - query or header parameters: 422 (a parameter that cannot be read, or one the operation does not take);
//! - path parameters: 400 (a path that does not decode) and 404.
//!
//! Every error is answered with [`ErrorBody`]: an annotation's own error responses get it too.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AllOfBuilder, ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr};
use utoipa::{Modify, PartialSchema, ToSchema};

use api::rest::ErrorBody;

/// Where the API lives: generated clients and fuzzers call `/api/v1/bookings`, not `/bookings`.
pub(super) const BASE: &str = "/api/v1";

/// What [`Contract::modify`] adds; see the module's documentation.
pub(super) struct Contract;

impl Modify for Contract {
    fn modify(&self, api: &mut OpenApi) {
        api.servers = Some(vec![Server::new(BASE)]);
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        let mut schemas = vec![(ErrorBody::name().into_owned(), ErrorBody::schema())];
        ErrorBody::schemas(&mut schemas);
        for (name, schema) in schemas {
            components.schemas.entry(name).or_insert(schema);
        }
        if let Some(RefOr::T(schema)) = components.schemas.get_mut("BookingRequest") {
            *schema = size_or_shape(schema.clone());
        }
        if let Some(RefOr::T(schema)) = components.schemas.get_mut("TokenRequest") {
            *schema = projects_by_role(schema.clone());
        }
        catalog_models(api);
        for item in api.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                not_null(op);
                add_errors(op);
            }
        }
    }
}

/// The operations whose `model` parameter names a model of the catalog list its ids, so that a schema-valid
/// request names a model the server knows (it also takes them in any letter case).
fn catalog_models(api: &mut OpenApi) {
    let ids: Vec<String> = fit::ModelCatalog::builtin().ids().map(str::to_owned).collect();
    for path in ["/fit", "/bookings/{id}/manifests"] {
        let Some(op) = api.paths.paths.get_mut(path).and_then(|item| item.get.as_mut()) else { continue };
        for p in op.parameters.iter_mut().flatten() {
            if let RefOr::T(p) = p
                && p.name == "model"
            {
                let schema = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(ids.clone())).build();
                p.schema = Some(RefOr::T(Schema::Object(schema)));
            }
        }
    }
}

/// A parameter is present or absent, never `null`: an `Option` field of a query says "not required", which
/// its annotation already does.
fn not_null(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        let RefOr::T(p) = p else { continue };
        let Some(RefOr::T(schema)) = &mut p.schema else { continue };
        match schema {
            Schema::Object(o) => {
                if let SchemaType::Array(types) = &o.schema_type {
                    let types: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
                    o.schema_type = match types.as_slice() {
                        [one] => SchemaType::Type(one.clone()),
                        _ => SchemaType::Array(types),
                    };
                }
            }
            Schema::OneOf(one_of) => {
                one_of.items.retain(
                    |s| !matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null)),
                );
                if let [only] = one_of.items.as_slice() {
                    let only = only.clone();
                    p.schema = Some(only);
                }
            }
            _ => {}
        }
    }
}

/// The errors `op` can answer by its shape, and the error format on each.
fn add_errors(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let takes = |place: ParameterIn| params.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place));
    let (query, header, path) = (takes(ParameterIn::Query), takes(ParameterIn::Header), takes(ParameterIn::Path));
    let body = op.request_body.as_ref().map(|b| match b {
        RefOr::T(b) => b.content.contains_key("application/json"),
        RefOr::Ref(_) => true,
    });
    let mut errors: BTreeMap<&str, &str> = BTreeMap::new();
    errors.insert("401", "no valid bearer token (`Authorization: Bearer TOKEN`)");
    errors.insert(
        "503",
        "the server cannot answer now: a commit failed, writes are fenced, it is shutting down, or the request \
         timed out (code `timeout`; a change may still have been made); retry",
    );
    match body {
        Some(true) => {
            errors.insert("400", "the body is not JSON");
            errors.insert("413", "the body is over 1 MiB");
            errors.insert("422", "a field or parameter cannot be read, naming it");
        }
        Some(false) => {
            errors.insert("413", "the body is over 2 MiB");
            errors.insert("422", "the body cannot be read, naming the document and field");
        }
        None => {}
    }
    if query || header {
        errors.entry("422").or_insert("a parameter cannot be read, or is not one this operation takes; naming it");
    }
    if path {
        errors.entry("400").or_insert("the path does not decode");
        errors.insert("404", "no such object, or one the caller may not see");
    }
    for (status, description) in errors {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| error_response(description).into());
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if response.description.is_empty() {
            response.description = default_description(status).to_string();
        }
        if response.content.is_empty() {
            response.content.insert("application/json".into(), RefOr::T(error_content()));
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new().description(description).content("application/json", error_content()).build()
}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody")))).build()
}

fn default_description(status: &str) -> &'static str {
    match status {
        "400" => "the request cannot be read",
        "401" => "no valid bearer token",
        "403" => "the caller's role or projects do not allow it",
        "404" => "not found",
        "409" => "cannot be honoured now; the reasons say why",
        "413" => "the body is over its limit",
        "422" => "bad input, naming the field or parameter",
        "503" => "the server cannot answer now; retry",
        _ => "an error",
    }
}

/// `schema`, and also exactly one of `cases`.
fn one_of(schema: Schema, cases: impl IntoIterator<Item = Object>) -> Schema {
    let cases = cases.into_iter().fold(OneOfBuilder::new(), |b, case| b.item(case)).build();
    Schema::AllOf(AllOfBuilder::new().item(schema).item(Schema::OneOf(cases)).build())
}

/// `BookingRequest` with exactly one of `size` and `shape` (a string; `null` counts as absent).
fn size_or_shape(schema: Schema) -> Schema {
    let given = |field: &str| {
        ObjectBuilder::new().property(field, ObjectBuilder::new().schema_type(Type::String)).required(field).build()
    };
    one_of(schema, [given("size"), given("shape")])
}

/// `TokenRequest`: an admin token names no projects, any other at least one.
fn projects_by_role(schema: Schema) -> Schema {
    let projects = |items: ArrayBuilder| items.items(ObjectBuilder::new().schema_type(Type::String));
    let admin = ObjectBuilder::new()
        .property("role", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["admin"])))
        .property("projects", projects(ArrayBuilder::new().max_items(Some(0))))
        .build();
    let others = ObjectBuilder::new()
        .property(
            "role",
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["project-admin", "member", "viewer"])),
        )
        .property("projects", projects(ArrayBuilder::new().min_items(Some(1))))
        .required("projects")
        .build();
    one_of(schema, [admin, others])
}
