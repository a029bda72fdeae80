//! The page shell every console page shares: header, navigation, who is signed in, and the assets.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;

/// The sections of the console, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Calendar,
    Bookings,
    Projects,
    Usage,
    Fleet,
}

const SECTIONS: [(Nav, &str, &str, bool); 5] = [
    (Nav::Calendar, "/console", "Book", false),
    (Nav::Bookings, "/console/bookings", "My bookings", false),
    (Nav::Projects, "/console/projects", "Projects and quotas", false),
    (Nav::Usage, "/console/usage", "Utilisation", false),
    (Nav::Fleet, "/console/fleet", "Fleet", true),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · gpubook" }
            // htmx would add its indicator styles inline, which the Content-Security-Policy refuses.
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false}"#;
            link rel="stylesheet" href="/console/assets/console.css";
            script src="/console/assets/htmx.min.js" defer {}
            script src="/console/assets/console.js" defer {}
        }
    }
}

/// A page outside a session (sign-in).
pub(crate) fn page_bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" { (head(title)) body { (body) } }
    }
}

/// A page of a signed-in user.
pub(crate) fn page(s: &Session, current: Nav, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body hx-headers=(format!(r#"{{"X-CSRF-Token": "{}"}}"#, s.csrf)) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "gpubook" }
                    nav aria-label="Sections" {
                        @for (nav, href, label, admin_only) in SECTIONS {
                            @if !admin_only || s.who.is_admin() {
                                a href=(href) aria-current=[(nav == current).then_some("page")] { (label) }
                            }
                        }
                    }
                    div.who {
                        span title=(format!("time zone {}", s.tz.name)) {
                            (s.who.subject) " · " (s.who.role.as_str())
                        }
                        form method="post" action="/console/sign-out" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                div #main tabindex="-1" { (main) }
                footer { "Times are in " (s.tz.name) ". " a href="/api/docs" { "REST API" } }
            }
        }
    }
}

/// A verdict as a coloured badge.
pub(crate) fn badge(verdict: &str) -> Markup {
    let class = match verdict {
        "fits" => "ok",
        "fits-by-borrowing" | "fits-after-preempting" => "warn",
        "confirmed" | "active" => "ok",
        "completed" => "muted",
        _ => "bad",
    };
    html! { span class=(format!("badge {class}")) { (verdict.replace('-', " ")) } }
}

/// A page the signed-in user may not see.
pub(crate) fn forbidden(session: &Session, nav: Nav, what: &str) -> Response {
    let body = html! { main { h1 { "Not for your role" } p { (what) } } };
    (StatusCode::FORBIDDEN, page(session, nav, "Not allowed", body)).into_response()
}
