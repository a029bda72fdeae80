//! `gpubook serve`: open the database, load the state, start the engine and the HTTP server, and shut down
//! gracefully.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::Catalog;
use store::Store;

use crate::app::app;
use crate::app_state::AppState;
use crate::auth::{Principal, Role, Tokens, principal_of};
use crate::engine::state::State;
use crate::engine::{Clock, Engine, tokens::issue};
use crate::metrics::Metrics;

mod listener;

pub use listener::HttpLimits;

/// Settings of `gpubook serve`.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// `None`: SQLite at `<data-dir>/gpubook.db`.
    pub database_url: Option<String>,
    pub demo: bool,
    pub catalog: Catalog,
    pub planner: planner::Config,
    pub clock: Clock,
    /// How Kubernetes objects are rendered, for the API and the reconciler.
    pub k8s: k8s::Options,
    /// `Some`: reconcile the rendered objects into this cluster.
    pub kubernetes: Option<crate::kubernetes::KubeConfig>,
    /// Timeouts and the connection cap of the HTTP listener.
    pub http: HttpLimits,
    /// How often a PostgreSQL writer checks that its lock's session is alive ([`LOCK_CHECK`]; tests lengthen
    /// it to reach the commits' own epoch check first).
    pub lock_check: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("another gpubook server is using {0}")]
    Locked(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("loading the stored state: {0}")]
    Load(#[from] crate::engine::state::LoadError),
    #[error("listening on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("kubernetes: {0}")]
    Kubernetes(#[from] k8s::connect::ConnectError),
}

/// A started server.
pub struct Running {
    pub addr: SocketAddr,
    /// The bootstrap admin token, when this start created it.
    pub admin_token: Option<String>,
    pub backend: &'static str,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, and returns once everything is committed and closed.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }

    /// Runs until `signal` completes, then stops gracefully.
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.stop().await;
    }
}

/// How often a PostgreSQL writer checks that its lock's session is still alive.
pub const LOCK_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// The path of the bootstrap admin token.
pub fn admin_token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.token")
}

pub async fn start(cfg: ServeConfig) -> Result<Running, ServeError> {
    std::fs::create_dir_all(&cfg.data_dir).map_err(|e| ServeError::DataDir(cfg.data_dir.clone(), e))?;
    let lock_path = cfg.data_dir.join("gpubook.lock");
    let lock_file = std::fs::File::create(&lock_path).map_err(|e| ServeError::DataDir(cfg.data_dir.clone(), e))?;
    if lock_file.try_lock().is_err() {
        return Err(ServeError::Locked(cfg.data_dir.display().to_string()));
    }
    // Bound before anything that holds the database's writer lock, so a port in use leaves no lock behind.
    let listener = tokio::net::TcpListener::bind(cfg.listen).await.map_err(|e| ServeError::Listen(cfg.listen, e))?;
    let addr = listener.local_addr().map_err(|e| ServeError::Listen(cfg.listen, e))?;
    let kube = match &cfg.kubernetes {
        Some(k) => Some((crate::kubernetes::client(&k.source).await.map_err(ServeError::Kubernetes)?, k.interval)),
        None => None,
    };
    let url =
        cfg.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", cfg.data_dir.join("gpubook.db").display()));
    let store = Store::open(&url).await?;
    let mut writer = store.lock_writer(&url).await?.ok_or_else(|| ServeError::Locked("the database".into()))?;
    let snapshot = store.load().await?;
    let tokens = Tokens::default();
    for row in &snapshot.tokens {
        if let Some(p) = principal_of(row) {
            tokens.insert(row.hash.clone(), p);
        }
    }
    let (state, mut seed) =
        State::load(snapshot, cfg.catalog.clone(), cfg.planner.clone(), cfg.demo).map_err(ServeError::Load)?;
    let mut admin_token = None;
    if tokens.is_empty() {
        let bootstrap = Principal {
            token_id: "bootstrap".into(),
            subject: "gpubook".into(),
            role: Role::Admin,
            projects: BTreeSet::new(),
        };
        let (created, batch, (hash, principal)) =
            issue(&bootstrap, "admin", Role::Admin, BTreeSet::new(), cfg.clock.now());
        write_secret(&admin_token_path(&cfg.data_dir), &created.token)
            .map_err(|e| ServeError::DataDir(cfg.data_dir.clone(), e))?;
        seed.append(batch);
        tokens.insert(hash, principal);
        admin_token = Some(created.token);
    }
    store.commit(&seed).await?;
    let metrics = Arc::new(Metrics::default());
    let (engine, engine_task) = Engine::start(state, store.clone(), cfg.clock.clone(), metrics.clone(), tokens.clone());
    // A writer whose lock is gone stops writing at once; the commits' epoch check catches the rest.
    let health = engine.health.clone();
    let lock_check = cfg.lock_check;
    let lock_watch = tokio::spawn(async move {
        let lost = writer.lost(lock_check).await;
        health.fence(format!("the database's writer lock was lost ({lost}); restart this server"));
        writer // kept, so the lock (if any is left) is released only at shutdown
    });
    let k8s_opts = Arc::new(cfg.k8s.clone());
    let reconciler = kube.map(|(client, interval)| {
        tokio::spawn(crate::kubernetes::run(engine.clone(), client, k8s_opts.clone(), interval, metrics.clone()))
    });
    let state = AppState {
        engine,
        tokens,
        metrics,
        store: store.clone(),
        catalog: Arc::new(cfg.catalog.clone()),
        k8s: k8s_opts,
        sessions: Default::default(),
    };
    let router = app(state);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let backend = store.backend();
    let http = cfg.http.clone();
    let task = tokio::spawn(async move {
        listener::serve(listener, router, http, async {
            let _ = stopped.await;
        })
        .await;
        // The reconciler holds an engine handle too; a pass cut short is finished by the next start.
        if let Some(task) = reconciler {
            task.abort();
            let _ = task.await;
        }
        // Every handler (and so every engine handle) is gone: the engine drains its queue and ends.
        let _ = engine_task.await;
        lock_watch.abort();
        let _ = lock_watch.await;
        store.close().await;
        drop(lock_file);
    });
    Ok(Running { addr, admin_token, backend, shutdown, task })
}

/// Writes a secret readable by its owner only (mode 0600), replacing the file atomically.
fn write_secret(path: &Path, secret: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    std::io::Write::write_all(&mut f, format!("{secret}\n").as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
