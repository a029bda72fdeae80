//! The GPU catalog: every GPU model gpubook knows, with its MIG geometry from NVIDIA's tables.
//!
//! The built-in catalog is data embedded in the binary (`data/catalog.json`); a platform team adds or
//! replaces models with a catalog file of the same format ([`Catalog::merged`]).

mod source;

use std::collections::BTreeMap;
use std::fmt;

use crate::units::{MiB, Slices};

pub use source::{CatalogSource, ModelSource};

/// The embedded catalog, in the format of [`CatalogSource`].
const BUILTIN: &str = include_str!("../data/catalog.json");

/// A catalog key such as `H100-80GB`, as in NVIDIA's geometry tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelKey(pub String);

impl ModelKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for ModelKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// How sure we are of a model's placement table (`placementConfidence` in the geometry data).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// `nvidia-smi mig -lgipp` output printed in NVIDIA documentation.
    Documented,
    /// Documented for a sibling SKU of the same chip with identical profile ids.
    DocumentedFamily,
    /// `-lgipp` output from real hardware in third-party sources.
    Observed,
    /// Same ids, counts and fractions as H100; to be confirmed with NVML.
    Inferred,
    /// Not known; must be discovered from NVML.
    Unknown,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Documented => "documented",
            Confidence::DocumentedFamily => "documented-family",
            Confidence::Observed => "observed",
            Confidence::Inferred => "inferred",
            Confidence::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Confidence> {
        [
            Confidence::Documented,
            Confidence::DocumentedFamily,
            Confidence::Observed,
            Confidence::Inferred,
            Confidence::Unknown,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A GPU model: what NVML and the DRA driver say about it, and its MIG geometry when it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuModel {
    pub key: ModelKey,
    /// NVML device name, published by the DRA driver as `productName`.
    pub product_name: String,
    pub brand: String,
    /// `Ampere`, `Hopper`, `Blackwell`, ...
    pub architecture: String,
    /// `major.minor`, such as `9.0`.
    pub cuda_compute_capability: String,
    /// Whole-GPU memory.
    pub memory: MiB,
    pub multiprocessors: Option<u32>,
    pub placement_confidence: Confidence,
    pub pci_device_ids: Vec<String>,
    pub mig: Option<MigGeometry>,
    pub notes: Vec<String>,
}

impl GpuModel {
    /// Memory-slice units of one whole GPU: the MIG unit count, or 1 for a GPU without MIG.
    pub fn units(&self) -> u32 {
        self.mig.as_ref().map_or(1, |m| m.units)
    }

    pub fn whole(&self) -> Slices {
        Slices(self.units())
    }
}

/// What sets a MIG profile apart from its base profile (the suffix of its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variant {
    /// No suffix: `1g.10gb`, `1g.20gb`, `3g.40gb`.
    Base,
    /// `+me`: with media extensions.
    MediaExtensions,
    /// `+me.all`: all media engines.
    AllMedia,
    /// `-me`: without media engines.
    NoMedia,
    /// `+gfx`: graphics APIs enabled.
    Graphics,
}

impl Variant {
    pub fn of(profile_name: &str) -> Variant {
        if profile_name.ends_with("+me.all") {
            Variant::AllMedia
        } else if profile_name.ends_with("+me") {
            Variant::MediaExtensions
        } else if profile_name.ends_with("-me") {
            Variant::NoMedia
        } else if profile_name.ends_with("+gfx") {
            Variant::Graphics
        } else {
            Variant::Base
        }
    }
}

/// One GPU-instance profile of one GPU model. Names and ids are only unique per model.
#[derive(Clone, Debug, PartialEq)]
pub struct MigProfile {
    pub name: String,
    /// NVML GPU-instance profile id (`nvidia-smi mig -lgip`).
    pub id: u32,
    pub compute_slices: u32,
    /// Memory-slice units the instance occupies.
    pub size: u32,
    /// Allowed start units.
    pub starts: Vec<u32>,
    /// Maximum instances of this profile on one GPU.
    pub max: u32,
    pub memory: MiB,
    /// True when no `nvidia-smi` capture gave the memory and it was derived from the profile's share.
    pub memory_estimated: bool,
    pub multiprocessors: Option<u32>,
    pub copy_engines: Option<u32>,
    pub decoders: Option<u32>,
    pub encoders: Option<u32>,
    pub jpeg_engines: Option<u32>,
    pub ofa_engines: Option<u32>,
    pub variant: Variant,
}

impl MigProfile {
    /// The bit mask of units `[start, start + size)`.
    pub fn mask_at(&self, start: u32) -> u32 {
        let bits = if self.size >= 32 { u32::MAX } else { (1u32 << self.size) - 1 };
        bits << start
    }
}

/// Index of a profile in its model's [`MigGeometry::profiles`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileIdx(pub u8);

/// A model's MIG geometry: unit count and profiles with their placements.
#[derive(Clone, Debug, PartialEq)]
pub struct MigGeometry {
    /// Memory-slice units (4, 8 or 12 on known GPUs; never assume 8).
    pub units: u32,
    pub compute_slices: u32,
    pub profiles: Vec<MigProfile>,
}

impl MigGeometry {
    pub fn profile(&self, idx: ProfileIdx) -> &MigProfile {
        &self.profiles[usize::from(idx.0)]
    }

    pub fn find(&self, name: &str) -> Option<ProfileIdx> {
        self.profiles.iter().position(|p| p.name == name).map(|i| ProfileIdx(i as u8))
    }

    pub fn indices(&self) -> impl Iterator<Item = ProfileIdx> + '_ {
        (0..self.profiles.len()).map(|i| ProfileIdx(i as u8))
    }

    /// Mask with every unit of the GPU set.
    pub fn full_mask(&self) -> u32 {
        if self.units >= 32 { u32::MAX } else { (1u32 << self.units) - 1 }
    }
}

/// A refused catalog entry: which model, which field, and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("catalog model {model:?}: {field}: {reason}")]
pub struct CatalogError {
    pub model: String,
    pub field: String,
    pub reason: String,
}

/// Every GPU model gpubook knows, by key.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    models: BTreeMap<ModelKey, GpuModel>,
}

impl Catalog {
    /// The catalog embedded in the binary.
    pub fn builtin() -> Catalog {
        let source: CatalogSource = serde_json::from_str(BUILTIN).expect("the embedded catalog is valid JSON (tested)");
        Catalog::from_source(source).expect("the embedded catalog is valid (tested)")
    }

    pub fn from_source(source: CatalogSource) -> Result<Catalog, CatalogError> {
        Catalog { models: BTreeMap::new() }.merged(source)
    }

    /// This catalog with the models of `source` added, a model with an existing key replacing it whole.
    pub fn merged(mut self, source: CatalogSource) -> Result<Catalog, CatalogError> {
        let mut seen = std::collections::BTreeSet::new();
        for entry in source.models {
            if !seen.insert(entry.key.clone()) {
                return Err(CatalogError {
                    model: entry.key.clone(),
                    field: "key".into(),
                    reason: "appears twice in the same catalog file".into(),
                });
            }
            let model = entry.into_model()?;
            self.models.insert(model.key.clone(), model);
        }
        Ok(self)
    }

    pub fn get(&self, key: &str) -> Option<&GpuModel> {
        self.models.get(key)
    }

    pub fn models(&self) -> impl Iterator<Item = &GpuModel> {
        self.models.values()
    }

    pub fn keys(&self) -> impl Iterator<Item = &ModelKey> {
        self.models.keys()
    }
}

#[cfg(test)]
mod tests;
