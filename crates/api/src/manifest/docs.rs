//! The shape of each manifest kind, as serde reads it.

use serde::{Deserialize, Serialize};

use super::API_VERSION;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeDoc {
    /// An RFC 1123 subdomain.
    #[schema(
        min_length = 1,
        max_length = 253,
        pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
    )]
    pub name: String,
    #[serde(default)]
    pub gpus: Vec<GpuGroupDoc>,
}

/// Some GPUs of one model on a node: `count` of them (indices following the previous group), or the
/// `devices` listed with their index and UUID.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GpuGroupDoc {
    /// A catalog key such as `H100-80GB`.
    #[schema(min_length = 1)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1024)]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<DeviceDoc>>,
    /// `dynamic`, `per-gpu` (the default for MIG GPUs) or `static`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ReconfigurationName>)]
    pub reconfiguration: Option<String>,
    /// The MIG instances that exist now; absent: MIG off, the GPU is used whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayoutDoc>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceDoc {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// A layout as a well-known name (`all-balanced`, `all-1g.10gb`), as `profile@start` items
/// (`"4g.40gb@0 3g.40gb@4"`), or as a list of `{profile, start}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LayoutDoc {
    Text(String),
    List(Vec<InstanceDoc>),
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceDoc {
    #[schema(min_length = 1)]
    pub profile: String,
    pub start: u32,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SizeDoc {
    /// An RFC 1123 subdomain.
    #[schema(
        min_length = 1,
        max_length = 253,
        pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A CEL expression over `device`, as in a DRA DeviceClass.
    #[schema(min_length = 1)]
    pub selector: String,
    /// What each booked device brings besides itself, such as `{cpu: "8", memory: 64Gi}`; absent: 8 cpu
    /// and 64Gi per whole GPU, scaled to the shape's share of its GPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowance: Option<AllowanceDoc>,
}

/// Companion resources per device, as Kubernetes quantities.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowanceDoc {
    /// Cores, such as `8` or `500m`; at most 1024.
    pub cpu: QuantityDoc,
    /// Bytes, such as `64Gi`; at most 16Ti.
    pub memory: QuantityDoc,
    /// Bytes, such as `100Gi`; when set, queues cover `ephemeral-storage` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<QuantityDoc>,
}

/// A Kubernetes quantity, written as a string (`"500m"`, `64Gi`) or a plain number.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum QuantityDoc {
    Number(f64),
    Text(String),
}

impl QuantityDoc {
    pub fn text(&self) -> String {
        match self {
            QuantityDoc::Number(n) => n.to_string(),
            QuantityDoc::Text(t) => t.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CohortDoc {
    /// An RFC 1123 label.
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub name: String,
    /// Another cohort's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub parent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProjectDoc {
    /// An RFC 1123 label (it names a Kubernetes namespace by default).
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub name: String,
    /// Defaults to the project name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub namespace: Option<String>,
    /// A cohort's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub cohort: Option<String>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub quota: Vec<QuotaDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsDoc>,
}

/// GPU units of one model: `1` is a whole GPU, `0.25` two slices of an 8-slice GPU.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QuotaDoc {
    #[schema(min_length = 1)]
    pub model: String,
    #[schema(minimum = 0)]
    pub nominal: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrowing_limit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lending_limit: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitsDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_devices: Option<u32>,
    /// Longest booking, such as `8h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
    /// How far ahead a booking may start, such as `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ahead: Option<String>,
}

/// Prices (`kind: PriceList`): at most one is declared; it prices every booking (docs/metering.md).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PriceListDoc {
    /// An RFC 1123 label.
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub name: String,
    /// An ISO 4217 code: three capital letters, such as `EUR`; it cannot change once applied.
    #[schema(min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// `memory` (default) or `compute`: a MIG slice costs its share of the GPU's memory (compute) slices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SliceBasisName>)]
    pub slice_basis: Option<String>,
    /// What an opportunistic booking pays of the rate, from 0 to 10 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10)]
    pub opportunistic_factor: Option<f64>,
    /// At most 1,000 rates.
    #[serde(default)]
    pub rates: Vec<RateDoc>,
    /// At most 1,000 discounts, one per project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<DiscountDoc>,
}

/// The price of one whole GPU of a model per hour, from `effectiveFrom` on (or since always).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateDoc {
    /// A catalog key such as `H100-80GB`.
    #[schema(min_length = 1)]
    pub model: String,
    /// At least 0 and at most 1,000,000, with at most nine decimals.
    #[schema(minimum = 0, maximum = 1000000)]
    pub gpu_hour: f64,
    /// RFC 3339, such as `2026-04-01T00:00:00Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub effective_from: Option<String>,
}

