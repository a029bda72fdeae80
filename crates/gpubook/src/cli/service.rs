//! The verbs that talk to a gpubook server: book, bookings, cancel, availability, projects, apply, token.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::Timestamp;

use api::rest::{
    ApplyResult, AvailabilityView, BookingCreated, BookingRequest, BookingView, TokenCreated, TokenRequest,
};

use super::client::Client;
use super::output::{Format, emit, say, table};
use super::when;

/// What and when: shared by `book` and `availability`.
#[derive(Debug, Args)]
pub(crate) struct WhatWhen {
    #[arg(short, long)]
    project: String,
    /// A size such as gpu-small.
    #[arg(long, conflicts_with = "shape")]
    size: Option<String>,
    /// An exact shape: MODEL/PROFILE or MODEL/full.
    #[arg(long)]
    shape: Option<String>,
    /// Start: now, 'today 14:00', 'tomorrow 09:00', '2026-11-23 09:00' (your time zone) or RFC 3339.
    #[arg(long)]
    start: String,
    /// End, in the same forms as --start.
    #[arg(long, conflicts_with = "duration", required_unless_present = "duration")]
    end: Option<String>,
    /// Duration instead of --end, such as 4h or 1h30m.
    #[arg(long = "for")]
    duration: Option<String>,
    /// reserved (within nominal quota) or opportunistic (borrows idle capacity; may be reclaimed).
    #[arg(long, default_value = "reserved")]
    mode: String,
}

impl WhatWhen {
    fn need_size_or_shape(&self) -> anyhow::Result<()> {
        if self.size.is_none() && self.shape.is_none() {
            anyhow::bail!("give --size or --shape");
        }
        Ok(())
    }

    fn window(&self) -> anyhow::Result<(Timestamp, Timestamp)> {
        let now = jiff::Zoned::now().with_time_zone(when::zone());
        let start = when::parse(&self.start, &now).map_err(|e| anyhow::anyhow!("--start: {e}"))?;
        let end = match (&self.end, &self.duration) {
            (Some(e), _) => when::parse(e, &now).map_err(|e| anyhow::anyhow!("--end: {e}"))?,
            (None, Some(d)) => {
                let secs = api::duration::parse_duration(d).map_err(|e| anyhow::anyhow!("--for: {e}"))?;
                Timestamp::from_second(start.as_second() + secs).map_err(|e| anyhow::anyhow!("--for: {e}"))?
            }
            (None, None) => anyhow::bail!("give --end or --for"),
        };
        Ok((start, end))
    }
}

