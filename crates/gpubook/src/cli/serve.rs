//! `gpubook serve`: the API, planner and engine in one process.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where the embedded SQLite database and the admin token live.
    #[arg(long, env = "GPUBOOK_DATA_DIR", default_value = "gpubook-data")]
    data_dir: PathBuf,
    #[arg(long, env = "GPUBOOK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// `postgres://…` for PostgreSQL; default: SQLite under --data-dir.
    #[arg(long, env = "GPUBOOK_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Load the demo fleet, sizes and projects when the database has none yet.
    #[arg(long)]
    demo: bool,
    /// Booking windows start and end on multiples of this (such as 15m).
    #[arg(long, default_value = "15m")]
    quantum: String,
    /// A per-gpu GPU changes its MIG layout only after it has been idle this long.
    #[arg(long, default_value = "0s")]
    idle_gap: String,
}

pub(crate) fn run(catalog: model::Catalog, args: ServeArgs) -> anyhow::Result<()> {
    let quantum_s = api::duration::parse_duration(&args.quantum).map_err(|e| anyhow::anyhow!("--quantum: {e}"))?;
    let idle_gap_s = api::duration::parse_duration(&args.idle_gap).map_err(|e| anyhow::anyhow!("--idle-gap: {e}"))?;
    if quantum_s <= 0 || 86_400 % quantum_s != 0 {
        anyhow::bail!("--quantum: must divide a day, such as 5m, 15m or 1h");
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cfg = server::ServeConfig {
        data_dir: args.data_dir.clone(),
        listen: args.listen,
        database_url: args.database_url,
        demo: args.demo,
        catalog,
        planner: planner::Config { quantum_s, per_gpu_idle_gap_s: idle_gap_s, ..planner::Config::default() },
        clock: server::engine::Clock::System,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = server::start(cfg).await?;
        let token_file = server::serve::admin_token_path(&args.data_dir);
        eprintln!(
            "gpubook serving on http://{} ({}), API docs at http://{}/api/docs",
            running.addr, running.backend, running.addr
        );
        if running.admin_token.is_some() {
            eprintln!("created the admin token in {} (mode 0600)", token_file.display());
        }
        running.until(shutdown_signal()).await;
        eprintln!("gpubook stopped");
        Ok(())
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
