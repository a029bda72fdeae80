//! `gpubook usage`: booked GPU-hours and their cost from the server's ledger, as a table, JSON or CSV.

use anyhow::Context as _;
use clap::Args;

use api::usage::{UsageFigures, UsageReport, UsageRow};

use super::client::Client;
use super::output::{say, table};
use super::when;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum UsageFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct UsageArgs {
    /// The report's start: a date (`2026-03-01`, midnight in your zone), a local time or RFC 3339.
    #[arg(long)]
    from: String,
    /// Its end (not included), in the same forms.
    #[arg(long)]
    to: String,
    /// project, booking, model, owner or cohort.
    #[arg(long, default_value = "project")]
    by: String,
    /// Only this project's bookings.
    #[arg(short, long)]
    project: Option<String>,
    #[arg(short, long, value_enum, default_value_t = UsageFormat::Table)]
    output: UsageFormat,
}

/// A date alone is its midnight in the local zone; anything else is read as `book` reads times. Whole
/// seconds (the server's unit): a fraction is dropped.
fn instant(flag: &str, s: &str) -> anyhow::Result<jiff::Timestamp> {
    let tz = when::zone();
    let t = if let Ok(d) = s.trim().parse::<jiff::civil::Date>() {
        d.to_zoned(tz).map(|z| z.timestamp()).with_context(|| format!("--{flag}"))?
    } else {
        let now = jiff::Zoned::now().with_time_zone(tz);
        when::parse(s, &now).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))?
    };
    jiff::Timestamp::from_second(t.as_second()).with_context(|| format!("--{flag}"))
}

pub(crate) fn run(client: &Client, args: UsageArgs) -> anyhow::Result<()> {
    let (from, to) = (instant("from", &args.from)?, instant("to", &args.to)?);
    let mut q = vec![("from", from.to_string()), ("to", to.to_string()), ("by", args.by.clone())];
    if let Some(p) = &args.project {
        q.push(("project", p.clone()));
    }
    let report: UsageReport = client.get("/usage", &q)?;
    match args.output {
        UsageFormat::Json => say(&format!("{}\n", serde_json::to_string_pretty(&report)?)),
        UsageFormat::Csv => say(&csv(&report)),
        UsageFormat::Table => {
            let currency = report.currency.clone().unwrap_or_default();
            let cost = format!("cost {currency}").trim().to_string();
            let mut t = table(&[report.by.as_str(), "device-hours", "GPU-hours", "used", "idle", cost.as_str()]);
            for r in &report.rows {
                t.add_row(cells(&key(r), &r.figures));
            }
            t.add_row(cells("total", &report.total));
            say(&format!("{t}\n"))
        }
    }
}

fn key(r: &UsageRow) -> String {
    [&r.project, &r.booking, &r.model, &r.owner].into_iter().find_map(|k| k.clone()).unwrap_or_else(|| {
        match &r.cohort {
            Some(Some(c)) => c.clone(),
            _ => "(none)".into(),
        }
    })
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(String::new, |h| format!("{h:.2}"))
}

fn cells(key: &str, f: &UsageFigures) -> Vec<String> {
    vec![
        key.to_string(),
        format!("{:.2}", f.booked_device_hours),
        format!("{:.2}", f.booked_gpu_hours),
        hours(f.used_gpu_hours),
        hours(f.idle_gpu_hours),
        format!("{:.2}", f.cost),
    ]
}

/// RFC 4180: a header, one line per row and a `total` line; fields with a comma or quote are quoted.
fn csv(r: &UsageReport) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let line = |key: &str, f: &UsageFigures| {
        let opt = |h: Option<f64>| h.map(|h| h.to_string()).unwrap_or_default();
        format!(
            "{},{},{},{},{},{},{}\r\n",
            field(key),
            f.booked_device_hours,
            f.booked_gpu_hours,
            opt(f.used_gpu_hours),
            opt(f.idle_gpu_hours),
            f.cost,
            field(r.currency.as_deref().unwrap_or("")),
        )
    };
    let mut out =
        format!("{},booked_device_hours,booked_gpu_hours,used_gpu_hours,idle_gpu_hours,cost,currency\r\n", r.by);
    for row in &r.rows {
        out.push_str(&line(&key(row), &row.figures));
    }
    out.push_str(&line("total", &r.total));
    out
}
