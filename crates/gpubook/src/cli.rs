//! Command-line parsing and dispatch; each verb lives in its own module.

mod admin;
mod catalog;
mod client;
mod cluster;
mod definitions;
mod deploy;
mod discover;
mod fit;
mod output;
mod serve;
mod service;
mod simulate;
mod usage;
mod when;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub(crate) use output::Format;

#[derive(Debug, Parser)]
#[command(name = "gpubook", version, about = "GPU-as-a-Service: book whole GPUs and MIG slices on a shared fleet")]
pub(crate) struct Cli {
    /// A catalog file (YAML or JSON) whose models are added to the built-in catalog, replacing models with
    /// the same key.
    #[arg(long, global = true, env = "GPUBOOK_CATALOG")]
    catalog: Option<PathBuf>,
    #[command(flatten)]
    server: client::ServerArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// GPU models, their MIG profiles and placements.
    Catalog(catalog::CatalogArgs),
    /// Runs the server: REST API, planner and engine; SQLite under --data-dir unless --database-url.
    Serve(serve::ServeArgs),
    /// Sizes and the shapes each one matches, with how many GPUs of the fleet could host them (from the
    /// server, or from -f files / --demo).
    Sizes(ManifestArgs),
    /// Nodes and GPUs with their reconfiguration mode and current MIG layout (from the server, or from -f
    /// files / --demo); `fleet discover` reads them from a cluster.
    Fleet(FleetArgs),
    /// Projects you can see, with their quotas.
    Projects {
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
    /// How many devices of a size or shape are free for a window (for a project, quota included).
    Availability(service::AvailabilityArgs),
    /// Books devices for a window.
    Book(service::BookArgs),
    /// Bookings you can see.
    Bookings(service::ListArgs),
    /// Cancels a booking; its devices are free at once.
    Cancel {
        /// Such as b17.
        id: String,
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
    /// Booked GPU-hours and their cost per project, booking, model, owner or cohort (table, JSON or CSV).
    Usage(usage::UsageArgs),
    /// Creates or updates fleet, sizes, cohorts, projects and price lists from manifest files on the server.
    Apply(service::ApplyArgs),
    /// Workload manifests for a booking (vLLM, KServe InferenceService or Job), ready for kubectl apply.
    Deploy(deploy::DeployArgs),
    /// Offline administration on the database, with the server stopped: `admin token` makes a new admin
    /// token when every one is lost.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: service::TokenCommand,
    },
    /// Checks manifest files (Node, Size, Cohort, Project, PriceList) and says what they define.
    Validate(ManifestArgs),
    /// Prints the demo manifests, a starting point for your own.
    Demo,
    /// Will a model serve on each shape of the fleet under vLLM: devices, KV cache, max-model-len,
    /// max-num-seqs and the vLLM arguments, or why not (from the server, or against -f files / --demo).
    Fit(fit::FitArgs),
    /// Replays a demand trace through the planner under a packing policy (or all of them) and reports what
    /// each serves.
    Simulate(simulate::SimulateArgs),
    /// Writes a synthetic demand trace (CSV) for `simulate`.
    Trace(simulate::TraceArgs),
    /// Kubernetes objects of the bookings (Kueue, DRA, HardwareProfile, MIG manager), for GitOps.
    K8s {
        #[command(subcommand)]
        command: cluster::K8sCommand,
    },
    /// Runs a planner scenario file (fleet, quotas, requests and expected answers) and prints what the
    /// planner decides; exits 1 when an expectation does not hold.
    Plan {
        /// Decide without a server: the scenario runs against a fresh in-memory planner.
        #[arg(long, required = true)]
        dry_run: bool,
        file: PathBuf,
    },
}

/// `gpubook fleet [-f FILE | --demo]`, or one of its verbs.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct FleetArgs {
    #[command(subcommand)]
    command: Option<discover::FleetCommand>,
    #[command(flatten)]
    show: ManifestArgs,
}

/// Where definitions come from: manifest files, or the demo.
#[derive(Debug, Args)]
pub(crate) struct ManifestArgs {
    /// Manifest files; `-` reads standard input.
    #[arg(short = 'f', long = "file")]
    files: Vec<PathBuf>,
    /// Use the demo fleet, sizes and projects.
    #[arg(long)]
    demo: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<()> {
    let catalog = catalog::load(cli.catalog.as_deref())?;
    match cli.command {
        Command::Catalog(args) => catalog::run(&catalog, args),
        Command::Serve(args) => serve::run(catalog, args),
        Command::Sizes(args) => definitions::sizes(&catalog, &args, &cli.server),
        Command::Fleet(FleetArgs { command: Some(command), .. }) => discover::run(&catalog, command),
        Command::Fleet(FleetArgs { show, .. }) => definitions::fleet(&catalog, &show, &cli.server),
        Command::Projects { output } => service::projects(&client::Client::new(&cli.server)?, output),
        Command::Availability(args) => service::availability(&client::Client::new(&cli.server)?, args),
        Command::Book(args) => service::book(&client::Client::new(&cli.server)?, args),
        Command::Bookings(args) => service::bookings(&client::Client::new(&cli.server)?, args),
        Command::Cancel { id, output } => service::cancel(&client::Client::new(&cli.server)?, &id, output),
        Command::Usage(args) => usage::run(&client::Client::new(&cli.server)?, args),
        Command::Apply(args) => service::apply(&client::Client::new(&cli.server)?, args),
        Command::Deploy(args) => deploy::run(&client::Client::new(&cli.server)?, args),
        Command::Admin { command } => admin::run(command),
        Command::Token { command } => service::token(&client::Client::new(&cli.server)?, command),
        Command::Validate(args) => definitions::validate(&catalog, &args),
        Command::Plan { file, .. } => plan(&catalog, &file),
        Command::Simulate(args) => simulate::simulate(&catalog, args),
        Command::Trace(args) => simulate::trace(&catalog, args),
        Command::Demo => output::say(api::demo::MANIFEST),
        Command::Fit(args) => fit::run(&catalog, args, &cli.server),
        Command::K8s { command } => cluster::run(&client::Client::new(&cli.server)?, command),
    }
}

fn plan(catalog: &model::Catalog, file: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let outcome = planner::scenario::run(&text, catalog).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut transcript = outcome.transcript.join("\n");
    transcript.push('\n');
    output::say(&transcript)?;
    if outcome.failures.is_empty() {
        return Ok(());
    }
    for f in &outcome.failures {
        eprintln!("{}: {f}", file.display());
    }
    anyhow::bail!("{} expectation(s) did not hold", outcome.failures.len())
}
