//! The availability calendar: how many devices of a tier the project can book, per hour, over a week (one
//! tier) or a day (every tier), in the viewer's time zone; with the booking form beside it.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use maud::{Markup, html};
use model::{Instant, Mode, Window};

use super::fit::marks;
use super::form::{BookForm, form_panel};
use super::http::url_encode;
use super::layout::{Nav, page};
use super::session::Session;
use super::tiers::{Tier, projects, tiers};
use crate::app_state::AppState;
use crate::engine::error::Unavailable;

/// Cells count free devices up to this many and show more as "50+": counting every free slice of a large
/// fleet for every hour of a week would make the page slow for no use.
const SHOWN_UP_TO: u32 = 50;

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct CalQuery {
    pub(crate) project: Option<String>,
    pub(crate) tier: Option<String>,
    /// `week` (default) or `day`.
    pub(crate) view: Option<String>,
    /// `YYYY-MM-DD`, in the viewer's zone; today by default.
    pub(crate) date: Option<String>,
    /// `reserved` (default) or `opportunistic`: which quota the counts respect.
    pub(crate) mode: Option<String>,
}

/// One column of the grid: a tier on a day.
struct Column {
    heading: String,
    /// The tier key its cells book.
    tier: String,
    today: bool,
    cells: Vec<(Window, u32)>,
}

/// What the page shows, read from the engine in one go.
pub(crate) struct Calendar {
    projects: Vec<String>,
    project: String,
    tiers: Vec<Tier>,
    tier: Option<Tier>,
    columns: Result<Vec<Column>, String>,
    /// The days shown, for the heading.
    days: (Date, Date),
    mode: Mode,
    now: Instant,
    /// The fleet's shapes as model-fit candidates, for "What will you run?".
    candidates: Vec<fit::Candidate>,
}

pub(crate) async fn page_handler(State(s): State<AppState>, session: Session, Query(q): Query<CalQuery>) -> Response {
    match calendar(&s, &session, &q).await {
        Ok(cal) => render(&session, &q, &cal, BookForm::default(), None).into_response(),
        Err(e) => super::error_page(&session, Nav::Calendar, e),
    }
}

/// Reads the calendar the query asks for.
pub(crate) async fn calendar(s: &AppState, session: &Session, q: &CalQuery) -> Result<Calendar, Unavailable> {
    let (who, tz) = (session.who.clone(), session.tz.clone());
    let q = CalQuery {
        project: q.project.clone(),
        tier: q.tier.clone(),
        view: q.view.clone(),
        date: q.date.clone(),
        mode: q.mode.clone(),
    };
    let mode = q.mode.as_deref().and_then(Mode::parse).unwrap_or(Mode::Reserved);
    s.engine
        .read(move |state, now| {
            let projects = projects(state.defs(), &who, false);
            let candidates = fit::candidates(&state.catalog, state.defs());
            let project = q.project.clone().filter(|p| projects.contains(p)).or_else(|| projects.first().cloned());
            let Some(project) = project else {
                let columns = Err("You are in no project yet: ask your platform team for access.".into());
                let today = tz.today(now);
                let (project, tiers, days) = (String::new(), vec![], (today, today));
                return Calendar { projects, project, tiers, tier: None, columns, days, mode, now, candidates };
            };
            let tiers = tiers(state.defs(), &state.catalog, &project);
            let tier = q.tier.as_ref().and_then(|k| tiers.iter().find(|t| &t.key == k)).or(tiers.first()).cloned();
            let day = q.date.as_deref().and_then(|d| d.parse::<Date>().ok()).unwrap_or_else(|| tz.today(now));
            let today = tz.today(now);
            let monday = day.checked_sub((day.weekday().to_monday_zero_offset() as i64).days()).unwrap_or(day);
            let days = if q.view.as_deref() == Some("day") {
                (day, day)
            } else {
                (monday, monday.checked_add(6.days()).unwrap_or(monday))
            };
            let columns = if q.view.as_deref() == Some("day") {
                tiers.iter().map(|t| column(state, &project, t, mode, &tz, day, today, t.short.clone(), now)).collect()
            } else {
                (0..7)
                    .map(|i| {
                        let d = monday.checked_add(i.days()).unwrap_or(monday);
                        let heading = d.strftime("%a %-d %b").to_string();
                        match &tier {
                            Some(t) => column(state, &project, t, mode, &tz, d, today, heading, now),
                            None => Err("Nothing can be booked in this project.".into()),
                        }
                    })
                    .collect()
            };
            Calendar { projects, project, tiers, tier, columns, days, mode, now, candidates }
        })
        .await
}

/// Hourly availability of `want` for `project` on local day `day`.
#[allow(clippy::too_many_arguments)]
fn column(
    state: &crate::engine::state::State,
    project: &str,
    tier: &Tier,
    mode: Mode,
    tz: &super::time::Tz,
    day: Date,
    today: Date,
    heading: String,
    now: Instant,
) -> Result<Column, String> {
    let next = day.checked_add(1.day()).map_err(|e| e.to_string())?;
    let window = Window::new(tz.midnight(day), tz.midnight(next)).map_err(|e| e.to_string())?;
    let cells = state
        .planner
        .availability_slots_up_to(project, &tier.want, window, (3600, SHOWN_UP_TO), mode, now)
        .map_err(|r| r.iter().map(|r| r.message.clone()).collect::<Vec<_>>().join("; "))?;
    Ok(Column { heading, tier: tier.key.clone(), today: day == today, cells })
}