#[derive(Debug, Args)]
pub(crate) struct BookArgs {
    #[command(flatten)]
    what: WhatWhen,
    /// Devices; default 1, or the devices --model needs on the size chosen (tensor parallelism).
    #[arg(short = 'n', long)]
    count: Option<u32>,
    /// A model from the model catalog (see `gpubook fit`): without --size or --shape, books the smallest
    /// size the project may book that fits it; with --size, checks that the size fits it.
    #[arg(long, conflicts_with = "shape")]
    model: Option<String>,
    /// Tokens per sequence the model must serve (vLLM's --max-model-len), with --model; default 8192.
    #[arg(long, requires = "model")]
    context: Option<u64>,
    #[arg(long)]
    priority: Option<i32>,
    /// Makes a retry safe: the server answers a repeated key with the first booking.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Ask what the server would decide (verdict, reasons, placements); book nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub(crate) fn book(client: &Client, args: BookArgs) -> anyhow::Result<()> {
    let (start, end) = args.what.window()?;
    let (size, count) = match &args.model {
        Some(model) => {
            let chosen =
                super::fit::choose_size(client, &args.what.project, model, args.context, args.what.size.as_deref())?;
            let count = args.count.unwrap_or(chosen.devices);
            eprintln!("{}", super::fit::chosen_note(model, &chosen, count, args.what.size.is_some()));
            (Some(chosen.size), count)
        }
        None => {
            args.what.need_size_or_shape()?;
            (args.what.size.clone(), args.count.unwrap_or(1))
        }
    };
    let body = BookingRequest {
        project: args.what.project.clone(),
        size,
        shape: args.what.shape.clone(),
        count,
        start: start.to_string(),
        end: end.to_string(),
        mode: Some(args.what.mode.clone()),
        priority: args.priority,
    };
    if args.dry_run {
        let d: api::rest::DecisionView = client.send_json("POST", "/bookings?dry_run=true", &body, &[])?;
        return emit(args.output, &d, || {
            let mut t = table(&["verdict", "reasons", "placements"]);
            let reasons: Vec<String> = d.reasons.iter().map(|r| format!("{}: {}", r.code, r.message)).collect();
            let mut placements: Vec<String> = d
                .placements
                .iter()
                .map(|p| format!("{}/gpu{} {} {}@{}", p.node, p.gpu, p.model, p.profile, p.start_slot))
                .collect();
            if let Some(t) = &d.not_before {
                placements.push(format!("first fits from {}", when::show(t)));
            }
            t.add_row(vec![d.verdict.clone(), reasons.join("\n"), placements.join("\n")]);
            t
        });
    }
    let headers: Vec<(&str, String)> = args.idempotency_key.iter().map(|k| ("Idempotency-Key", k.clone())).collect();
    let created: BookingCreated = client.send_json("POST", "/bookings", &body, &headers)?;
    emit(args.output, &created, || bookings_table(std::slice::from_ref(&created.booking)))?;
    if args.output == Format::Table {
        let mut notes = format!("verdict: {}\n", created.verdict);
        for r in &created.reasons {
            notes.push_str(&format!("  {}: {}\n", r.code, r.message));
        }
        if !created.preempted.is_empty() {
            notes.push_str(&format!("preempted: {}\n", created.preempted.join(", ")));
        }
        say(&notes)?;
    }
    Ok(())
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[arg(short, long)]
    project: Option<String>,
    /// confirmed, active, completed, cancelled or preempted.
    #[arg(long)]
    status: Option<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub(crate) fn bookings(client: &Client, args: ListArgs) -> anyhow::Result<()> {
    let mut q = Vec::new();
    if let Some(p) = args.project {
        q.push(("project", p));
    }
    if let Some(s) = args.status {
        q.push(("status", s));
    }
    let all: Vec<BookingView> = client.get("/bookings", &q)?;
    emit(args.output, &all, || bookings_table(&all))
}

fn bookings_table(all: &[BookingView]) -> comfy_table::Table {
    let mut t = table(&["id", "project", "owner", "what", "start", "end", "mode", "status", "placements"]);
    for b in all {
        let what = format!("{} × {}", b.count, b.size.as_deref().or(b.shape.as_deref()).unwrap_or("?"));
        let placements: Vec<String> = b
            .placements
            .iter()
            .map(|p| format!("{}/gpu{} {} {}@{}", p.node, p.gpu, p.model, p.profile, p.start_slot))
            .collect();
        let mut status = b.status.clone();
        if let Some(r) = &b.status_reason {
            status = format!("{status}: {r}");
        }
        t.add_row(vec![
            b.id.clone(),
            b.project.clone(),
            b.owner.clone(),
            what,
            when::show(&b.start),
            when::show(&b.end),
            b.mode.clone(),
            status,
            placements.join("\n"),
        ]);
    }
    t
}

pub(crate) fn cancel(client: &Client, id: &str, output: Format) -> anyhow::Result<()> {
    let b: BookingView = client.delete(&format!("/bookings/{id}"))?;
    emit(output, &b, || bookings_table(std::slice::from_ref(&b)))
}

#[derive(Debug, Args)]
pub(crate) struct AvailabilityArgs {
    #[command(flatten)]
    what: WhatWhen,
    /// Also count per slot of this length, such as 1h.
    #[arg(long)]
    step: Option<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub(crate) fn availability(client: &Client, args: AvailabilityArgs) -> anyhow::Result<()> {
    args.what.need_size_or_shape()?;
    let (start, end) = args.what.window()?;
    let mut q = vec![
        ("project", args.what.project.clone()),
        ("start", start.to_string()),
        ("end", end.to_string()),
        ("mode", args.what.mode.clone()),
    ];
    if let Some(s) = &args.what.size {
        q.push(("size", s.clone()));
    }
    if let Some(s) = &args.what.shape {
        q.push(("shape", s.clone()));
    }
    if let Some(s) = &args.step {
        q.push(("step", s.clone()));
    }
    let view: AvailabilityView = client.get("/availability", &q)?;
    emit(args.output, &view, || {
        let mut t = table(&["start", "end", "available"]);
        t.add_row(vec![when::show(&start.to_string()), when::show(&end.to_string()), view.available.to_string()]);
        for s in view.slots.iter().flatten() {
            t.add_row(vec![when::show(&s.start), when::show(&s.end), s.available.to_string()]);
        }
        for r in &view.reasons {
            t.add_row(vec![r.code.clone(), r.message.clone()]);
        }
        t
    })
}

pub(crate) fn projects(client: &Client, output: Format) -> anyhow::Result<()> {
    let all: Vec<api::manifest::ProjectDoc> = client.get("/projects", &[])?;
    emit(output, &all, || {
        let mut t = table(&[
            "project",
            "namespace",
            "cohort",
            "priority",
            "quota (GPU units: nominal / borrowing / lending)",
            "sizes",
        ]);
        for p in &all {
            let quota: Vec<String> = p
                .quota
                .iter()
                .map(|q| {
                    let lim = |v: Option<f64>| v.map_or("-".to_string(), |v| v.to_string());
                    format!("{}: {} / {} / {}", q.model, q.nominal, lim(q.borrowing_limit), lim(q.lending_limit))
                })
                .collect();
            t.add_row(vec![
                p.name.clone(),
                p.namespace.clone().unwrap_or_else(|| p.name.clone()),
                p.cohort.clone().unwrap_or_default(),
                p.priority.to_string(),
                quota.join("\n"),
                p.sizes.as_ref().map_or("all".into(), |s| s.join(", ")),
            ]);
        }
        t
    })
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// Manifest files; `-` reads standard input.
    #[arg(short = 'f', long = "file", required = true)]
    files: Vec<PathBuf>,
    /// Show what would change; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Apply even if confirmed bookings break (they are preempted and told why).
    #[arg(long)]
    force: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub(crate) fn apply(client: &Client, args: ApplyArgs) -> anyhow::Result<()> {
    let mut text = String::new();
    for f in &args.files {
        let part = if f.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("reading standard input")?
        } else {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        };
        // Each file checked here first, so an error names the file rather than the concatenation.
        api::parse_manifests(&f.display().to_string(), &part)?;
        text.push_str("\n---\n");
        text.push_str(&part);
    }
    let path = format!("/apply?dry_run={}&force={}", args.dry_run, args.force);
    let result: ApplyResult = client.post_text(&path, &text)?;
    emit(args.output, &result, || {
        let mut t = table(&[if result.dry_run { "would change (dry run)" } else { "changed" }]);
        for c in &result.changes {
            t.add_row(vec![c.clone()]);
        }
        for w in &result.warnings {
            t.add_row(vec![format!("warning: {w}")]);
        }
        for v in &result.preempted {
            t.add_row(vec![format!("preempted {} ({}): {}", v.booking, v.project, v.reason)]);
        }
        t
    })
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Creates a token and prints it once.
    Create {
        /// The projects the role applies to (repeat for several); none for admin.
        #[arg(short, long)]
        project: Vec<String>,
        /// admin, project-admin, member or viewer.
        #[arg(long)]
        role: String,
        /// Who the token is for (bookings carry it as their owner); default: the role and first project.
        #[arg(long)]
        subject: Option<String>,
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
}

pub(crate) fn token(client: &Client, cmd: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { project, role, subject, output } = cmd;
    let subject = subject.unwrap_or_else(|| match project.first() {
        Some(p) => format!("{p}-{role}"),
        None => role.clone(),
    });
    let created: TokenCreated =
        client.send_json("POST", "/tokens", &TokenRequest { subject, role, projects: project }, &[])?;
    match output {
        Format::Table => say(&format!(
            "{}\n(token {} for {} as {}{}; it is shown only this once)\n",
            created.token,
            created.id,
            created.subject,
            created.role,
            if created.projects.is_empty() { String::new() } else { format!(" of {}", created.projects.join(", ")) }
        )),
        _ => emit(output, &created, || table(&[])),
    }
}
