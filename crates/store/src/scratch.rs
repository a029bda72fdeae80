//! Throwaway databases for tests: a SQLite file in a temporary directory, or a fresh PostgreSQL database
//! created on the server `GPUBOOK_TEST_PG` points at and dropped afterwards.

use sqlx::Connection;

/// The environment variable naming the PostgreSQL server tests use, such as
/// `postgres://postgres@127.0.0.1:5432/postgres`. `.ci/run` sets it.
pub const PG_ENV: &str = "GPUBOOK_TEST_PG";

/// The backends a storage test runs on: SQLite always, PostgreSQL when `GPUBOOK_TEST_PG` is set. Under
/// `CI` a missing `GPUBOOK_TEST_PG` is an error, so CI never skips PostgreSQL silently.
pub fn backends() -> Vec<&'static str> {
    match std::env::var(PG_ENV) {
        Ok(_) => vec!["sqlite", "postgres"],
        Err(_) if std::env::var_os("CI").is_some() => panic!("{PG_ENV} must be set under CI"),
        Err(_) => {
            eprintln!("{PG_ENV} is not set: PostgreSQL storage tests skipped");
            vec!["sqlite"]
        }
    }
}

/// A database that exists for one test.
pub struct ScratchDb {
    pub url: String,
    pg: Option<(String, String)>,
    _dir: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    pub(super) use std::path::PathBuf;
    /// A directory removed on drop (no dependency on `tempfile` outside tests).
    pub(super) struct TempDir(pub(super) PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn unique() -> String {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}_{t}_{n}", std::process::id())
}

impl ScratchDb {
    /// A fresh, empty database of `backend` ("sqlite" or "postgres").
    pub async fn new(backend: &str) -> ScratchDb {
        match backend {
            "sqlite" => {
                let dir = std::env::temp_dir().join(format!("gpubook-test-{}", unique()));
                std::fs::create_dir_all(&dir).expect("temporary directory");
                let url = format!("sqlite://{}", dir.join("gpubook.db").display());
                ScratchDb { url, pg: None, _dir: Some(tempfile_dir::TempDir(dir)) }
            }
            "postgres" => {
                let admin = std::env::var(PG_ENV).expect("GPUBOOK_TEST_PG");
                let name = format!("gpubook_test_{}", unique());
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to GPUBOOK_TEST_PG");
                // `name` is ours: digits and underscores only.
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                ScratchDb { url, pg: Some((admin, name)), _dir: None }
            }
            other => panic!("unknown backend {other}"),
        }
    }

    /// Drops a PostgreSQL scratch database (SQLite files go with the directory).
    pub async fn drop_db(self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut conn)
                .await;
        }
    }
}

/// A tiny tmpfs, so a test can fill a real disk and give the space back. Linux and root only (`mount`);
/// elsewhere [`SmallDisk::mount`] says why it could not and returns `None`, except under `CI`, where that
/// is an error: CI runs as root and must not skip the disk-full tests. Unmounted on drop.
pub struct SmallDisk {
    pub path: std::path::PathBuf,
}

impl SmallDisk {
    pub fn mount(bytes: u64) -> Option<SmallDisk> {
        let path = std::env::temp_dir().join(format!("gpubook-disk-{}", unique()));
        std::fs::create_dir_all(&path).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            return Some(SmallDisk { path });
        }
        let _ = std::fs::remove_dir(&path);
        assert!(std::env::var_os("CI").is_none(), "CI must be able to mount a tmpfs (it runs as root)");
        eprintln!("cannot mount a tmpfs here (not root?): disk-full test skipped");
        None
    }

    /// Gives the disk a new size: more space, or none left.
    pub fn resize(&self, bytes: u64) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remounting {}", self.path.display());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Ends every PostgreSQL session holding an advisory lock on the database at `url` (the writer's lock), as a
/// network cut or a failover would.
pub async fn terminate_lock_sessions(url: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .execute(&mut conn)
    .await
    .expect("terminate the lock's session");
}
