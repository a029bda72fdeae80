//! A node's GPUs from GPU feature discovery's labels and the node's allocatable resources.
//!
//! Read: `nvidia.com/gpu.product`, `nvidia.com/gpu.count`, `nvidia.com/gpu.memory`,
//! `nvidia.com/mig.capable`, `nvidia.com/mig.strategy`, `nvidia.com/mig.config`,
//! `nvidia.com/mig.config.state`, `nvidia.com/mig-<profile>.count` (the device plugin's `mixed` strategy,
//! `+` written `.`), `nvidia.com/gpu.deploy.mig-manager`, and allocatable `nvidia.com/gpu` and
//! `nvidia.com/mig-<profile>`. The per-profile counts are the node's total; labels do not say which GPU
//! holds which instance, so every GPU is taken to hold the same layout and counts that do not divide evenly
//! are refused rather than guessed.

use std::collections::BTreeMap;

use model::{Catalog, Gpu, GpuId, Layout, MigGeometry, ProfileIdx};

use super::{Found, model_by_product, reconfiguration};

/// At most this many GPUs on one node, as in a manifest.
const MAX_GPUS: u32 = 1024;

type Labels = BTreeMap<String, String>;

pub(super) fn node(
    name: &str,
    labels: &Labels,
    allocatable: &Labels,
    catalog: &Catalog,
) -> Result<Option<Found>, String> {
    let allocatable_gpus: Vec<String> = allocatable
        .iter()
        .filter(|(k, v)| (k.as_str() == "nvidia.com/gpu" || k.starts_with("nvidia.com/mig-")) && v.as_str() != "0")
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let Some(product) = labels.get("nvidia.com/gpu.product") else {
        if allocatable_gpus.is_empty() {
            return Ok(None);
        }
        return Err(format!(
            "allocatable {} but no nvidia.com/gpu.product label: is GPU feature discovery running?",
            allocatable_gpus.join(", ")
        ));
    };
    let (base, shared) = match product.strip_suffix("-SHARED") {
        Some(base) => (base, true),
        None => (product.as_str(), false),
    };
    // Under the `single` strategy GFD names the MIG profile in the product: NVIDIA-H100-80GB-HBM3-MIG-1g.10gb.
    let (base, single) = match base.split_once("-MIG-") {
        Some((gpu, profile)) => (gpu, Some(profile)),
        None => (base, None),
    };
    let m = model_by_product(base, catalog)
        .ok_or_else(|| format!("product {product:?} (nvidia.com/gpu.product) is not in the catalog"))?;
    let count = |key: &str| -> Result<Option<u32>, String> {
        labels.get(key).or_else(|| allocatable.get(key)).map(|v| number(key, v)).transpose()
    };
    let mut notes = vec![format!("from GPU feature discovery labels: nvidia.com/gpu.product={product}")];
    if shared {
        notes.push("the product ends in -SHARED: the device plugin shares these GPUs (time-slicing or MPS)".into());
    }
    let reported = count("nvidia.com/gpu.count")?;
    let (gpus, layout) = match (&m.mig, single) {
        (None, _) => (reported.or(count("nvidia.com/gpu")?), None),
        (Some(g), Some(profile)) => single_strategy(g, labels, profile, reported)?,
        (Some(g), None) => {
            let gpus = reported.or(count("nvidia.com/gpu")?);
            (gpus, mixed_layout(g, labels, allocatable, gpus.unwrap_or(0), &mut notes)?)
        }
    };
    let gpus = match gpus {
        Some(n) if (1..=MAX_GPUS).contains(&n) => n,
        Some(n) => return Err(format!("nvidia.com/gpu.count is {n}; expected 1 to {MAX_GPUS}")),
        None => return Err("no nvidia.com/gpu.count label and no allocatable nvidia.com/gpu".into()),
    };
    for key in ["nvidia.com/mig.strategy", "nvidia.com/mig.config", "nvidia.com/mig.config.state"] {
        if let Some(v) = labels.get(key) {
            notes.push(format!("{key}={v}"));
        }
    }
    if labels.get("nvidia.com/mig.config.state").is_some_and(|s| s == "failed") {
        notes.push("the MIG manager failed to apply nvidia.com/mig.config: the layout is what exists".into());
    }
    if let Some(memory) = labels.get("nvidia.com/gpu.memory").filter(|v| v.parse::<u64>().ok() != Some(m.memory.0)) {
        notes.push(format!("nvidia.com/gpu.memory={memory} MiB, the catalog says {} MiB for {}", m.memory.0, m.key));
    }
    let (mode, why) = reconfiguration(m, labels, false, layout.is_some());
    notes.push(why);
    if !allocatable_gpus.is_empty() {
        notes.push(format!("allocatable: {}", allocatable_gpus.join(", ")));
    }
    let gpus = (0..gpus)
        .map(|index| Gpu {
            id: GpuId { node: name.to_string(), index },
            model: m.key.clone(),
            uuid: None,
            reconfiguration: mode,
            layout: layout.clone(),
        })
        .collect();
    Ok(Some(Found { node: model::Node { name: name.to_string(), gpus }, notes }))
}

