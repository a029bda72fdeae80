//! `gpubook admin token`: recovering an admin token offline, refused while a server runs on the database.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{Reaped, Server};

/// Runs `gpubook admin token` on `data_dir` (and `database_url`): `(success, stdout, stderr)`. The child is
/// killed if it runs over 60 seconds, or if this test panics.
fn admin_token(data_dir: &Path, database_url: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gpubook"));
    cmd.args(["admin", "token", "--data-dir"])
        .arg(data_dir)
        .env_remove("GPUBOOK_DATABASE_URL")
        .env_remove("GPUBOOK_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let mut child = Reaped::spawn(&mut cmd);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "gpubook admin token did not finish");
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child.0.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.success(), out, err)
}

fn get(url: &str, token: &str, path: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r =
        agent.get(format!("{url}/api/v1{path}")).header("Authorization", format!("Bearer {token}")).call().unwrap();
    (r.status().as_u16(), serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap_or_default())
}

fn recover(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::spawn(dir.path(), database_url);
    let (ok, out, err) = admin_token(dir.path(), database_url);
    assert!(!ok && out.is_empty(), "refused while the server runs: {out}{err}");
    assert!(err.contains("server is") && err.contains("stop it first"), "{err}");
    assert_eq!(server.terminate().code(), Some(0));
    // Refused on the database too, whatever the data directory, while a server holds its writer lock.
    if database_url.is_some() {
        let server = Server::spawn(dir.path(), database_url);
        let elsewhere = tempfile::tempdir().unwrap();
        let (ok, _, err) = admin_token(elsewhere.path(), database_url);
        assert!(!ok && err.contains("server is using this database"), "{err}");
        assert_eq!(server.terminate().code(), Some(0));
    }
    let (ok, out, err) = admin_token(dir.path(), database_url);
    assert!(ok, "{err}");
    let token = out.trim().to_string();
    assert!(token.starts_with("gpb_") && token.len() == 68 && out.lines().count() == 1, "{out}");
    assert!(err.contains("shown only this once"), "{err}");
    let server = Server::spawn(dir.path(), database_url);
    let (s, me) = get(&server.url, &token, "/whoami");
    assert_eq!(
        (s, &me["role"], &me["subject"]),
        (200, &serde_json::json!("admin"), &serde_json::json!("admin")),
        "{me}"
    );
    let (s, log) = get(&server.url, &token, "/audit");
    assert_eq!(s, 200, "{log}");
    let created = log.as_array().unwrap().iter().find(|a| a["target"] == me["token_id"]).unwrap();
    assert_eq!(created["action"], "token-create");
    assert!(created["actor"].as_str().unwrap().contains("offline"), "{created}");
    assert_eq!(server.terminate().code(), Some(0));
}

#[test]
fn admin_token_recovers_offline_on_sqlite_and_not_while_the_server_runs() {
    recover(None);
}

#[test]
fn admin_token_recovers_offline_on_postgres() {
    if !store::scratch::backends().contains(&"postgres") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(store::scratch::ScratchDb::new("postgres"));
    recover(Some(&db.url));
    rt.block_on(db.drop_db());
}
