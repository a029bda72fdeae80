//! Stable names and the labels that mark objects as gpubook's: the same state always renders the same
//! names, so server-side apply updates objects in place and a GitOps diff shows only real changes.

use model::{Booking, BookingId, ModelKey, ShapeKey};
use serde_json::{Map, Value, json};

use crate::object::Kind;

pub(crate) const PREFIX: &str = "gpubook";
/// The label every owned object carries; the reconciler lists by it to find what to delete.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "gpubook");
pub const BOOKING_LABEL: &str = "gpubook.io/booking";
pub const PROJECT_LABEL: &str = "gpubook.io/project";
/// The root of gpubook's Kueue cohort tree, where the shared ClusterQueue lives.
pub(crate) const ROOT_COHORT: &str = "gpubook";
pub(crate) const SHARED_QUEUE: &str = "gpubook-shared";
/// The ResourceFlavor, without node labels, that queues count cpu and memory in.
pub(crate) const COMPANION_FLAVOR: &str = "gpubook-default";
pub(crate) const MIG_CONFIG_MAP: &str = "gpubook-mig-parted-config";
pub(crate) const MIG_CONFIG_LABEL: &str = "nvidia.com/mig.config";
pub(crate) const NS_LABEL: &str = "kubernetes.io/metadata.name";

/// Lower case, `[a-z0-9-]` only, at most 63 characters, starting and ending alphanumeric.
pub(crate) fn dns_label(s: &str) -> String {
    let mapped: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let cut: String = mapped.chars().take(63).collect();
    cut.trim_matches('-').to_string()
}

pub(crate) fn booking(id: BookingId) -> String {
    id.object_name()
}

/// The Event that warns of a booking's end: `gpubook-b17-ending`.
pub fn ending_event(id: BookingId) -> String {
    format!("{}-ending", id.object_name())
}

/// How bookings map to Kueue queues (`gpubook serve --k8s-queues`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueMode {
    /// A ClusterQueue and LocalQueue per booking: isolation between bookings, objects grow with them.
    #[default]
    PerBooking,
    /// A ClusterQueue and LocalQueue per project and booking mode, whose quota is the sum of the project's
    /// active bookings of that mode: objects grow with projects, not bookings.
    PerProject,
}

impl QueueMode {
    pub const NAMES: &'static str = "per-booking, per-project";

    pub fn parse(s: &str) -> Option<QueueMode> {
        match s {
            "per-booking" => Some(QueueMode::PerBooking),
            "per-project" => Some(QueueMode::PerProject),
            _ => None,
        }
    }
}

/// The LocalQueue (and ClusterQueue) a booking's workloads go to: `gpubook-b17`, or per project
/// `gpubook-<project>-reserved` / `gpubook-<project>-opportunistic`.
pub fn local_queue(b: &Booking, mode: QueueMode) -> String {
    match mode {
        QueueMode::PerBooking => booking(b.id),
        QueueMode::PerProject => project_queue(&b.request.project, b.request.mode),
    }
}

/// The queue of a project's bookings of one mode, in per-project mode.
pub fn project_queue(project: &str, mode: model::Mode) -> String {
    let suffix = format!("-{}", mode.as_str());
    let stem: String = dns_label(project).chars().take(63 - PREFIX.len() - 1 - suffix.len()).collect();
    format!("{PREFIX}-{}{suffix}", stem.trim_end_matches('-'))
}

/// A shape as a DNS label: `h100-80gb-3g-40gb`, `l40s-48gb-full`.
pub fn shape_label(shape: &ShapeKey) -> String {
    dns_label(&shape.to_string())
}

/// The ResourceClaimTemplate of a project's devices of one shape, in per-project mode:
/// `gpubook-<project>-<shape>`, such as `gpubook-team-a-h100-80gb-3g-40gb`. One device of the shape's
/// quota-resource class; a pod that needs several lists one claim from it per device.
pub fn project_claim_template(project: &str, shape: &ShapeKey) -> String {
    bounded(&format!("{PREFIX}-{}-{}", dns_label(project), shape_label(shape)))
}