fn number(key: &str, v: &str) -> Result<u32, String> {
    v.parse().map_err(|_| format!("{key}: {v:?} is not a count"))
}

/// `single` strategy with MIG on: GFD counts MIG devices, not GPUs, and every GPU has the same layout, which
/// only a well-known `nvidia.com/mig.config` (`all-1g.10gb`) tells.
fn single_strategy(
    g: &MigGeometry,
    labels: &Labels,
    profile: &str,
    instances: Option<u32>,
) -> Result<(Option<u32>, Option<Layout>), String> {
    let config = labels.get("nvidia.com/mig.config").map(String::as_str).unwrap_or("");
    let layout = g
        .layout_named(config)
        .filter(|l| !l.is_empty() && l.placements().iter().all(|p| g.profile(p.profile).name == profile))
        .ok_or_else(|| {
            format!(
                "mig.strategy single with {profile} instances, but nvidia.com/mig.config {config:?} does not say \
                 how many each GPU holds"
            )
        })?;
    let per_gpu = layout.len() as u32;
    let instances = instances.ok_or("no nvidia.com/gpu.count label")?;
    if instances % per_gpu != 0 {
        return Err(format!("{instances} {profile} instances do not split into {config} GPUs of {per_gpu} each"));
    }
    Ok((Some(instances / per_gpu), Some(layout)))
}

/// `mixed` strategy (or none): the per-profile counts split evenly over `gpus`, placed as
/// `nvidia.com/mig.config` names them when its counts match, else at the first starts that fit. `None`: MIG
/// off.
fn mixed_layout(
    g: &MigGeometry,
    labels: &Labels,
    allocatable: &Labels,
    gpus: u32,
    notes: &mut Vec<String>,
) -> Result<Option<Layout>, String> {
    let mut total: BTreeMap<ProfileIdx, u32> = BTreeMap::new();
    for i in g.indices() {
        let resource = format!("nvidia.com/mig-{}", g.profile(i).name.replace('+', "."));
        let label = format!("{resource}.count");
        let n = match labels.get(&label) {
            Some(v) => number(&label, v)?,
            None => allocatable.get(&resource).map(|v| number(&resource, v)).transpose()?.unwrap_or(0),
        };
        if n > 0 {
            total.insert(i, n);
        }
    }
    let config = labels.get("nvidia.com/mig.config").map(String::as_str);
    if total.is_empty() {
        return Ok((config == Some("all-enabled")).then(Layout::default));
    }
    if gpus == 0 {
        return Err("MIG instances are labelled but the node's GPU count is not".into());
    }
    let mut per_gpu = BTreeMap::new();
    for (&i, &n) in &total {
        let p = g.profile(i);
        if n % gpus != 0 || n / gpus > p.max {
            return Err(format!("{n} {} instances do not split evenly over {gpus} GPUs within {} each", p.name, p.max));
        }
        per_gpu.insert(i, n / gpus);
    }
    let by_name: BTreeMap<String, u32> = per_gpu.iter().map(|(i, n)| (g.profile(*i).name.clone(), *n)).collect();
    let named = config.and_then(|c| g.layout_named(c)).filter(|l| g.counts(l) == by_name);
    let layout = match named {
        Some(l) => l,
        None => g.place_counts(&per_gpu).ok_or_else(|| {
            let wanted: Vec<String> = per_gpu.iter().map(|(i, n)| format!("{n}×{}", g.profile(*i).name)).collect();
            format!("no valid layout holds {} on one GPU", wanted.join(" + "))
        })?,
    };
    if gpus > 1 {
        notes.push(format!(
            "the nvidia.com/mig-<profile>.count labels count the node's {gpus} GPUs together; each is taken to hold {}",
            g.config_name(&layout)
        ));
    }
    Ok(Some(layout))
}
