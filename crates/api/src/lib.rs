//! gpubook's wire types: the JSON the REST API and CLI speak, and the YAML manifests `gpubook apply` reads.
//!
//! This is the only crate that serialises for the outside world; domain types in `model` are not
//! `Serialize`. Conversions between the two live here.

pub mod demo;
pub mod deploy;
pub mod duration;
pub mod fit;
pub mod manifest;
pub mod record;
pub mod rest;
pub mod usage;
pub mod views;

pub use manifest::{Document, ManifestError, parse_manifests, resolve};