/// The HardwareProfile of a project's bookings of one mode and shape, in per-project mode: its queue's name
/// and the shape, such as `gpubook-team-a-reserved-h100-80gb-3g-40gb`.
pub fn project_hardware_profile(project: &str, mode: model::Mode, shape: &ShapeKey) -> String {
    bounded(&format!("{PREFIX}-{}-{}-{}", dns_label(project), mode.as_str(), shape_label(shape)))
}

/// `name` when it is a DNS label of at most 63 characters; a longer one is cut to 54 and ended with 8 hex
/// digits of a hash of the whole, so two names that differ only past the cut stay different.
pub(crate) fn bounded(name: &str) -> String {
    if name.len() <= 63 {
        return name.to_string();
    }
    let hash = fnv1a(name.as_bytes()) as u32;
    let cut: String = name.chars().take(54).collect();
    format!("{}-{hash:08x}", cut.trim_end_matches('-'))
}

/// FNV-1a, 64 bits: a stable content hash (std's hashers may change between releases).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The objects a booking's workloads name, in the server's queue mode: what the API's
/// `kubernetes: {local_queue, resource_claim_template, hardware_profile}` says and the deploy manifests use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingObjects {
    pub local_queue: String,
    pub claim_template: String,
    pub hardware_profile: String,
}

/// Per booking, all three are `gpubook-b17`. Per project, the project's queue of the booking's mode and
/// the project's objects of the booking's shape (of its first device, for a booking that holds several
/// shapes: each shape has its own).
pub fn booking_objects(b: &Booking, mode: QueueMode) -> BookingObjects {
    let (claim_template, hardware_profile) = match (mode, b.devices.first()) {
        (QueueMode::PerProject, Some(d)) => (
            project_claim_template(&b.request.project, &d.shape),
            project_hardware_profile(&b.request.project, b.request.mode, &d.shape),
        ),
        _ => (booking(b.id), booking(b.id)),
    };
    BookingObjects { local_queue: local_queue(b, mode), claim_template, hardware_profile }
}

/// The most booking ids a `gpubook.io/bookings` annotation lists: an object's annotations may take 256 KiB
/// in all, and a project may have tens of thousands of live bookings.
pub(crate) const LISTED_BOOKINGS: usize = 100;

/// `b1,b4,b9`, or past [`LISTED_BOOKINGS`] the first of them and how many more: `b1,…,b100 (+4321 more)`.
pub(crate) fn booking_list(ids: &[String]) -> String {
    let shown = ids[..ids.len().min(LISTED_BOOKINGS)].join(",");
    match ids.len().checked_sub(LISTED_BOOKINGS) {
        Some(more) if more > 0 => format!("{shown} (+{more} more)"),
        _ => shown,
    }
}

/// The annotations that carry a booking's window on its objects (and on the deploy manifests).
pub(crate) fn window_annotations(b: &Booking) -> Map<String, Value> {
    let w = b.window();
    let mut m = Map::new();
    m.insert("gpubook.io/window-start".into(), w.start.to_string().into());
    m.insert("gpubook.io/window-end".into(), w.end.to_string().into());
    m
}

/// The `nvidia.com/gpu.product` label of a GPU model's nodes (GPU Feature Discovery's, spaces as dashes).
pub(crate) fn product(m: &model::GpuModel) -> String {
    m.product_name.replace(' ', "-")
}

pub(crate) fn flavor(model: &ModelKey) -> String {
    format!("{PREFIX}-{}", dns_label(model.as_str()))
}

pub(crate) fn cohort(name: Option<&str>) -> String {
    name.map_or_else(|| ROOT_COHORT.to_string(), |c| format!("{PREFIX}-{c}"))
}

pub(crate) fn size_class(size: &str) -> String {
    format!("{PREFIX}-{size}")
}

pub(crate) fn priority_class(p: i32) -> String {
    if p < 0 { format!("{PREFIX}-priority-minus-{}", p.unsigned_abs()) } else { format!("{PREFIX}-priority-{p}") }
}

/// The DeviceClass of a quota resource: `mig-1g.10gb.gpubook.io`, `gpu.gpubook.io`.
pub(crate) fn resource_class(shape: &ShapeKey) -> String {
    let resource = resource(shape);
    format!("{}.gpubook.io", resource.trim_start_matches("nvidia.com/"))
}

