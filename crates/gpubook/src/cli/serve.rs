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
    /// The longest booking window anyone may book or ask about (projects narrow it with maxDuration).
    #[arg(long, default_value = "92d")]
    max_window: String,
    /// How far ahead a booking window may start (projects narrow it with maxAhead).
    #[arg(long, default_value = "366d")]
    max_ahead: String,
    /// Close a connection that has not sent a whole request head this long after opening or after its
    /// previous answer.
    #[arg(long, default_value = "10s")]
    header_timeout: String,
    /// Answer 503 (code `timeout`) to a request not answered within this long, reading its body included.
    #[arg(long, default_value = "60s")]
    request_timeout: String,
    /// At most this many open connections (keep it well below `ulimit -n`). Beyond it, the oldest
    /// connection with no request in progress is closed to make room.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    #[command(flatten)]
    kube: KubeArgs,
}

/// Making bookings real in a Kubernetes cluster.
#[derive(Debug, Args)]
pub(crate) struct KubeArgs {
    /// Reconcile bookings into the cluster of this kubeconfig file (its current context).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Reconcile bookings into the cluster gpubook runs in (service account), else the one of $KUBECONFIG.
    #[arg(long, conflicts_with = "kubeconfig")]
    kubernetes: bool,
    /// How long a booking's objects stay, its ClusterQueue stopped (HoldAndDrain), after it ends.
    #[arg(long, default_value = "10m")]
    k8s_grace: String,
    /// How long before a booking ends (and its ClusterQueue is stopped with HoldAndDrain) the API
    /// (`ending_soon`), the console and a Warning Event in the project's namespace warn of it.
    #[arg(long, default_value = "15m")]
    end_warning: String,
    /// per-booking: a Kueue ClusterQueue and LocalQueue per booking (isolation between bookings);
    /// per-project: one per project and booking mode, its quota the project's active bookings (fewer objects).
    #[arg(long, default_value = "per-booking")]
    k8s_queues: String,
    /// Time between reconcile passes.
    #[arg(long, default_value = "15s")]
    k8s_interval: String,
    /// The GPU Operator's namespace, for the mig-parted ConfigMap.
    #[arg(long, default_value = "gpu-operator")]
    mig_namespace: String,
    /// Kinds not to render or manage, comma-separated (such as HardwareProfile on clusters without
    /// OpenShift AI, ConfigMap,Node without the GPU Operator's MIG manager, or Event).
    #[arg(long, value_delimiter = ',')]
    k8s_skip: Vec<String>,
}

impl KubeArgs {
    pub(crate) fn options(&self) -> anyhow::Result<k8s::Options> {
        let grace_s =
            api::duration::parse_duration(&self.k8s_grace).map_err(|e| anyhow::anyhow!("--k8s-grace: {e}"))?;
        let end_warning_s =
            api::duration::parse_duration(&self.end_warning).map_err(|e| anyhow::anyhow!("--end-warning: {e}"))?;
        let queues = k8s::render::QueueMode::parse(&self.k8s_queues).ok_or_else(|| {
            anyhow::anyhow!("--k8s-queues: {:?} is not one of {}", self.k8s_queues, k8s::render::QueueMode::NAMES)
        })?;
        let skip = self
            .k8s_skip
            .iter()
            .map(|k| {
                k8s::Kind::parse(k.trim()).ok_or_else(|| {
                    let all: Vec<&str> = k8s::Kind::ALL.iter().map(|k| k.name()).collect();
                    anyhow::anyhow!("--k8s-skip: {k:?} is not one of {}", all.join(", "))
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(k8s::Options { grace_s, mig_namespace: self.mig_namespace.clone(), skip, end_warning_s, queues })
    }

    fn config(&self) -> anyhow::Result<Option<server::kubernetes::KubeConfig>> {
        use server::kubernetes::{KubeConfig, KubeSource};
        let interval_s =
            api::duration::parse_duration(&self.k8s_interval).map_err(|e| anyhow::anyhow!("--k8s-interval: {e}"))?;
        if interval_s <= 0 {
            anyhow::bail!("--k8s-interval: must be positive, such as 15s");
        }
        let source = match (&self.kubeconfig, self.kubernetes) {
            (Some(f), _) => KubeSource::File(f.clone()),
            (None, true) => KubeSource::Infer,
            (None, false) => return Ok(None),
        };
        Ok(Some(KubeConfig { source, interval: std::time::Duration::from_secs(interval_s as u64) }))
    }
}

impl ServeArgs {
    fn http_limits(&self) -> anyhow::Result<server::serve::HttpLimits> {
        let positive = |flag: &str, value: &str| -> anyhow::Result<std::time::Duration> {
            let s = api::duration::parse_duration(value).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))?;
            if s <= 0 {
                anyhow::bail!("--{flag}: must be positive, such as 10s");
            }
            Ok(std::time::Duration::from_secs(s as u64))
        };
        Ok(server::serve::HttpLimits {
            header_timeout: positive("header-timeout", &self.header_timeout)?,
            request_timeout: positive("request-timeout", &self.request_timeout)?,
            max_connections: self.max_connections as usize,
        })
    }
}

pub(crate) fn run(catalog: model::Catalog, args: ServeArgs) -> anyhow::Result<()> {
    let quantum_s = api::duration::parse_duration(&args.quantum).map_err(|e| anyhow::anyhow!("--quantum: {e}"))?;
    let idle_gap_s = api::duration::parse_duration(&args.idle_gap).map_err(|e| anyhow::anyhow!("--idle-gap: {e}"))?;
    if quantum_s <= 0 || 86_400 % quantum_s != 0 {
        anyhow::bail!("--quantum: must divide a day, such as 5m, 15m or 1h");
    }
    let bound = |flag: &str, value: &str| -> anyhow::Result<i64> {
        let s = api::duration::parse_duration(value).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))?;
        if !(quantum_s..=3660 * 86_400).contains(&s) {
            anyhow::bail!("--{flag}: must be between the quantum and 3660d");
        }
        Ok(s)
    };
    let (max_window_s, max_ahead_s) = (bound("max-window", &args.max_window)?, bound("max-ahead", &args.max_ahead)?);
    let (k8s, kubernetes) = (args.kube.options()?, args.kube.config()?);
    let http = args.http_limits()?;
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
        planner: planner::Config {
            quantum_s,
            per_gpu_idle_gap_s: idle_gap_s,
            max_window_s,
            max_ahead_s,
            ..planner::Config::default()
        },
        clock: server::engine::Clock::System,
        k8s,
        kubernetes,
        http,
        lock_check: server::serve::LOCK_CHECK,
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
