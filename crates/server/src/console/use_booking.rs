//! "Use this booking" in My bookings: the ready-to-apply manifests of a live or upcoming booking, for a model
//! of the fit catalog and a kind of workload, in a read-only text area with a copy button. The same render
//! as `GET /api/v1/bookings/{id}/manifests` (`k8s::deploy`); without a model asked, the first model of the
//! catalog that fits on the booking is shown. Works without script: the pickers are a GET form.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use api::fit::models;
use api::rest::BookingView;
use k8s::deploy::{DeployError, DeployRequest, WorkloadKind, manifests, to_yaml};

use super::layout::{Nav, page};
use super::session::Session;
use crate::app_state::AppState;
use crate::engine::book::parse_id;
use crate::error::AppError;

/// The kinds the picker offers, as `kind` names them, with their words.
const KINDS: [(&str, &str); 3] =
    [("vllm", "vLLM Deployment and Service"), ("inferenceservice", "KServe InferenceService"), ("job", "Batch Job")];

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct UseQuery {
    model: Option<String>,
    kind: Option<String>,
}

/// What the page shows below the pickers: the model rendered and its YAML, or why there is none.
struct Shown {
    model: String,
    yaml: Result<String, DeployError>,
}

pub(crate) async fn page_handler(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(q): Query<UseQuery>,
) -> Response {
    let Some(bid) = parse_id(&id) else {
        return super::error_page(&s, Nav::Bookings, AppError::not_found(format!("no booking {id}")));
    };
    let kind_name = q.kind.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "vllm".into());
    let model = q.model.clone().filter(|m| !m.is_empty());
    let who = s.who.clone();
    let opts = st.k8s.clone();
    let read = st
        .engine
        .read(move |state, now| {
            let b = state.visible(&who, bid)?;
            let view = crate::view::finish(state.view(b, now), &opts);
            let queues = opts.queues;
            if !matches!(view.status.as_str(), "active" | "confirmed") {
                return Ok((view, None));
            }
            let render = |model: &str| -> Result<String, DeployError> {
                let kind = WorkloadKind::parse(&kind_name).ok_or_else(|| DeployError {
                    field: "kind",
                    reason: format!("{kind_name:?} is not one of {}", WorkloadKind::NAMES),
                })?;
                let req = DeployRequest { kind, model: model.to_string(), image: None, dra: false, queues };
                manifests(&state.catalog, state.defs(), models(), b, &req).map(|o| to_yaml(&o))
            };
            let shown = match model {
                Some(m) => Shown { yaml: render(&m), model: m },
                None => first_that_fits(render),
            };
            Ok::<_, crate::engine::error::Error>((view, Some(shown)))
        })
        .await;
    let (view, shown) = match read {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return super::error_page(&s, Nav::Bookings, e),
        Err(e) => return super::error_page(&s, Nav::Bookings, e),
    };
    let Some(shown) = shown else {
        let e = AppError::new(
            axum::http::StatusCode::CONFLICT,
            "not-live",
            format!("booking {} is {}; only live and upcoming bookings can be used", view.id, view.status),
        );
        return super::error_page(&s, Nav::Bookings, e);
    };
    let kind = q.kind.as_deref().filter(|k| !k.is_empty()).unwrap_or("vllm");
    let title = format!("Use booking {}", view.id);
    page(&s, Nav::Bookings, &title, body(&view, kind, &shown)).into_response()
}

/// The first catalog model whose manifests render on the booking, else the first model's error.
fn first_that_fits(render: impl Fn(&str) -> Result<String, DeployError>) -> Shown {
    let mut first_error = None;
    for m in models().models() {
        let id = m.spec.id.clone();
        match render(&id) {
            Ok(yaml) => return Shown { model: id, yaml: Ok(yaml) },
            Err(e) if e.field == "kind" => return Shown { model: id, yaml: Err(e) },
            Err(e) => {
                first_error.get_or_insert(Shown { model: id, yaml: Err(e) });
            }
        }
    }
    first_error.unwrap_or(Shown {
        model: String::new(),
        yaml: Err(DeployError { field: "model", reason: "the model catalog is empty".into() }),
    })
}

fn body(b: &BookingView, kind: &str, shown: &Shown) -> Markup {
    let action = format!("/console/bookings/{}/use", b.id);
    html! {
        main.use-page {
            p { a href="/console/bookings" { "← My bookings" } }
            h1 { "Use booking " (b.id) }
            (super::bookings::ending_soon(b))
            @if let Some(k) = &b.kubernetes {
                p.help {
                    "Apply these in namespace " code { (k.namespace) } "; they run on queue " code { (k.local_queue) }
                    " (label " code { "kueue.x-k8s.io/queue-name" } ") and ask for no more than the booking holds."
                }
            }
            form.use-pick method="get" action=(action) hx-get=(action) hx-trigger="change"
                hx-target="#manifest" hx-select="#manifest" hx-swap="outerHTML" hx-push-url="true" {
                div {
                    label for="u-model" { "Model" }
                    select #u-model name="model" {
                        @for m in models().models() {
                            option value=(m.spec.id) selected[m.spec.id == shown.model] { (m.spec.id) }
                        }
                    }
                }
                div {
                    label for="u-kind" { "Workload" }
                    select #u-kind name="kind" {
                        @for (k, words) in KINDS { option value=(k) selected[k == kind] { (words) } }
                    }
                }
                button.primary type="submit" { "Show manifests" }
            }
            (manifest(shown))
        }
    }
}

fn manifest(shown: &Shown) -> Markup {
    html! {
        section #manifest aria-live="polite" {
            @match &shown.yaml {
                Err(e) => p.error role="alert" { (e.to_string()) },
                Ok(yaml) => {
                    div.copy-row {
                        label for="manifest-yaml" { "Manifests for " (shown.model) " (YAML, for " code { "kubectl apply -f -" } ")" }
                        // Shown by console.js, which is what makes it work; without script, select the text.
                        button.primary type="button" data-copy="manifest-yaml" hidden { "Copy" }
                        span.copied aria-live="polite" {}
                    }
                    textarea #manifest-yaml readonly rows=(yaml.lines().count().clamp(8, 40)) spellcheck="false" { (yaml) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_model_that_renders_is_shown_and_a_bad_kind_stops_the_search() {
        let ids: Vec<String> = models().models().map(|m| m.spec.id.clone()).collect();
        assert!(ids.len() > 2, "the catalog has models to pick from");
        let second = ids[1].clone();
        let shown = first_that_fits(|m| {
            if m == second {
                Ok(format!("model: {m}"))
            } else {
                Err(DeployError { field: "model", reason: "too big".into() })
            }
        });
        assert_eq!(
            (shown.model.as_str(), shown.yaml.as_deref().ok()),
            (ids[1].as_str(), Some(&*format!("model: {}", ids[1])))
        );
        let none = first_that_fits(|_| Err(DeployError { field: "model", reason: "too big".into() }));
        assert_eq!(none.model, ids[0], "nothing fits: the first model's reason is said");
        let bad = first_that_fits(|_| Err(DeployError { field: "kind", reason: "no".into() }));
        assert_eq!(bad.yaml.unwrap_err().field, "kind");
    }
}