/// The extended resource the NVIDIA device plugin advertises for a shape under the `mixed` MIG strategy.
pub(crate) fn resource(shape: &ShapeKey) -> String {
    match &shape.profile {
        Some(p) => format!("nvidia.com/mig-{}", p.replace('+', ".")),
        None => "nvidia.com/gpu".to_string(),
    }
}

/// `metadata` of an owned object, with the booking's labels and window when it belongs to one.
pub(crate) fn meta(name: &str, namespace: Option<&str>, booking: Option<&Booking>) -> Value {
    let mut labels = Map::new();
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    if let Some(b) = booking {
        labels.insert(BOOKING_LABEL.into(), b.id.to_string().into());
        labels.insert(PROJECT_LABEL.into(), dns_label(&b.request.project).into());
    }
    let mut m = json!({ "name": name, "labels": labels });
    if let Some(ns) = namespace {
        m["namespace"] = ns.into();
    }
    if let Some(b) = booking {
        m["annotations"] = Value::Object(window_annotations(b));
    }
    m
}

/// A whole manifest: `apiVersion`, `kind`, `metadata`, then the fields of `rest`.
pub(crate) fn manifest(kind: Kind, metadata: Value, rest: Value) -> Value {
    let mut body = json!({ "apiVersion": kind.api_version(), "kind": kind.name(), "metadata": metadata });
    if let (Some(b), Value::Object(r)) = (body.as_object_mut(), rest) {
        b.extend(r);
    }
    body
}

/// A CEL string literal.
pub(crate) fn cel_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(dns_label("RTX-PRO-6000-Blackwell-96GB"), "rtx-pro-6000-blackwell-96gb");
        assert_eq!(dns_label("-A_b.c-"), "a-b-c");
        assert_eq!(dns_label(&"x".repeat(80)).len(), 63);
        assert_eq!(priority_class(-3), "gpubook-priority-minus-3");
        assert_eq!(resource(&ShapeKey::mig(&ModelKey("H100-80GB".into()), "1g.10gb+me")), "nvidia.com/mig-1g.10gb.me");
        assert_eq!(cel_str("it's"), r"'it\'s'");
        assert_eq!(resource_class(&ShapeKey::whole(&ModelKey("L4-24GB".into()))), "gpu.gpubook.io");
        assert_eq!(project_queue("Team_A", model::Mode::Opportunistic), "gpubook-team-a-opportunistic");
        let long = project_queue(&"p".repeat(80), model::Mode::Reserved);
        assert!(long.len() <= 63 && long.ends_with("-reserved"), "{long}");
        assert_eq!(QueueMode::parse("per-project"), Some(QueueMode::PerProject));
        assert_eq!(QueueMode::parse("per-shape"), None);
        let h100 = ModelKey("H100-80GB".into());
        let slice = ShapeKey::mig(&h100, "3g.40gb");
        assert_eq!(project_claim_template("team-a", &slice), "gpubook-team-a-h100-80gb-3g-40gb");
        assert_eq!(project_claim_template("team-a", &ShapeKey::whole(&h100)), "gpubook-team-a-h100-80gb-full");
        assert_eq!(
            project_hardware_profile("team-a", model::Mode::Opportunistic, &slice),
            "gpubook-team-a-opportunistic-h100-80gb-3g-40gb"
        );
        // Project names are DNS labels of at most 63 characters; these two differ past the cut.
        let (a, b) = (format!("{}-a", "p".repeat(60)), format!("{}-b", "p".repeat(60)));
        let (ta, tb) = (project_claim_template(&a, &slice), project_claim_template(&b, &slice));
        assert!(ta.len() <= 63 && tb.len() <= 63 && ta != tb, "{ta} {tb}");
        assert!(ta.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{ta}");
        let ids: Vec<String> = (1..=102).map(|i| format!("b{i}")).collect();
        assert_eq!(booking_list(&ids[..2]), "b1,b2");
        assert_eq!(booking_list(&ids[..100]).split(',').count(), 100);
        assert!(booking_list(&ids).ends_with(",b100 (+2 more)"), "{}", booking_list(&ids));
        let hp = project_hardware_profile(&a, model::Mode::Reserved, &slice);
        assert!(hp.len() <= 63 && hp != project_hardware_profile(&b, model::Mode::Reserved, &slice), "{hp}");
    }
}
