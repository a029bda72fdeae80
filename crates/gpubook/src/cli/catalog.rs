//! `gpubook catalog`: models, profiles, maximal layouts and shapes.

use std::path::Path;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use model::{Catalog, CatalogSource};

use super::Format;
use super::output::{emit, table};
use api::views::{self, CatalogModel, ShapeView};

#[derive(Debug, Args)]
pub(crate) struct CatalogArgs {
    #[command(subcommand)]
    what: Option<What>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum What {
    /// The maximal valid layouts of a model's base profiles (nothing more fits).
    Layouts {
        model: String,
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
    /// Every shape (whole GPU and MIG profile) with the attributes a DRA selector sees.
    Shapes {
        /// Only this model's shapes.
        model: Option<String>,
        #[arg(short, long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
}

/// The built-in catalog, with the models of `file` added when given.
pub(crate) fn load(file: Option<&Path>) -> anyhow::Result<Catalog> {
    let catalog = Catalog::builtin();
    let Some(path) = file else { return Ok(catalog) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // serde_yaml's message names the field path and the line (YAML is a superset of JSON, so both work).
    let source: CatalogSource = serde_yaml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    catalog.merged(source).with_context(|| format!("{}", path.display()))
}

fn model<'a>(catalog: &'a Catalog, key: &str) -> anyhow::Result<&'a model::GpuModel> {
    catalog.get(key).with_context(|| {
        let keys: Vec<&str> = catalog.keys().map(|k| k.as_str()).collect();
        format!("unknown GPU model {key:?}; the catalog has {}", keys.join(", "))
    })
}

pub(crate) fn run(catalog: &Catalog, args: CatalogArgs) -> anyhow::Result<()> {
    match args.what {
        None => list(catalog, args.output),
        Some(What::Layouts { model: key, output }) => layouts(catalog, &key, output),
        Some(What::Shapes { model: key, output }) => shapes(catalog, key.as_deref(), output),
    }
}

fn list(catalog: &Catalog, format: Format) -> anyhow::Result<()> {
    let all = CatalogModel::all(catalog);
    emit(format, &all, || {
        let mut t = table(&["model", "memory", "units", "placements", "profiles (size@starts ×max)"]);
        for m in &all {
            let profiles: Vec<String> =
                m.profiles.iter().map(|p| format!("{} {}@{:?} ×{}", p.name, p.size, p.starts, p.max)).collect();
            let profiles = if m.mig { profiles.join("\n") } else { "whole GPU only".into() };
            t.add_row(vec![
                m.model.clone(),
                format!("{:.1} GiB", m.memory_gib),
                m.units.to_string(),
                m.placement_confidence.clone(),
                profiles,
            ]);
        }
        t
    })
}

fn layouts(catalog: &Catalog, key: &str, format: Format) -> anyhow::Result<()> {
    let m = model(catalog, key)?;
    let geometry = m.mig.as_ref().with_context(|| format!("{key} has no MIG: it is booked as a whole GPU"))?;
    let all = views::maximal_layouts(geometry);
    emit(format, &all, || {
        let mut t = table(&["#", "instances (profile@start)", "compute", "units used", "mig-parted name"]);
        for (i, l) in geometry.maximal_layouts().iter().enumerate() {
            let compute: u32 = l.placements().iter().map(|p| geometry.profile(p.profile).compute_slices).sum();
            let used = l.mask(geometry).count_ones();
            t.add_row(vec![
                (i + 1).to_string(),
                l.describe(geometry),
                format!("{compute}/{}", geometry.compute_slices),
                format!("{used}/{}", geometry.units),
                geometry.well_known_name(l).unwrap_or_default(),
            ]);
        }
        t
    })
}

fn shapes(catalog: &Catalog, key: Option<&str>, format: Format) -> anyhow::Result<()> {
    if let Some(k) = key {
        model(catalog, k)?;
    }
    let all: Vec<ShapeView> =
        catalog.shapes().iter().filter(|s| key.is_none_or(|k| s.key.model.as_str() == k)).map(ShapeView::of).collect();
    emit(format, &all, || {
        let mut t = table(&["shape", "memory", "share of GPU", "multiprocessors"]);
        for s in &all {
            let sms = s.capacity.get("gpu.nvidia.com/multiprocessors").map(|v| v.to_string()).unwrap_or_default();
            t.add_row(vec![
                s.shape.clone(),
                format!("{:.2} GiB", s.memory_gib),
                format!("{}/{}", s.slices, s.units),
                sms,
            ]);
        }
        t
    })
}
