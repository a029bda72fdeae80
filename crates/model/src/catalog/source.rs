//! The catalog file format (JSON or YAML, camelCase) and its validation into [`GpuModel`]s.

use serde::Deserialize;

use super::{CatalogError, Confidence, GpuModel, MigGeometry, MigProfile, ModelKey, Variant};
use crate::units::MiB;

/// Units above this cannot be represented in a layout's bit mask.
const MAX_UNITS: u32 = 32;

/// A catalog file: a list of models.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogSource {
    #[serde(default)]
    pub description: Option<String>,
    pub models: Vec<ModelSource>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ModelSource {
    pub key: String,
    pub product_name: String,
    #[serde(default = "default_brand")]
    pub brand: String,
    pub architecture: String,
    pub cuda_compute_capability: String,
    #[serde(rename = "memoryMiB")]
    pub memory_mib: u64,
    #[serde(default)]
    pub memory_source: Option<String>,
    #[serde(default)]
    pub multiprocessors: Option<u32>,
    #[serde(default = "default_confidence")]
    pub placement_confidence: String,
    #[serde(default)]
    pub pci_device_ids: Vec<String>,
    #[serde(default)]
    pub mig: Option<MigSource>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MigSource {
    pub memory_slices: u32,
    pub compute_slices: u32,
    pub profiles: Vec<ProfileSource>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSource {
    pub name: String,
    pub id: u32,
    pub compute_slices: u32,
    pub size: u32,
    pub starts: Vec<u32>,
    pub max: u32,
    #[serde(rename = "memoryMiB")]
    pub memory_mib: u64,
    #[serde(default)]
    pub memory_source: Option<String>,
    #[serde(default)]
    pub multiprocessors: Option<u32>,
    #[serde(default)]
    pub copy_engines: Option<u32>,
    #[serde(default)]
    pub decoders: Option<u32>,
    #[serde(default)]
    pub encoders: Option<u32>,
    #[serde(default)]
    pub jpeg_engines: Option<u32>,
    #[serde(default)]
    pub ofa_engines: Option<u32>,
}

fn default_brand() -> String {
    "Nvidia".into()
}

fn default_confidence() -> String {
    "unknown".into()
}

impl ModelSource {
    pub(super) fn into_model(self) -> Result<GpuModel, CatalogError> {
        let key = self.key.clone();
        let err = |field: &str, reason: String| CatalogError { model: key.clone(), field: field.into(), reason };
        if key.is_empty() || key.contains('/') || key.chars().any(char::is_whitespace) {
            return Err(err("key", "must be non-empty, without '/' or spaces".into()));
        }
        if self.memory_mib == 0 {
            return Err(err("memoryMiB", "must be positive".into()));
        }
        let placement_confidence = Confidence::parse(&self.placement_confidence).ok_or_else(|| {
            err(
                "placementConfidence",
                format!(
                    "{:?} is not one of documented, documented-family, observed, inferred, unknown",
                    self.placement_confidence
                ),
            )
        })?;
        if !is_version(&self.cuda_compute_capability) {
            return Err(err("cudaComputeCapability", "must be major.minor, such as 9.0".into()));
        }
        let mig = self.mig.map(|m| m.into_geometry(&key)).transpose()?;
        Ok(GpuModel {
            key: ModelKey(self.key),
            product_name: self.product_name,
            brand: self.brand,
            architecture: self.architecture,
            cuda_compute_capability: self.cuda_compute_capability,
            memory: MiB(self.memory_mib),
            multiprocessors: self.multiprocessors,
            placement_confidence,
            pci_device_ids: self.pci_device_ids,
            mig,
            notes: self.notes,
        })
    }
}

fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

impl MigSource {
    fn into_geometry(self, key: &str) -> Result<MigGeometry, CatalogError> {
        let err = |field: String, reason: String| CatalogError { model: key.into(), field, reason };
        if self.memory_slices == 0 || self.memory_slices > MAX_UNITS {
            return Err(err("mig.memorySlices".into(), format!("must be between 1 and {MAX_UNITS}")));
        }
        if self.compute_slices == 0 {
            return Err(err("mig.computeSlices".into(), "must be positive".into()));
        }
        if self.profiles.is_empty() || self.profiles.len() > usize::from(u8::MAX) {
            return Err(err("mig.profiles".into(), "must list between 1 and 255 profiles".into()));
        }
        let mut profiles = Vec::with_capacity(self.profiles.len());
        for (i, p) in self.profiles.into_iter().enumerate() {
            let field = |f: &str| format!("mig.profiles[{i}].{f}");
            if profiles.iter().any(|q: &MigProfile| q.name == p.name) {
                return Err(err(field("name"), format!("{:?} appears twice", p.name)));
            }
            if p.size == 0 || p.size > self.memory_slices {
                return Err(err(field("size"), format!("must be between 1 and {}", self.memory_slices)));
            }
            if p.compute_slices == 0 || p.compute_slices > self.compute_slices {
                return Err(err(field("computeSlices"), format!("must be between 1 and {}", self.compute_slices)));
            }
            if p.starts.is_empty() {
                return Err(err(field("starts"), "must list at least one start".into()));
            }
            if let Some(s) = p.starts.iter().find(|&&s| s + p.size > self.memory_slices) {
                return Err(err(
                    field("starts"),
                    format!("start {s} + size {} runs past the {} units of the GPU", p.size, self.memory_slices),
                ));
            }
            if p.max == 0 {
                return Err(err(field("max"), "must be positive".into()));
            }
            let mut starts = p.starts;
            starts.sort_unstable();
            starts.dedup();
            profiles.push(MigProfile {
                variant: Variant::of(&p.name),
                name: p.name,
                id: p.id,
                compute_slices: p.compute_slices,
                size: p.size,
                starts,
                max: p.max,
                memory: MiB(p.memory_mib),
                memory_estimated: p.memory_source.as_deref() == Some("estimated"),
                multiprocessors: p.multiprocessors,
                copy_engines: p.copy_engines,
                decoders: p.decoders,
                encoders: p.encoders,
                jpeg_engines: p.jpeg_engines,
                ofa_engines: p.ofa_engines,
            });
        }
        Ok(MigGeometry { units: self.memory_slices, compute_slices: self.compute_slices, profiles })
    }
}
