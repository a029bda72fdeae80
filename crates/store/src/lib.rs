//! All of gpubook's SQL. One schema on SQLite (the embedded default) and PostgreSQL, the same statements
//! on both (`$1` placeholders, `ON CONFLICT` upserts), and one transaction per [`Store::commit`].
//!
//! The store keeps rows, not domain types: booking and object documents are text the server writes and
//! reads back. It holds no decisions; the server's engine is the only writer (see `ARCHITECTURE.md`).

mod rows;
pub mod scratch;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgPool, SqlitePool};

pub use rows::{
    AuditRow, Batch, BookingRow, IdempotencyRow, ObjectChange, ObjectRow, PriceVersionRow, Snapshot, TokenRow,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?}: expected sqlite://PATH or postgres://…")]
    Url(String),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Another server took the writer's lock after this one: this one must not write again.
    #[error("this server is no longer the writer: another server took the database's writer lock (epoch {0} is gone)")]
    Fenced(i64),
    #[error("the writer lock's file {0}: {1}")]
    LockFile(String, std::io::Error),
}

impl StoreError {
    /// Whether this error means the writer was replaced, which no retry can mend.
    pub fn is_fenced(&self) -> bool {
        matches!(self, StoreError::Fenced(_))
    }
}

/// An open database with gpubook's schema migrated to the latest version.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// The writer epoch this store commits under; 0 until [`Store::lock_writer`] claims one (a store used as a
    /// library, without a lock, commits unfenced).
    epoch: Arc<AtomicI64>,
}

#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code on whichever pool the store has; `$p` is bound to the pool.
macro_rules! on_db {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

/// Holds the right to write, released when dropped: a PostgreSQL session advisory lock, or an exclusive lock
/// on a file beside the SQLite database file. Every commit is also fenced by the epoch claimed with it.
pub struct WriterLock {
    conn: Option<sqlx::PgConnection>,
    _file: Option<std::fs::File>,
    /// The fencing epoch this writer claimed.
    pub epoch: i64,
}

impl WriterLock {
    /// Resolves when the lock is lost: its PostgreSQL session ended (terminated, network cut, failover).
    /// Checked every `every`; never resolves for a SQLite file lock, which a live process cannot lose.
    pub async fn lost(&mut self, every: Duration) -> StoreError {
        let Some(conn) = self.conn.as_mut() else { return std::future::pending().await };
        loop {
            tokio::time::sleep(every).await;
            // A partitioned server answers nothing at all: no answer within the timeout is a lost lock too.
            match tokio::time::timeout(LOCK_ANSWER, sqlx::query("SELECT 1").execute(&mut *conn)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return StoreError::Sql(e),
                Err(_) => return StoreError::Sql(sqlx::Error::PoolTimedOut),
            }
        }
    }
}

/// How long the lock's session may take to answer before it counts as lost.
const LOCK_ANSWER: Duration = Duration::from_secs(5);

/// PostgreSQL connections of gpubook: a statement waits at most 5 s for a row lock (the writer row every
/// commit updates), and a session idle inside a transaction for 30 s is ended by the server, so a commit
/// connection cut mid-transaction (a partition the client never reports) cannot hold the writer row, and
/// with it every later commit, until TCP gives up hours later.
fn pg_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    Ok(PgConnectOptions::from_str(url)?
        .options([("lock_timeout", "5s"), ("idle_in_transaction_session_timeout", "30s")]))
}

