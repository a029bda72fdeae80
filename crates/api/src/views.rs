//! JSON views of the catalog, layouts, shapes, sizes and the fleet, as the REST API and CLI show them.

use serde::{Deserialize, Serialize};

use model::{Catalog, Definitions, GpuModel, Layout, MigGeometry, Shape, Size};

/// One entry of `GET /catalog`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogModel {
    pub model: String,
    /// Memory-slice units of one GPU (1 for a GPU without MIG).
    pub units: u32,
    pub product_name: String,
    pub architecture: String,
    pub memory_gib: f64,
    pub mig: bool,
    pub compute_slices: Option<u32>,
    pub placement_confidence: String,
    pub profiles: Vec<CatalogProfile>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogProfile {
    pub name: String,
    pub id: u32,
    pub compute: u32,
    pub size: u32,
    pub starts: Vec<u32>,
    pub max: u32,
    pub memory_gib: f64,
    /// True when the memory was derived from the profile's share rather than read off `nvidia-smi`.
    pub memory_estimated: bool,
    pub multiprocessors: Option<u32>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl CatalogModel {
    pub fn of(m: &GpuModel) -> CatalogModel {
        let profiles = m.mig.as_ref().map_or_else(Vec::new, |g| {
            g.profiles
                .iter()
                .map(|p| CatalogProfile {
                    name: p.name.clone(),
                    id: p.id,
                    compute: p.compute_slices,
                    size: p.size,
                    starts: p.starts.clone(),
                    max: p.max,
                    memory_gib: round2(p.memory.gib()),
                    memory_estimated: p.memory_estimated,
                    multiprocessors: p.multiprocessors,
                })
                .collect()
        });
        CatalogModel {
            model: m.key.to_string(),
            units: m.units(),
            product_name: m.product_name.clone(),
            architecture: m.architecture.clone(),
            memory_gib: round2(m.memory.gib()),
            mig: m.mig.is_some(),
            compute_slices: m.mig.as_ref().map(|g| g.compute_slices),
            placement_confidence: m.placement_confidence.as_str().into(),
            profiles,
        }
    }

    pub fn all(catalog: &Catalog) -> Vec<CatalogModel> {
        catalog.models().map(CatalogModel::of).collect()
    }
}

/// One GPU instance of a layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Instance {
    pub profile: String,
    pub start: u32,
}

pub fn instances(geometry: &MigGeometry, layout: &Layout) -> Vec<Instance> {
    layout
        .placements()
        .iter()
        .map(|p| Instance { profile: geometry.profile(p.profile).name.clone(), start: p.start })
        .collect()
}

/// `gpubook catalog layouts MODEL -o json`: each maximal layout as a list of `{profile, start}`.
pub fn maximal_layouts(geometry: &MigGeometry) -> Vec<Vec<Instance>> {
    geometry.maximal_layouts().iter().map(|l| instances(geometry, l)).collect()
}

/// A shape with the attributes a DRA selector sees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShapeView {
    pub shape: String,
    pub slices: u32,
    pub units: u32,
    pub gpu_fraction: f64,
    pub memory_gib: f64,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    #[schema(value_type = Object)]
    pub capacity: serde_json::Map<String, serde_json::Value>,
}

impl ShapeView {
    pub fn of(s: &Shape) -> ShapeView {
        let domain = model::shape::DRIVER;
        let attributes = s.device.attributes.get(domain).into_iter().flatten().map(|(k, v)| {
            let v = match v {
                model::AttrValue::Str(s) | model::AttrValue::Version(s) => serde_json::Value::from(s.as_str()),
                model::AttrValue::Int(i) => serde_json::Value::from(*i),
                model::AttrValue::Bool(b) => serde_json::Value::from(*b),
            };
            (format!("{domain}/{k}"), v)
        });
        let capacity = s
            .device
            .capacity
            .get(domain)
            .into_iter()
            .flatten()
            .map(|(k, v)| (format!("{domain}/{k}"), serde_json::Value::from(*v)));
        ShapeView {
            shape: s.key.to_string(),
            slices: s.slices.0,
            units: s.units,
            gpu_fraction: round2(s.gpu_fraction()),
            memory_gib: round2(s.memory.gib()),
            attributes: attributes.collect(),
            capacity: capacity.collect(),
        }
    }
}

/// A size with the shapes it matches, and how many GPUs of the fleet could host each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SizeView {
    pub name: String,
    pub description: Option<String>,
    pub selector: String,
    pub shapes: Vec<SizeShape>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SizeShape {
    pub shape: String,
    pub memory_gib: f64,
    pub gpu_fraction: f64,
    /// GPUs of this model in the fleet.
    pub fleet_gpus: usize,
    /// What one device of this shape brings besides itself (its booking's queue covers it).
    pub allowance: AllowanceView,
}

/// Companion resources as Kubernetes quantities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AllowanceView {
    pub cpu: String,
    pub memory: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<String>,
}

impl AllowanceView {
    pub fn of(a: &model::Allowance) -> AllowanceView {
        AllowanceView { cpu: a.cpu(), memory: a.memory(), ephemeral_storage: a.ephemeral() }
    }
}

impl SizeView {
    pub fn of(size: &Size, catalog: &Catalog, defs: &Definitions, warnings: Vec<String>) -> SizeView {
        let counts = defs.fleet.model_counts();
        let shapes = size
            .shapes
            .iter()
            .filter_map(|k| catalog.shape(k).ok())
            .map(|s| SizeShape {
                shape: s.key.to_string(),
                memory_gib: round2(s.memory.gib()),
                gpu_fraction: round2(s.gpu_fraction()),
                fleet_gpus: counts.get(&s.key.model).copied().unwrap_or(0),
                allowance: AllowanceView::of(
                    &size.allowance.or_else(|| model::Allowance::default_for(catalog, &s.key)).unwrap_or_default(),
                ),
            })
            .collect();
        SizeView {
            name: size.name.clone(),
            description: size.description.clone(),
            selector: size.selector.clone(),
            shapes,
            warnings,
        }
    }
}

/// One GPU of `GET /fleet`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GpuView {
    pub id: String,
    pub node: String,
    pub index: u32,
    pub model: String,
    pub uuid: Option<String>,
    pub reconfiguration: String,
    /// The MIG instances that exist now; `null` when MIG is off.
    pub layout: Option<Vec<Instance>>,
    /// The mig-parted config name of the layout.
    pub layout_name: Option<String>,
}

pub fn fleet(defs: &Definitions, catalog: &Catalog) -> Vec<GpuView> {
    defs.fleet
        .gpus()
        .map(|g| {
            let geometry = catalog.get(g.model.as_str()).and_then(|m| m.mig.as_ref());
            let (layout, layout_name) = match (geometry, &g.layout) {
                (Some(geo), Some(l)) => (Some(instances(geo, l)), Some(geo.config_name(l))),
                _ => (None, None),
            };
            GpuView {
                id: g.id.to_string(),
                node: g.id.node.clone(),
                index: g.id.index,
                model: g.model.to_string(),
                uuid: g.uuid.clone(),
                reconfiguration: g.reconfiguration.as_str().into(),
                layout,
                layout_name,
            }
        })
        .collect()
}

/// Every size of `defs`, each with the warnings that name it.
pub fn sizes(defs: &Definitions, catalog: &Catalog, warnings: &[String]) -> Vec<SizeView> {
    defs.sizes
        .values()
        .map(|s| {
            let w = warnings.iter().filter(|w| w.contains(&format!("(Size {})", s.name))).cloned().collect();
            SizeView::of(s, catalog, defs, w)
        })
        .collect()
}
