//! Verbs over declared definitions: `sizes` and `fleet` read manifest files or the demo when given `-f` or
//! `--demo`, and ask the server otherwise; `validate` checks files.

use std::io::Read as _;

use anyhow::{Context as _, bail};
use api::views::{self, SizeView};
use model::{Catalog, Definitions};

use super::ManifestArgs;
use super::output::{emit, table};

/// Definitions from the files (or the demo), and the warnings resolving them gave.
pub(crate) fn load(catalog: &Catalog, args: &ManifestArgs) -> anyhow::Result<(Definitions, Vec<String>)> {
    if args.demo && !args.files.is_empty() {
        bail!("give either --demo or -f files, not both");
    }
    if args.demo {
        return Ok((api::demo::definitions(catalog)?, Vec::new()));
    }
    let mut docs = Vec::new();
    for path in &args.files {
        let (name, text) = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("reading standard input")?;
            ("<stdin>".to_string(), s)
        } else {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            (path.display().to_string(), text)
        };
        docs.extend(api::parse_manifests(&name, &text)?);
    }
    Ok(api::resolve(&docs, catalog)?)
}

/// Whether the verb reads local files (or the demo) rather than asking the server.
fn local(args: &ManifestArgs) -> bool {
    args.demo || !args.files.is_empty()
}

pub(crate) fn sizes(catalog: &Catalog, args: &ManifestArgs, server: &super::client::ServerArgs) -> anyhow::Result<()> {
    let (all, warnings) = if local(args) {
        let (defs, warnings) = load(catalog, args)?;
        (views::sizes(&defs, catalog, &warnings), warnings)
    } else {
        let all: Vec<SizeView> = super::client::Client::new(server)?.get("/sizes", &[])?;
        (all, Vec::new())
    };
    emit(args.output, &all, || {
        let mut t = table(&["size", "description", "matches: shape (memory) ×GPUs of that model in the fleet"]);
        for s in &all {
            let mut shapes: Vec<&views::SizeShape> = s.shapes.iter().collect();
            // Shapes the fleet can host first; the rest of the catalog after.
            shapes.sort_by_key(|x| (x.fleet_gpus == 0, x.shape.clone()));
            let listed: Vec<String> = shapes
                .iter()
                .take(12)
                .map(|x| format!("{} ({:.1} GiB) ×{}", x.shape, x.memory_gib, x.fleet_gpus))
                .chain((shapes.len() > 12).then(|| format!("… and {} more shapes of the catalog", shapes.len() - 12)))
                .collect();
            t.add_row(vec![s.name.clone(), s.description.clone().unwrap_or_default(), listed.join("\n")]);
        }
        t
    })?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}

pub(crate) fn fleet(catalog: &Catalog, args: &ManifestArgs, server: &super::client::ServerArgs) -> anyhow::Result<()> {
    let gpus: Vec<views::GpuView> = if local(args) {
        let (defs, _) = load(catalog, args)?;
        views::fleet(&defs, catalog)
    } else {
        super::client::Client::new(server)?.get("/fleet", &[])?
    };
    emit(args.output, &gpus, || {
        let mut t = table(&["gpu", "model", "reconfiguration", "layout", "layout name"]);
        for g in &gpus {
            let layout = g.layout.as_ref().map_or_else(
                || "MIG off (whole GPU)".to_string(),
                |l| l.iter().map(|i| format!("{}@{}", i.profile, i.start)).collect::<Vec<_>>().join(" "),
            );
            t.add_row(vec![
                g.id.clone(),
                g.model.clone(),
                g.reconfiguration.clone(),
                layout,
                g.layout_name.clone().unwrap_or_default(),
            ]);
        }
        t
    })
}

pub(crate) fn validate(catalog: &Catalog, args: &ManifestArgs) -> anyhow::Result<()> {
    if args.files.is_empty() && !args.demo {
        bail!("give manifest files with -f (or --demo)");
    }
    let (defs, warnings) = load(catalog, args)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    super::output::say(&format!(
        "valid: {} nodes with {} GPUs, {} sizes, {} cohorts, {} projects\n",
        defs.fleet.nodes().count(),
        defs.fleet.gpus().count(),
        defs.sizes.len(),
        defs.cohorts.len(),
        defs.projects.len()
    ))?;
    Ok(())
}
