//! Shapes: the bookable kinds of device, `MODEL/PROFILE` or `MODEL/full`, each with the attributes and
//! capacities the NVIDIA DRA driver publishes for such a device.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::catalog::{Catalog, GpuModel, ModelKey, ProfileIdx};
use crate::units::{MiB, Slices};

/// The DRA driver name and attribute domain of NVIDIA GPUs.
pub const DRIVER: &str = "gpu.nvidia.com";

/// `MODEL/PROFILE` (such as `H100-80GB/1g.10gb`) or `MODEL/full`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShapeKey {
    pub model: ModelKey,
    /// `None` for the whole GPU.
    pub profile: Option<String>,
}

impl ShapeKey {
    pub fn whole(model: &ModelKey) -> ShapeKey {
        ShapeKey { model: model.clone(), profile: None }
    }

    pub fn mig(model: &ModelKey, profile: &str) -> ShapeKey {
        ShapeKey { model: model.clone(), profile: Some(profile.into()) }
    }
}

impl fmt::Display for ShapeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.model, self.profile.as_deref().unwrap_or("full"))
    }
}

impl FromStr for ShapeKey {
    type Err = String;

    fn from_str(s: &str) -> Result<ShapeKey, String> {
        let (model, profile) = s.split_once('/').ok_or_else(|| format!("{s:?} is not MODEL/PROFILE or MODEL/full"))?;
        if model.is_empty() || profile.is_empty() {
            return Err(format!("{s:?} is not MODEL/PROFILE or MODEL/full"));
        }
        let model = ModelKey(model.into());
        Ok(if profile == "full" { ShapeKey::whole(&model) } else { ShapeKey::mig(&model, profile) })
    }
}

/// A whole GPU or one MIG profile of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShapeKind {
    Whole,
    Mig(ProfileIdx),
}

/// A typed DRA device attribute value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    Bool(bool),
    /// A semantic version such as `9.0.0`.
    Version(String),
}

/// What a DRA CEL selector sees of a device: `device.driver`, `device.attributes[domain][name]` and
/// `device.capacity[domain][name]` (capacities are quantities, kept here as plain integers: bytes for memory).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceView {
    pub driver: String,
    pub attributes: BTreeMap<String, BTreeMap<String, AttrValue>>,
    pub capacity: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One bookable kind of device.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub key: ShapeKey,
    pub kind: ShapeKind,
    /// Memory-slice units it takes of its GPU (the whole unit count for a whole GPU).
    pub slices: Slices,
    /// Units of one whole GPU of this model.
    pub units: u32,
    pub memory: MiB,
    pub device: DeviceView,
}

impl Shape {
    /// The shape's share of its GPU, for display and for "cheapest shape first".
    pub fn gpu_fraction(&self) -> f64 {
        self.slices.as_gpus(self.units)
    }

    /// The shape of `model` named by `profile` (`None` = whole GPU), if the model has that profile.
    pub fn of(model: &GpuModel, profile: Option<&str>) -> Option<Shape> {
        match profile {
            None => Some(whole_shape(model)),
            Some(name) => {
                let geometry = model.mig.as_ref()?;
                geometry.find(name).map(|idx| mig_shape(model, idx))
            }
        }
    }
}

fn base_attributes(model: &GpuModel, kind: &str) -> BTreeMap<String, AttrValue> {
    let mut a = BTreeMap::new();
    a.insert("type".into(), AttrValue::Str(kind.into()));
    a.insert("productName".into(), AttrValue::Str(model.product_name.clone()));
    a.insert("brand".into(), AttrValue::Str(model.brand.clone()));
    a.insert("architecture".into(), AttrValue::Str(model.architecture.clone()));
    a.insert("cudaComputeCapability".into(), AttrValue::Version(format!("{}.0", model.cuda_compute_capability)));
    a
}

fn view(attributes: BTreeMap<String, AttrValue>, capacity: BTreeMap<String, u64>) -> DeviceView {
    DeviceView {
        driver: DRIVER.into(),
        attributes: BTreeMap::from([(DRIVER.to_string(), attributes)]),
        capacity: BTreeMap::from([(DRIVER.to_string(), capacity)]),
    }
}

fn whole_shape(model: &GpuModel) -> Shape {
    // The driver publishes only `memory` as capacity of a full GPU (deviceinfo.go, GpuInfo.GetDevice).
    let capacity = BTreeMap::from([("memory".to_string(), model.memory.bytes())]);
    Shape {
        key: ShapeKey::whole(&model.key),
        kind: ShapeKind::Whole,
        slices: model.whole(),
        units: model.units(),
        memory: model.memory,
        device: view(base_attributes(model, "gpu"), capacity),
    }
}