/// The whole calendar page, with the booking form prefilled from `form` and a refusal if there was one.
pub(crate) fn render(s: &Session, q: &CalQuery, cal: &Calendar, form: BookForm, refusal: Option<Markup>) -> Markup {
    let day_view = q.view.as_deref() == Some("day");
    let date = q.date.clone().unwrap_or_else(|| s.tz.today(cal.now).to_string());
    let tier_key = cal.tier.as_ref().map(|t| t.key.clone()).unwrap_or_default();
    let mode = cal.mode.as_str();
    let link = |view: &str, date: &str| {
        format!("/console?project={}&tier={}&view={view}&date={date}&mode={mode}", cal.project, url_encode(&tier_key))
    };
    let (step, view) = if day_view { (1, "day") } else { (7, "week") };
    let shift = |days: i64| {
        date.parse::<Date>()
            .ok()
            .and_then(|d| d.checked_add(days.days()).ok())
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let form = BookForm {
        project: form.project.or_else(|| Some(cal.project.clone())),
        tier: form.tier.or_else(|| Some(tier_key.clone())),
        mode: form.mode.or_else(|| Some(mode.to_string())),
        ..form
    };
    let fit_marks = form.model().map(|m| marks(&cal.candidates, &cal.tiers, m, form.context.as_deref().unwrap_or("")));
    let heading = if cal.days.0 == cal.days.1 {
        cal.days.0.strftime("%A %-d %B %Y").to_string()
    } else {
        format!("{} – {}", cal.days.0.strftime("%-d %b"), cal.days.1.strftime("%-d %b %Y"))
    };
    let body = html! {
        main.calendar-page {
            section.calendar aria-labelledby="cal-title" {
                h1 #cal-title { "Availability" }
                form.controls method="get" action="/console" {
                    label { "Project " select name="project" data-submit-on-change {
                        @for p in &cal.projects { option value=(p) selected[*p == cal.project] { (p) } }
                    } }
                    @if !day_view {
                        label { "Tier " select name="tier" data-submit-on-change {
                            @for t in &cal.tiers { option value=(t.key) selected[t.key == tier_key] { (t.label) } }
                        } }
                    }
                    label { "Quota " select name="mode" data-submit-on-change {
                        option value="reserved" selected[mode == "reserved"] { "Reserved (nominal)" }
                        option value="opportunistic" selected[mode == "opportunistic"] { "Opportunistic (borrowing)" }
                    } }
                    input type="hidden" name="view" value=(view);
                    input type="hidden" name="date" value=(date);
                    noscript { button type="submit" { "Show" } }
                }
                nav.range aria-label="Dates" {
                    a href=(link(view, &shift(-step))) { "← Earlier" }
                    a href=(link(view, &s.tz.today(cal.now).to_string())) { "Today" }
                    a href=(link(view, &shift(step))) { "Later →" }
                    strong.shown { (heading) }
                    span.views {
                        a href=(link("week", &date)) aria-current=[(!day_view).then_some("page")] { "Week" }
                        a href=(link("day", &date)) aria-current=[day_view.then_some("page")] { "Day, every tier" }
                    }
                }
                p.help { "Devices " strong { (cal.project) } " can book per hour, " (if mode == "reserved" { "within its nominal quota" } else { "borrowing idle capacity" }) ". Click an hour to start there, shift-click or drag to stretch the window." }
                (grid(s, cal))
            }
            (form_panel(s, &cal.projects, &cal.tiers, &form, refusal, fit_marks.as_ref()))
        }
    };
    page(s, Nav::Calendar, "Book", body)
}

fn grid(s: &Session, cal: &Calendar) -> Markup {
    let columns = match &cal.columns {
        Err(e) => return html! { p.empty role="status" { (e) } },
        Ok(c) if c.is_empty() => return html! { p.empty { "Nothing can be booked in this project." } },
        Ok(c) => c,
    };
    let max = columns.iter().flat_map(|c| c.cells.iter().map(|x| x.1)).max().unwrap_or(0).max(1);
    let rows = columns.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    let first = &columns[0].cells;
    html! {
        div.grid-wrap {
            table.grid #grid {
                caption.sr { "Devices free per hour" }
                thead { tr {
                    th scope="col" { span.sr { "Hour" } }
                    @for c in columns { th scope="col" class=[c.today.then_some("today")] { (c.heading) } }
                } }
                tbody {
                    @for r in 0..rows {
                        tr {
                            th scope="row" { @if let Some((w, _)) = first.get(r) { (s.tz.hour(w.start)) } }
                            @for (ci, c) in columns.iter().enumerate() {
                                @match c.cells.get(r) {
                                    None => td {},
                                    Some((w, n)) => td { (cell(s, cal, ci, *w, *n, max)) },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn cell(s: &Session, cal: &Calendar, column: usize, w: Window, n: u32, max: u32) -> Markup {
    let past = w.end <= cal.now;
    let now = w.contains(cal.now);
    let level = if n == 0 { 0 } else { 1 + (n * 3 - 1) / max };
    let class = format!("slot l{level}{}{}", if past { " past" } else { "" }, if now { " now" } else { "" });
    let label = format!("{} to {}: {} free", s.tz.show(w.start), s.tz.hour(w.end), shown(n));
    html! {
        button type="button" class=(class) data-col=(column) data-tier=(cal_tier(cal, column)) data-start=(s.tz.input(w.start)) data-end=(s.tz.input(w.end))
            aria-label=(label) title=(label) disabled[past] { (shown(n)) }
    }
}

fn shown(n: u32) -> String {
    if n >= SHOWN_UP_TO { format!("{SHOWN_UP_TO}+") } else { n.to_string() }
}

fn cal_tier(cal: &Calendar, column: usize) -> &str {
    cal.columns.as_ref().ok().and_then(|c| c.get(column)).map_or("", |c| c.tier.as_str())
}
