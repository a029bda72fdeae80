//! A gpubook server in the test process, on a scratch database, and a small blocking HTTP client.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use serde_json::Value;
use server::engine::Clock;
use store::scratch::ScratchDb;

pub(crate) struct Harness {
    pub(crate) url: String,
    pub(crate) admin: String,
    pub(crate) clock: Arc<AtomicI64>,
    pub(crate) backend: &'static str,
    running: Option<server::Running>,
    db: Option<ScratchDb>,
    data_dir: std::path::PathBuf,
    pub(crate) rt: tokio::runtime::Runtime,
    /// Used from the next (re)start on.
    pub(crate) kube: Option<server::kubernetes::KubeConfig>,
    /// The HTTP listener's limits.
    http: server::serve::HttpLimits,
    /// A SQLite database of the test's choosing (on a small disk, say) instead of the scratch one.
    sqlite_url: Option<String>,
    /// How often a PostgreSQL writer checks its lock's session; used from the next (re)start on.
    pub(crate) lock_check: std::time::Duration,
    /// How objects are rendered and when a booking is ending soon; used from the next (re)start on.
    pub(crate) k8s: k8s::Options,
}

/// 2026-11-23T08:00:00Z: a Monday morning, the test clock's start.
pub(crate) const T0: i64 = 1_795_420_800;

pub(crate) fn at(offset_h: f64) -> String {
    model::Instant(T0 + (offset_h * 3600.0) as i64).to_string()
}

impl Harness {
    /// A server on `backend` with the demo definitions and the clock at [`T0`].
    pub(crate) fn start(backend: &'static str) -> Harness {
        Harness::start_with(backend, Default::default())
    }

    /// [`Harness::start`] with these limits on the HTTP listener.
    pub(crate) fn start_with(backend: &'static str, http: server::serve::HttpLimits) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let db = rt.block_on(ScratchDb::new(backend));
        let data_dir = std::env::temp_dir().join(format!("gpubook-it-{}-{}", std::process::id(), rand_suffix()));
        let clock = Arc::new(AtomicI64::new(T0));
        let database_url = (backend == "postgres").then(|| db.url.clone());
        let mut h = Harness {
            url: String::new(),
            admin: String::new(),
            clock,
            backend,
            running: None,
            db: Some(db),
            data_dir,
            rt,
            kube: None,
            http,
            sqlite_url: None,
            lock_check: server::serve::LOCK_CHECK,
            k8s: k8s::Options::default(),
        };
        h.boot(database_url, true);
        h
    }