fn mig_shape(model: &GpuModel, idx: ProfileIdx) -> Shape {
    let geometry = model.mig.as_ref().expect("a MIG shape is built only for a MIG model");
    let p = geometry.profile(idx);
    let mut attributes = base_attributes(model, "mig");
    attributes.insert("profile".into(), AttrValue::Str(p.name.clone()));
    // Capacities as in MigDeviceInfo.GetDevice; a figure missing from our tables is left out rather than
    // guessed, so a selector on it fails for this shape the way it would on a device without it.
    let mut capacity = BTreeMap::from([("memory".to_string(), p.memory.bytes())]);
    for (name, value) in [
        ("multiprocessors", p.multiprocessors),
        ("copyEngines", p.copy_engines),
        ("decoders", p.decoders),
        ("encoders", p.encoders),
        ("jpegEngines", p.jpeg_engines),
        ("ofaEngines", p.ofa_engines),
    ] {
        if let Some(v) = value {
            capacity.insert(name.into(), u64::from(v));
        }
    }
    Shape {
        key: ShapeKey::mig(&model.key, &p.name),
        kind: ShapeKind::Mig(idx),
        slices: Slices(p.size),
        units: geometry.units,
        memory: p.memory,
        device: view(attributes, capacity),
    }
}

impl Catalog {
    /// Every shape of every model: the whole GPU, then each MIG profile.
    pub fn shapes(&self) -> Vec<Shape> {
        let mut out = Vec::new();
        for model in self.models() {
            out.push(whole_shape(model));
            if let Some(g) = &model.mig {
                out.extend(g.indices().map(|idx| mig_shape(model, idx)));
            }
        }
        out
    }

    /// The shape named by `key`, or why there is none.
    pub fn shape(&self, key: &ShapeKey) -> Result<Shape, String> {
        let model = self.get(key.model.as_str()).ok_or_else(|| format!("unknown GPU model {:?}", key.model.0))?;
        match &key.profile {
            Some(_) if model.mig.is_none() => {
                Err(format!("{} has no MIG profiles; book {}/full", model.key, model.key))
            }
            profile => Shape::of(model, profile.as_deref())
                .ok_or_else(|| format!("{} has no MIG profile {:?}", model.key, profile.as_deref().unwrap_or(""))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_keys_round_trip() {
        for s in ["H100-80GB/1g.10gb", "H100-80GB/full", "RTX-PRO-6000-Blackwell-96GB/1g.24gb+me.all"] {
            assert_eq!(s.parse::<ShapeKey>().unwrap().to_string(), s);
        }
        assert!("H100-80GB".parse::<ShapeKey>().is_err());
        assert!("/full".parse::<ShapeKey>().is_err());
    }

    #[test]
    fn shapes_carry_the_dra_driver_attributes() {
        let catalog = Catalog::builtin();
        let s = catalog.shape(&"H200-141GB/2g.35gb".parse().unwrap()).unwrap();
        assert_eq!(s.slices, Slices(2));
        assert_eq!(s.gpu_fraction(), 0.25);
        let attrs = &s.device.attributes[DRIVER];
        assert_eq!(attrs["type"], AttrValue::Str("mig".into()));
        assert_eq!(attrs["profile"], AttrValue::Str("2g.35gb".into()));
        assert_eq!(attrs["architecture"], AttrValue::Str("Hopper".into()));
        assert_eq!(attrs["cudaComputeCapability"], AttrValue::Version("9.0.0".into()));
        let cap = &s.device.capacity[DRIVER];
        assert_eq!(cap["memory"], 33024 << 20);
        assert_eq!(cap["multiprocessors"], 32);
        let whole = catalog.shape(&"L40S-48GB/full".parse().unwrap()).unwrap();
        assert_eq!(whole.device.attributes[DRIVER]["type"], AttrValue::Str("gpu".into()));
        assert_eq!(whole.units, 1);
        assert!(!whole.device.capacity[DRIVER].contains_key("multiprocessors"));
    }

    #[test]
    fn unknown_shapes_say_why() {
        let catalog = Catalog::builtin();
        assert!(catalog.shape(&"X/full".parse().unwrap()).unwrap_err().contains("unknown GPU model"));
        assert!(catalog.shape(&"L40S-48GB/1g.10gb".parse().unwrap()).unwrap_err().contains("no MIG profiles"));
        assert!(catalog.shape(&"H100-80GB/1g.18gb".parse().unwrap()).unwrap_err().contains("no MIG profile"));
    }
}
