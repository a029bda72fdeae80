//! The `gpubook` binary as a user runs it: output contracts of PRODUCT.md and error behaviour.

mod admin;
mod catalog;
mod crash;
mod definitions;
mod deploy;
mod discover;
mod fake_k8s;
mod fit;
mod kubernetes;
mod server;
mod service;
mod simulate;
mod usage;

use std::process::{Command, Output};

/// Runs the binary with `args` and no environment that could change its behaviour.
pub(crate) fn gpubook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gpubook")).args(args).env_remove("GPUBOOK_CATALOG").output().expect("runs")
}

pub(crate) fn stdout_json(args: &[&str]) -> serde_json::Value {
    let out = gpubook(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
