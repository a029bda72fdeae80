//! The CLI's HTTP client: the server address and token from flags or `GPUBOOK_URL` / `GPUBOOK_TOKEN`, and
//! error bodies shown as the server wrote them.

use std::path::Path;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Args)]
pub(crate) struct ServerArgs {
    /// The gpubook server.
    #[arg(long, global = true, env = "GPUBOOK_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API token. Without one, the admin token of a server started here (`gpubook-data/admin.token`)
    /// is used when that file exists.
    #[arg(long, global = true, env = "GPUBOOK_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

pub(crate) struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Client {
    pub(crate) fn new(args: &ServerArgs) -> anyhow::Result<Client> {
        let token = match &args.token {
            Some(t) => t.trim().to_string(),
            None => {
                let local = Path::new("gpubook-data").join("admin.token");
                std::fs::read_to_string(&local).map(|t| t.trim().to_string()).with_context(|| {
                    format!("no token: set GPUBOOK_TOKEN or --token (and {} is not readable)", local.display())
                })?
            }
        };
        let config = ureq::Agent::config_builder().http_status_as_error(false).build();
        Ok(Client { base: format!("{}/api/v1", args.url.trim_end_matches('/')), token, agent: config.into() })
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<T> {
        let mut req =
            self.agent.get(format!("{}{path}", self.base)).header("Authorization", format!("Bearer {}", self.token));
        for (k, v) in query {
            req = req.query(*k, v);
        }
        answer(req.call(), path)
    }

    pub(crate) fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &B,
        headers: &[(&str, String)],
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let result = match method {
            "POST" => {
                let mut r = self.agent.post(&url).header("Authorization", &auth);
                for (k, v) in headers {
                    r = r.header(*k, v);
                }
                r.send_json(body)
            }
            "PUT" => self.agent.put(&url).header("Authorization", &auth).send_json(body),
            _ => bail!("unsupported method {method}"),
        };
        answer(result, path)
    }

    pub(crate) fn post_text<T: DeserializeOwned>(&self, path: &str, text: &str) -> anyhow::Result<T> {
        let result = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/yaml")
            .send(text);
        answer(result, path)
    }

    pub(crate) fn delete<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let result = self
            .agent
            .delete(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .call();
        answer(result, path)
    }
}

/// The server's refusal, as it said it.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) status: u16,
    pub(crate) body: api::rest::ErrorView,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.body.code, self.status, self.body.message)?;
        for r in &self.body.reasons {
            write!(f, "\n  - {}: {}", r.code, r.message)?;
        }
        if let Some(t) = &self.body.not_before {
            write!(f, "\n  the same duration first fits from {}", super::when::show(t))?;
        }
        for v in &self.body.violations {
            write!(f, "\n  - {} ({}): {}", v.booking, v.project, v.reason)?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

fn answer<T: DeserializeOwned>(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    path: &str,
) -> anyhow::Result<T> {
    let mut resp = result.with_context(|| {
        format!("cannot reach the gpubook server for {path} (is `gpubook serve` running? GPUBOOK_URL?)")
    })?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().with_context(|| format!("reading the answer to {path}"))?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).with_context(|| format!("unexpected answer to {path}: {text}"));
    }
    match serde_json::from_str::<api::rest::ErrorBody>(&text) {
        Ok(e) => Err(Refused { status, body: e.error }.into()),
        Err(_) => bail!("{path}: HTTP {status}: {text}"),
    }
}