    /// A SQLite server on the database at `url`, with the demo definitions.
    pub(crate) fn start_on_sqlite(url: String) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let data_dir = std::env::temp_dir().join(format!("gpubook-it-{}-{}", std::process::id(), rand_suffix()));
        let mut h = Harness {
            url: String::new(),
            admin: String::new(),
            clock: Arc::new(AtomicI64::new(T0)),
            backend: "sqlite",
            running: None,
            db: None,
            data_dir,
            rt,
            kube: None,
            http: Default::default(),
            sqlite_url: Some(url),
            lock_check: server::serve::LOCK_CHECK,
            k8s: k8s::Options::default(),
        };
        h.boot(None, true);
        h
    }

    fn boot(&mut self, database_url: Option<String>, demo: bool) {
        let database_url = database_url
            .or_else(|| self.sqlite_url.clone())
            .or_else(|| (self.backend == "sqlite").then(|| self.db.as_ref().map(|d| d.url.clone())).flatten());
        let cfg = self.config(self.data_dir.clone(), database_url, demo, self.kube.clone());
        let running = self.rt.block_on(server::start(cfg)).expect("server starts");
        self.url = format!("http://{}", running.addr);
        if let Some(t) = &running.admin_token {
            self.admin = t.clone();
        }
        self.running = Some(running);
    }

    /// The settings every server of the harness starts with: the fixed clock, the catalog, the limits.
    fn config(
        &self,
        data_dir: std::path::PathBuf,
        database_url: Option<String>,
        demo: bool,
        kubernetes: Option<server::kubernetes::KubeConfig>,
    ) -> server::ServeConfig {
        server::ServeConfig {
            data_dir,
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url,
            demo,
            catalog: model::Catalog::builtin(),
            planner: planner::Config::default(),
            clock: Clock::Fixed(self.clock.clone()),
            k8s: self.k8s.clone(),
            kubernetes,
            http: self.http.clone(),
            lock_check: self.lock_check,
        }
    }

    /// Stops the server gracefully and starts it again on the same database.
    pub(crate) fn restart(&mut self) {
        let running = self.running.take().unwrap();
        self.rt.block_on(running.stop());
        let url = (self.backend == "postgres").then(|| self.db.as_ref().unwrap().url.clone());
        self.boot(url, false);
    }

    /// Another server on the same PostgreSQL database, with its own data directory (a second replica, or the
    /// server that takes over); `Err` when it cannot start.
    pub(crate) fn another_server(&self) -> Result<server::Running, server::ServeError> {
        let cfg = self.config(self.data_dir.join("other"), self.db.as_ref().map(|d| d.url.clone()), false, None);
        self.rt.block_on(server::start(cfg))
    }

    /// The scratch database's URL.
    pub(crate) fn database_url(&self) -> String {
        self.db.as_ref().expect("a scratch database").url.clone()
    }

    pub(crate) fn set_clock(&self, hours_after_t0: f64) {
        self.clock.store(T0 + (hours_after_t0 * 3600.0) as i64, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn api(&self, token: &str) -> Api {
        Api { base: format!("{}/api/v1", self.url), root: self.url.clone(), token: token.to_string() }
    }

    pub(crate) fn admin(&self) -> Api {
        self.api(&self.admin)
    }

    /// A new token with `role` for `projects`, made by the admin.
    pub(crate) fn token(&self, subject: &str, role: &str, projects: &[&str]) -> Api {
        let (status, body) =
            self.admin().post("/tokens", &serde_json::json!({"subject": subject, "role": role, "projects": projects}));
        assert_eq!(status, 201, "{body}");
        self.api(body["token"].as_str().unwrap())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
        if let Some(db) = self.db.take() {
            self.rt.block_on(db.drop_db());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1_000_003
        + std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

/// A blocking client answering `(status, JSON body)`.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) root: String,
    pub(crate) token: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut resp = resp.expect("the server answers");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

impl Api {
    /// A client of the server at `addr` (another than the harness's own) with `token`.
    pub(crate) fn at(addr: std::net::SocketAddr, token: &str) -> Api {
        Api { base: format!("http://{addr}/api/v1"), root: format!("http://{addr}"), token: token.to_string() }
    }

    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        read(
            agent()
                .get(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .call(),
        )
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_with(path, body, None)
    }

    pub(crate) fn post_with(&self, path: &str, body: &Value, key: Option<&str>) -> (u16, Value) {
        let mut r =
            agent().post(format!("{}{path}", self.base)).header("Authorization", format!("Bearer {}", self.token));
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        read(r.send_json(body))
    }

    pub(crate) fn post_raw(&self, path: &str, body: &str, content_type: &str) -> (u16, Value) {
        read(
            agent()
                .post(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .header("Content-Type", content_type)
                .send(body),
        )
    }

    pub(crate) fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        read(
            agent()
                .put(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .send_json(body),
        )
    }

    pub(crate) fn delete(&self, path: &str) -> (u16, Value) {
        read(
            agent()
                .delete(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .call(),
        )
    }

    /// `GET` outside `/api/v1`, unauthenticated.
    pub(crate) fn root_get(&self, path: &str) -> (u16, String) {
        let mut resp = agent().get(format!("{}{path}", self.root)).call().unwrap();
        (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap())
    }

    pub(crate) fn book(
        &self,
        project: &str,
        what: &str,
        count: u32,
        from_h: f64,
        to_h: f64,
        mode: &str,
    ) -> (u16, Value) {
        let (key, value) = what.split_once('=').unwrap();
        let body = serde_json::json!({
            "project": project, key: value, "count": count, "start": at(from_h), "end": at(to_h), "mode": mode,
        });
        self.post("/bookings", &body)
    }
}
