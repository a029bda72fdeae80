//! `gpubook serve` as a child process, for tests that stop it the hard way or drive it with the CLI. Every
//! child is killed and reaped when its handle is dropped, so a failing test leaves no server behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process that is killed (SIGKILL) and waited for when dropped, on every path, panics included.
pub(crate) struct Reaped(pub(crate) Child);

impl Reaped {
    pub(crate) fn spawn(cmd: &mut Command) -> Reaped {
        Reaped(cmd.spawn().expect("the child starts"))
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        // Already exited and reaped: `kill` does nothing and `wait` answers the stored status.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) struct Server {
    child: Reaped,
    pub(crate) url: String,
    pub(crate) token: String,
    pub(crate) data_dir: PathBuf,
    database_url: Option<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    pub(crate) fn spawn(data_dir: &Path, database_url: Option<&str>) -> Server {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gpubook"));
        cmd.args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .env_remove("GPUBOOK_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let child = Reaped::spawn(&mut cmd);
        let url = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        for _ in 0..200 {
            if agent.get(format!("{url}/healthz")).call().is_ok_and(|r| r.status() == 200) {
                let token = std::fs::read_to_string(data_dir.join("admin.token")).unwrap().trim().to_string();
                return Server {
                    child,
                    url,
                    token,
                    data_dir: data_dir.to_path_buf(),
                    database_url: database_url.map(String::from),
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(child);
        panic!("gpubook serve did not become healthy on {url}");
    }

    /// SIGKILL: no shutdown, no flush.
    pub(crate) fn kill(mut self) -> (PathBuf, Option<String>) {
        self.child.0.kill().unwrap();
        self.child.0.wait().unwrap();
        (self.data_dir.clone(), self.database_url.clone())
    }

    /// SIGTERM, then wait for a clean exit.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.0.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.0.wait().unwrap()
    }
}

/// A test that fails while its server runs still stops the server: nothing is left listening or running.
#[test]
fn a_panicking_test_leaves_no_server_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let server = Server::spawn(dir.path(), None);
        tx.send((server.url.clone(), server.child.0.id())).unwrap();
        panic!("an assertion fails while the server runs (expected by this test)");
    }));
    assert!(failed.is_err());
    let (url, pid) = rx.recv().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    assert!(agent.get(format!("{url}/healthz")).call().is_err(), "the server still answers on {url}");
    #[cfg(target_os = "linux")]
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "process {pid} is still there (or a zombie)");
    let _ = pid;
}
