//! The booking form beside the calendar and the small pieces booking pages share (placements, reasons):
//! widgets only, no handlers, so the calendar and the booking handlers both use them without importing
//! each other.

use maud::{Markup, html};

use api::rest::{BookingRequest, ReasonView};

use super::fit::{Marks, run_fields, tier_pick};
use super::session::Session;
use super::tiers::Tier;

/// The booking form's fields, as the browser sends them (times are `datetime-local` in the viewer's zone).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct BookForm {
    pub(crate) csrf: Option<String>,
    pub(crate) project: Option<String>,
    pub(crate) tier: Option<String>,
    pub(crate) count: Option<String>,
    pub(crate) start: Option<String>,
    pub(crate) end: Option<String>,
    pub(crate) mode: Option<String>,
    /// "What will you run?": a model of the catalog and its context, which mark the tiers that fit.
    pub(crate) model: Option<String>,
    pub(crate) context: Option<String>,
}

impl super::session::Csrf for BookForm {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

impl BookForm {
    /// The model asked in "What will you run?", if any.
    pub(crate) fn model(&self) -> Option<&str> {
        self.model.as_deref().map(str::trim).filter(|m| !m.is_empty())
    }

    /// The API request this form asks for; an error names the field.
    pub(crate) fn request(&self, s: &Session) -> Result<BookingRequest, String> {
        let need = |v: &Option<String>, field: &str| {
            v.clone().filter(|x| !x.trim().is_empty()).ok_or_else(|| format!("{field}: required"))
        };
        let project = need(&self.project, "project")?;
        let tier = need(&self.tier, "tier")?;
        let (size, shape) = match Tier::parse(&tier) {
            Some(model::Want::Size(n)) => (Some(n), None),
            Some(model::Want::Shape(k)) => (None, Some(k.to_string())),
            None => return Err(format!("tier: {tier:?} is not a size or shape")),
        };
        let count = match self.count.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(c) => c.parse::<u32>().map_err(|_| format!("count: {c:?} is not a whole number"))?,
        };
        let start = s.tz.parse_input("start", &need(&self.start, "start")?)?;
        let end = s.tz.parse_input("end", &need(&self.end, "end")?)?;
        let mode = self.mode.clone().filter(|m| !m.is_empty());
        Ok(BookingRequest { project, size, shape, count, start, end, mode, priority: None })
    }
}

/// The booking form, with its verdict area; `marks` are the tiers' fit for the model asked.
pub(crate) fn form_panel(
    s: &Session,
    projects: &[String],
    tiers: &[Tier],
    f: &BookForm,
    verdict: Option<Markup>,
    marks: Option<&Result<Marks, String>>,
) -> Markup {
    let bookable: Vec<&String> = projects.iter().filter(|p| s.who.can_book(p)).collect();
    let mode = f.mode.as_deref().unwrap_or("reserved");
    html! {
        aside.book aria-labelledby="book-title" {
            h2 #book-title { "Book" }
            @if bookable.is_empty() {
                p.empty { "Your role can look but not book. Ask a project admin for a member token." }
            } @else {
                form #book-form method="post" action="/console/book"
                    hx-post="/console/verdict" hx-trigger="change, input delay:400ms" hx-target="#verdict" {
                    input type="hidden" name="csrf" value=(s.csrf);
                    div.pair {
                        div {
                            label for="f-project" { "Project" }
                            select #f-project name="project" {
                                @for p in &bookable { option value=(p) selected[f.project.as_ref() == Some(*p)] { (p) } }
                            }
                        }
                        div.narrow {
                            label for="f-count" { "Devices" }
                            input #f-count type="number" name="count" min="1" value=(f.count.clone().unwrap_or_else(|| "1".into()));
                        }
                    }
                    (run_fields(f.model(), f.context.as_deref()))
                    (tier_pick(tiers, f.tier.as_deref(), marks))
                    label for="f-start" { "From" }
                    input #f-start type="datetime-local" name="start" step="900" required value=[f.start.as_ref()];
                    label for="f-end" { "Until" }
                    input #f-end type="datetime-local" name="end" step="900" required value=[f.end.as_ref()];
                    fieldset.mode {
                        legend { "Mode" }
                        label title="Guaranteed within your project's nominal quota" {
                            input type="radio" name="mode" value="reserved" checked[mode == "reserved"]; " Reserved" }
                        label title="Uses idle capacity of the cohort; may be reclaimed by reserved bookings" {
                            input type="radio" name="mode" value="opportunistic" checked[mode == "opportunistic"]; " Opportunistic" }
                    }
                    div #verdict .verdict aria-live="polite" {
                        @match verdict {
                            Some(v) => (v),
                            None => p.help { "Pick a window to see whether it fits." },
                        }
                    }
                    button.primary #book-submit type="submit" { "Book" }
                }
            }
        }
    }
}

pub(crate) fn placement(p: &api::rest::PlacementView) -> String {
    if p.profile == "full" {
        format!("{} GPU {} ({}, whole GPU)", p.node, p.gpu, p.model)
    } else {
        format!("{} GPU {} ({}), placement {}@{}", p.node, p.gpu, p.model, p.profile, p.start_slot)
    }
}

pub(crate) fn reasons(r: &[ReasonView]) -> Markup {
    html! {
        @if !r.is_empty() {
            ul.reasons { @for x in r { li data-code=(x.code) { (x.message) " " code { (x.code) } } } }
        }
    }
}
