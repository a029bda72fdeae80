//! `gpubook fleet discover`: the cluster's GPU nodes as gpubook `Node` manifests, ready for `gpubook apply`.
//! A thin shell: [`k8s::listing`] lists Nodes and ResourceSlices (reads only), [`k8s::discover`] makes the
//! nodes of them, and this prints them with the notes as comments.

use std::path::PathBuf;

use anyhow::bail;
use api::manifest::{Document, NodeDoc};
use clap::{Args, Subcommand};
use k8s::discover::Discovery;
use model::Catalog;
use serde_json::{Value, json};

use super::output::{Format, say, table};

#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Lists the cluster's GPU nodes (GPU feature discovery labels, allocatable resources, the NVIDIA DRA
    /// driver's ResourceSlices) as Node manifests for `gpubook apply`. Reads the cluster, never writes it.
    Discover(DiscoverArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DiscoverArgs {
    /// The cluster of this kubeconfig file.
    #[arg(long, required_unless_present = "kubernetes")]
    kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig other than its current one.
    #[arg(long, conflicts_with = "kubernetes")]
    context: Option<String>,
    /// The cluster this runs in (service account), else $KUBECONFIG or ~/.kube/config.
    #[arg(long, conflicts_with = "kubeconfig")]
    kubernetes: bool,
    #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
    output: Format,
}

pub(crate) fn run(catalog: &Catalog, command: FleetCommand) -> anyhow::Result<()> {
    let FleetCommand::Discover(args) = command;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let listed = runtime.block_on(async {
        let client = match &args.kubeconfig {
            Some(path) => k8s::connect::kubeconfig(path, args.context.as_deref()).await?,
            None => k8s::connect::infer().await?,
        };
        anyhow::Ok(k8s::listing::fleet(&client).await)
    })?;
    if listed.errors.len() == 2 {
        bail!("{}", listed.errors.join("; "));
    }
    for e in &listed.errors {
        eprintln!("warning: {e}; discovered from the other kinds");
    }
    let found = k8s::discover::discover(&listed.nodes, &listed.slices, catalog);
    match args.output {
        Format::Yaml => say(&yaml(&found, catalog)),
        Format::Json => say(&format!("{}\n", serde_json::to_string_pretty(&as_json(&found, catalog, &listed.errors))?)),
        Format::Table => say(&format!("{}\n", as_table(&found, catalog))),
    }
}

/// Comment lines, one per note; a note never breaks out of its comment.
fn comment(lines: impl IntoIterator<Item = String>) -> String {
    lines.into_iter().map(|l| format!("# {}\n", l.replace(['\n', '\r'], " "))).collect()
}

/// Multi-document YAML: each node's notes as comments above its manifest, the nodes not described at the end.
fn yaml(found: &Discovery, catalog: &Catalog) -> String {
    let mut out = comment([format!(
        "gpubook fleet discover: {} GPU nodes, {} not described; review, then gpubook apply -f FILE",
        found.nodes.len(),
        found.unknown.len()
    )]);
    for f in &found.nodes {
        out.push_str("---\n");
        out.push_str(&comment(std::iter::once(format!("node {}:", f.node.name)).chain(f.notes.iter().cloned())));
        out.push_str(&Document::Node(NodeDoc::of(&f.node, catalog)).to_yaml());
    }
    for u in &found.unknown {
        let head = format!("not described: node {}: {}", u.node, u.reason);
        out.push_str(&comment(std::iter::once(head).chain(u.labels.iter().map(|(k, v)| format!("  {k}: {v}")))));
    }
    out
}

fn as_json(found: &Discovery, catalog: &Catalog, errors: &[String]) -> Value {
    let nodes: Vec<Value> = found
        .nodes
        .iter()
        .map(|f| {
            let mut doc = serde_json::to_value(NodeDoc::of(&f.node, catalog)).unwrap_or_default();
            doc["kind"] = json!("Node");
            doc
        })
        .collect();
    let notes: serde_json::Map<String, Value> =
        found.nodes.iter().map(|f| (f.node.name.clone(), json!(f.notes))).collect();
    let unknown: Vec<Value> =
        found.unknown.iter().map(|u| json!({ "node": u.node, "reason": u.reason, "labels": u.labels })).collect();
    json!({ "nodes": nodes, "notes": notes, "unknown": unknown, "errors": errors })
}

fn as_table(found: &Discovery, catalog: &Catalog) -> comfy_table::Table {
    let mut t = table(&["node", "model", "gpus", "reconfiguration", "layout"]);
    for f in &found.nodes {
        for g in NodeDoc::of(&f.node, catalog).gpus {
            let gpus = match (&g.count, &g.devices) {
                (Some(n), _) => n.to_string(),
                (None, Some(d)) => d.iter().map(|d| d.index.to_string()).collect::<Vec<_>>().join(","),
                (None, None) => String::new(),
            };
            let layout = match (&g.layout, g.reconfiguration.as_deref()) {
                (Some(api::manifest::LayoutDoc::Text(t)), _) => t.clone(),
                (Some(_), _) => "listed".into(),
                (None, Some("dynamic")) => "instances made on demand".into(),
                (None, _) => "MIG off (whole GPU)".into(),
            };
            t.add_row(vec![f.node.name.clone(), g.model, gpus, g.reconfiguration.unwrap_or("static".into()), layout]);
        }
    }
    for u in &found.unknown {
        t.add_row(vec![u.node.clone(), "?".into(), String::new(), String::new(), u.reason.clone()]);
    }
    t
}
