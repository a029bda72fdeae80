//! `gpubook serve` as a child process, for tests that stop it the hard way or drive it with the CLI.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct Server {
    pub(crate) child: Child,
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
        let mut child = cmd.spawn().expect("gpubook serve starts");
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
        let _ = child.kill();
        let _ = child.wait();
        panic!("gpubook serve did not become healthy on {url}");
    }

    /// SIGKILL: no shutdown, no flush.
    pub(crate) fn kill(mut self) -> (PathBuf, Option<String>) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        (self.data_dir.clone(), self.database_url.clone())
    }

    /// SIGTERM, then wait for a clean exit.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}