/// A project's discount, in percent of its cost.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiscountDoc {
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub project: String,
    #[schema(minimum = 0, maximum = 100)]
    pub percent: f64,
}

/// How a MIG slice is priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SliceBasisName {
    Memory,
    Compute,
}

/// How a GPU's MIG layout may change: `dynamic` (per booking, DRA), `per-gpu` (the whole GPU between
/// busy epochs, mig-parted) or `static` (never).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ReconfigurationName {
    Dynamic,
    PerGpu,
    Static,
}

/// One manifest document.
#[derive(Clone, Debug, PartialEq)]
pub enum Document {
    Node(NodeDoc),
    Size(SizeDoc),
    Cohort(CohortDoc),
    Project(ProjectDoc),
    PriceList(PriceListDoc),
}

impl Document {
    pub fn kind(&self) -> &'static str {
        match self {
            Document::Node(_) => "Node",
            Document::Size(_) => "Size",
            Document::Cohort(_) => "Cohort",
            Document::Project(_) => "Project",
            Document::PriceList(_) => "PriceList",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Document::Node(d) => &d.name,
            Document::Size(d) => &d.name,
            Document::Cohort(d) => &d.name,
            Document::Project(d) => &d.name,
            Document::PriceList(d) => &d.name,
        }
    }
}

fn typed<T: for<'de> Deserialize<'de>>(value: serde_yaml::Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        (field, e.into_inner().to_string())
    })
}

/// Reads `apiVersion` and `kind`, then the body of that kind.
pub(super) fn parse_document(value: serde_yaml::Value) -> Result<Document, (String, String)> {
    let serde_yaml::Value::Mapping(mut map) = value else {
        return Err((String::new(), "a document must be a mapping with a `kind`".into()));
    };
    if let Some(v) = map.remove("apiVersion")
        && v.as_str() != Some(API_VERSION)
    {
        return Err(("apiVersion".into(), format!("must be {API_VERSION} when given")));
    }
    let kind = match map.remove("kind") {
        Some(serde_yaml::Value::String(k)) => k,
        Some(_) => return Err(("kind".into(), "must be a string".into())),
        None => return Err(("kind".into(), "is missing; one of Node, Size, Cohort, Project, PriceList".into())),
    };
    let body = serde_yaml::Value::Mapping(map);
    match kind.as_str() {
        "Node" => typed(body).map(Document::Node),
        "Size" => typed(body).map(Document::Size),
        "Cohort" => typed(body).map(Document::Cohort),
        "Project" => typed(body).map(Document::Project),
        "PriceList" => typed(body).map(Document::PriceList),
        other => Err(("kind".into(), format!("{other:?} is not one of Node, Size, Cohort, Project, PriceList"))),
    }
}

impl Document {
    /// The document as YAML with its `kind` first: what `gpubook apply` reads and the store keeps.
    pub fn to_yaml(&self) -> String {
        let body = match self {
            Document::Node(d) => serde_yaml::to_value(d),
            Document::Size(d) => serde_yaml::to_value(d),
            Document::Cohort(d) => serde_yaml::to_value(d),
            Document::Project(d) => serde_yaml::to_value(d),
            Document::PriceList(d) => serde_yaml::to_value(d),
        };
        let mut map = serde_yaml::Mapping::new();
        map.insert("kind".into(), self.kind().into());
        if let Ok(serde_yaml::Value::Mapping(body)) = body {
            map.extend(body);
        }
        serde_yaml::to_string(&map).unwrap_or_default()
    }
}
