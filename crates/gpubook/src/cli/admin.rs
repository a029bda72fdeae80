//! `gpubook admin`: offline administration, on the database directly, with the server stopped.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Creates an admin token in the database directly and prints it once: recovery when every admin token
    /// is lost. The server must be stopped (this takes its lock on the data directory and the database).
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The server's data directory (its SQLite database, unless --database-url).
    #[arg(long, env = "GPUBOOK_DATA_DIR", default_value = "gpubook-data")]
    data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; default: SQLite under --data-dir.
    #[arg(long, env = "GPUBOOK_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Who the token is for.
    #[arg(long, default_value = "admin")]
    subject: String,
}

pub(crate) fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Token(args) => token(args),
    }
}

fn token(args: TokenArgs) -> anyhow::Result<()> {
    let running = || format!("a gpubook server is running on {}: stop it first", args.data_dir.display());
    // The server's own lock on its data directory, when there is one.
    let _dir_lock = if args.data_dir.is_dir() {
        let path = args.data_dir.join("gpubook.lock");
        let file = std::fs::File::create(&path).with_context(|| format!("opening {}", path.display()))?;
        if file.try_lock().is_err() {
            anyhow::bail!(running());
        }
        Some(file)
    } else {
        None
    };
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            let db = args.data_dir.join("gpubook.db");
            if !db.is_file() {
                anyhow::bail!("no database at {}: start the server once first (or give --database-url)", db.display());
            }
            format!("sqlite://{}", db.display())
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let created = runtime.block_on(async {
        let store = store::Store::open(&url).await?;
        // The writer's lock: a server on this database (from any data directory) holds it.
        let Some(_writer) = store.lock_writer(&url).await? else {
            anyhow::bail!("a gpubook server is using this database: stop it first");
        };
        let offline = server::auth::Principal {
            token_id: "offline".into(),
            subject: "gpubook admin token".into(),
            role: server::auth::Role::Admin,
            projects: BTreeSet::new(),
        };
        let now = model::Instant(jiff::Timestamp::now().as_second());
        let (created, batch, _) =
            server::engine::tokens::issue(&offline, &args.subject, server::auth::Role::Admin, BTreeSet::new(), now);
        store.commit(&batch).await?;
        store.close().await;
        anyhow::Ok(created)
    })?;
    eprintln!("created admin token {} for {:?}; it is shown only this once:", created.id, created.subject);
    println!("{}", created.token);
    Ok(())
}