/// Fixed: the advisory lock key of gpubook's single writer.
const WRITER_LOCK_KEY: i64 = 0x0067_7075_626f_6f6b; // "gpubook" in ASCII

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before it returns, so an acknowledged booking survives power loss.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new().max_connections(8).connect_with(pg_options(url)?).await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            Db::Postgres(pool)
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        Ok(Store { db, epoch: Arc::default() })
    }

    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Takes the writer's lock and claims a new fencing epoch; `None` when another process holds the lock.
    /// On PostgreSQL the lock is a session advisory lock on a connection of its own; on SQLite an exclusive
    /// lock on `<database file>.writer-lock`, so two servers on one database file exclude each other whatever
    /// their data directories. From then on every commit checks, in its own transaction, that the epoch is
    /// still this writer's: a writer replaced after losing its lock commits nothing more.
    pub async fn lock_writer(&self, url: &str) -> Result<Option<WriterLock>, StoreError> {
        let mut lock = match &self.db {
            Db::Sqlite(_) => {
                let opts = SqliteConnectOptions::from_str(url)?;
                let db_file = opts.get_filename();
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let file = if in_memory || db_file.as_os_str().is_empty() {
                    None
                } else {
                    let canonical = db_file.canonicalize().unwrap_or_else(|_| db_file.to_path_buf());
                    let mut path = canonical.into_os_string();
                    path.push(".writer-lock");
                    let shown = path.to_string_lossy().into_owned();
                    let file = std::fs::File::create(&path).map_err(|e| StoreError::LockFile(shown, e))?;
                    if file.try_lock().is_err() {
                        return Ok(None);
                    }
                    Some(file)
                };
                WriterLock { conn: None, _file: file, epoch: 0 }
            }
            Db::Postgres(_) => {
                let mut conn = sqlx::PgConnection::connect_with(&pg_options(url)?).await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(WRITER_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await?;
                if !got {
                    return Ok(None);
                }
                WriterLock { conn: Some(conn), _file: None, epoch: 0 }
            }
        };
        lock.epoch = on_db!(&self.db, |p| {
            sqlx::query_scalar::<_, i64>("UPDATE writer SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch")
                .fetch_one(p)
                .await?
        });
        self.epoch.store(lock.epoch, Ordering::SeqCst);
        Ok(Some(lock))
    }

    /// The fencing epoch this store commits under (0: unfenced).
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Everything the engine needs to start: objects, bookings, tokens, idempotency records and price versions.
    pub async fn load(&self) -> Result<Snapshot, StoreError> {
        let postgres = self.backend() == "postgres";
        on_db!(&self.db, |p| {
            // On PostgreSQL, first wait for any transaction that holds the writer row: a commit whose connection
            // was cut may still be finishing on the server, and a reload must see it rather than decide against
            // a state without it. A transaction of its own, so the share lock is not held while loading.
            if postgres {
                let mut wait = p.begin().await?;
                sqlx::query("SELECT epoch FROM writer WHERE id = 1 FOR SHARE").execute(&mut *wait).await?;
                wait.commit().await?;
            }
            // One snapshot, so the four reads agree (SQLite's read transactions are; PostgreSQL's need asking).
            let mut tx = p.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
            }
            let objects = sqlx::query_as::<_, ObjectRow>("SELECT kind, name, doc FROM objects ORDER BY kind, name")
                .fetch_all(&mut *tx)
                .await?;
            let bookings = sqlx::query_as::<_, BookingRow>(
                "SELECT id, project, owner, state, starts_at, ends_at, doc FROM bookings ORDER BY id",
            )
            .fetch_all(&mut *tx)
            .await?;
            let tokens = sqlx::query_as::<_, TokenRow>(
                "SELECT id, hash, subject, role, projects, created_at FROM tokens ORDER BY id",
            )
            .fetch_all(&mut *tx)
            .await?;
            let idempotency = sqlx::query_as::<_, IdempotencyRow>(
                "SELECT subject, key, request_hash, booking_id, verdict, reasons, preempted, moved, created_at \
                 FROM idempotency",
            )
            .fetch_all(&mut *tx)
            .await?;
            let price_versions =
                sqlx::query_as::<_, PriceVersionRow>("SELECT seq, applied_at, doc FROM price_versions ORDER BY seq")
                    .fetch_all(&mut *tx)
                    .await?;
            tx.commit().await?;
            Ok(Snapshot { objects, bookings, tokens, idempotency, price_versions })
        })
    }

    /// Writes a batch in one transaction: all of it is durable when this returns `Ok`, none of it otherwise.
    ///
    /// The transaction first proves this store is still the writer (its epoch is the newest). A connection
    /// whose transaction failed is closed, never returned to the pool: after an error (a full disk, say) it
    /// may still be inside a transaction, and the next `BEGIN` on it would nest into it and "commit" nothing.
    pub async fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.transact(batch, false).await
    }

    /// Whether commits go through again after failing: a fenced transaction that (on SQLite) also rewrites
    /// a 256 KiB row, so a disk with room for the epoch check alone does not pass for a writable one.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        self.transact(&Batch::default(), true).await
    }

    async fn transact(&self, batch: &Batch, probe: bool) -> Result<(), StoreError> {
        let epoch = self.epoch();
        let sqlite = self.backend() == "sqlite";
        on_db!(&self.db, |p| {
            let mut conn = p.acquire().await?;
            let written = async {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                // Epoch 0: a store without the writer's lock (a library user) commits unfenced.
                if epoch != 0 {
                    let held = sqlx::query("UPDATE writer SET epoch = epoch WHERE id = 1 AND epoch = $1")
                        .bind(epoch)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if held != 1 {
                        return Err(StoreError::Fenced(epoch));
                    }
                }
                if probe && sqlite {
                    sqlx::query(
                        "INSERT INTO probe (id, payload) VALUES (1, zeroblob(262144)) \
                         ON CONFLICT (id) DO UPDATE SET payload = excluded.payload",
                    )
                    .execute(&mut *tx)
                    .await?;
                }
            for change in &batch.objects {
                match change {
                    ObjectChange::Put(o) => {
                        sqlx::query(
                            "INSERT INTO objects (kind, name, doc) VALUES ($1, $2, $3) \
                             ON CONFLICT (kind, name) DO UPDATE SET doc = excluded.doc",
                        )
                        .bind(&o.kind)
                        .bind(&o.name)
                        .bind(&o.doc)
                        .execute(&mut *tx)
                        .await?;
                    }
                    ObjectChange::Delete { kind, name } => {
                        sqlx::query("DELETE FROM objects WHERE kind = $1 AND name = $2")
                            .bind(kind)
                            .bind(name)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            for b in &batch.bookings {
                sqlx::query(
                    "INSERT INTO bookings (id, project, owner, state, starts_at, ends_at, doc) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state, doc = excluded.doc",
                )
                .bind(b.id)
                .bind(&b.project)
                .bind(&b.owner)
                .bind(&b.state)
                .bind(b.starts_at)
                .bind(b.ends_at)
                .bind(&b.doc)
                .execute(&mut *tx)
                .await?;
            }
            for t in &batch.tokens {
                sqlx::query(
                    "INSERT INTO tokens (id, hash, subject, role, projects, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&t.id)
                .bind(&t.hash)
                .bind(&t.subject)
                .bind(&t.role)
                .bind(&t.projects)
                .bind(t.created_at)
                .execute(&mut *tx)
                .await?;
            }
            for id in &batch.revoked {
                sqlx::query("DELETE FROM tokens WHERE id = $1").bind(id).execute(&mut *tx).await?;
            }
            for i in &batch.idempotency {
                sqlx::query(
                    "INSERT INTO idempotency \
                     (subject, key, request_hash, booking_id, verdict, reasons, preempted, moved, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&i.subject)
                .bind(&i.key)
                .bind(&i.request_hash)
                .bind(i.booking_id)
                .bind(&i.verdict)
                .bind(&i.reasons)
                .bind(&i.preempted)
                .bind(&i.moved)
                .bind(i.created_at)
                .execute(&mut *tx)
                .await?;
            }
            for v in &batch.price_versions {
                sqlx::query("INSERT INTO price_versions (seq, applied_at, doc) VALUES ($1, $2, $3)")
                    .bind(v.seq)
                    .bind(v.applied_at)
                    .bind(&v.doc)
                    .execute(&mut *tx)
                    .await?;
            }
            for a in &batch.audit {
                sqlx::query("INSERT INTO audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(a.at)
                    .bind(&a.actor)
                    .bind(&a.action)
                    .bind(&a.target)
                    .bind(&a.detail)
                    .execute(&mut *tx)
                    .await?;
            }
                tx.commit().await?;
                Ok(())
            }
            .await;
            if written.is_err() {
                // Closing (not returning) the connection rolls back whatever it still holds.
                let _ = sqlx::Connection::close(conn.detach()).await;
            }
            written
        })
    }

    /// The audit log, newest first, at most `limit` entries.
    pub async fn audit(&self, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        on_db!(&self.db, |p| {
            let sql = "SELECT seq, at, actor, action, target, detail FROM audit ORDER BY seq DESC LIMIT $1";
            Ok(sqlx::query_as::<_, AuditRow>(sql).bind(limit).fetch_all(p).await?)
        })
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(&self.db, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
            Ok(())
        })
    }

    pub async fn close(&self) {
        on_db!(&self.db, |p| p.close().await)
    }
}
