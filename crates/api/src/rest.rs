//! The REST API's request and response bodies (`/api/v1`), with their OpenAPI schemas.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use model::{Booking, Catalog, Instant, Mode, Request, ShapeKey, Slot, Status, Want, Window};

/// `POST /bookings`. Exactly one of `size` and `shape`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    /// A project the caller may book in.
    #[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    pub project: String,
    /// A size name such as `gpu-small`; give `size` or `shape`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 253,
        pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
    )]
    pub size: Option<String>,
    /// An exact shape, `MODEL/PROFILE` or `MODEL/full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 3, pattern = "^[^/]+/.+$")]
    pub shape: Option<String>,
    /// How many devices, at least 1 (default 1).
    #[serde(default = "one")]
    #[schema(minimum = 1, default = 1)]
    pub count: u32,
    /// RFC 3339 instant in whole seconds, aligned to the booking quantum (15 minutes unless the server says
    /// otherwise) and not in the past.
    #[schema(format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    pub start: String,
    /// RFC 3339 instant in whole seconds, after `start` and aligned to the booking quantum.
    #[schema(format = DateTime, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.0+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    pub end: String,
    /// `reserved` (default) or `opportunistic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ModeName>)]
    pub mode: Option<String>,
    /// At most the project's priority unless an admin books (default: the project's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
}

/// How a booking holds its devices: `reserved` within the project's quota (never preempted), or
/// `opportunistic` on borrowed capacity (preempted when its owner reclaims it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModeName {
    Reserved,
    Opportunistic,
}

/// Where a booking is in its life, by the server's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusName {
    Confirmed,
    Active,
    Completed,
    Cancelled,
    Preempted,
}

impl StatusName {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusName::Confirmed => "confirmed",
            StatusName::Active => "active",
            StatusName::Completed => "completed",
            StatusName::Cancelled => "cancelled",
            StatusName::Preempted => "preempted",
        }
    }
}

/// A token's role: `admin` (everything), `project-admin`, `member` or `viewer` of its projects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoleName {
    Admin,
    ProjectAdmin,
    Member,
    Viewer,
}

fn one() -> u32 {
    1
}

/// A request field that cannot be read: which one and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), reason: reason.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Parses an RFC 3339 instant, naming `field` when it is not one. Instants are whole seconds: a fraction
/// of a second (other than zero) is refused, never cut off, so `09:00:00.999Z` cannot pass for `09:00:00Z`.
pub fn parse_instant(field: &str, s: &str) -> Result<Instant, FieldError> {
    let t = s.parse::<jiff::Timestamp>().map_err(|e| {
        FieldError::new(field, format!("{s:?} is not an RFC 3339 instant such as 2026-01-05T09:00:00Z ({e})"))
    })?;
    if t.subsec_nanosecond() != 0 {
        return Err(FieldError::new(field, format!("{s:?} has a fraction of a second; give whole seconds")));
    }
    Ok(Instant::from_timestamp(t))
}

/// `size=` or `shape=` into what a request wants; exactly one must be given.
pub fn parse_want(size: Option<&str>, shape: Option<&str>) -> Result<Want, FieldError> {
    match (size, shape) {
        (Some(s), None) if !s.is_empty() => Ok(Want::Size(s.to_string())),
        (None, Some(s)) => s.parse::<ShapeKey>().map(Want::Shape).map_err(|e| FieldError::new("shape", e)),
        (Some(_), Some(_)) => Err(FieldError::new("size", "give size or shape, not both")),
        _ => Err(FieldError::new("size", "give a size (such as gpu-small) or a shape (such as H100-80GB/1g.10gb)")),
    }
}

#[cfg(test)]
#[test]
fn fractions_of_a_second_are_refused_not_cut_off() {
    assert_eq!(
        parse_instant("start", "2026-11-23T09:00:00.000Z").unwrap(),
        parse_instant("start", "2026-11-23T09:00:00Z").unwrap()
    );
    let err = parse_instant("start", "2026-11-23T09:00:00.999999Z").unwrap_err();
    assert_eq!(err.field, "start");
    assert!(err.reason.contains("fraction"), "{err}");
    assert!(parse_instant("end", "2026-11-23T09:00:00.5-01:00").is_err());
}

pub fn parse_window(start: &str, end: &str) -> Result<Window, FieldError> {
    let start = parse_instant("start", start)?;
    let end = parse_instant("end", end)?;
    Window::new(start, end).map_err(|e| FieldError::new("end", e))
}

impl BookingRequest {
    /// The planner's request, made by `owner`.
    pub fn to_request(&self, owner: &str) -> Result<Request, FieldError> {
        let want = parse_want(self.size.as_deref(), self.shape.as_deref())?;
        let window = parse_window(&self.start, &self.end)?;
        let mode = match self.mode.as_deref() {
            None => Mode::Reserved,
            Some(m) => Mode::parse(m)
                .ok_or_else(|| FieldError::new("mode", format!("{m:?} is not reserved or opportunistic")))?,
        };
        if self.count == 0 {
            return Err(FieldError::new("count", "must be at least 1"));
        }
        Ok(Request {
            project: self.project.clone(),
            owner: owner.to_string(),
            want,
            count: self.count,
            window,
            mode,
            priority: self.priority,
        })
    }
}

/// Where one device of a booking is.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct PlacementView {
    pub node: String,
    /// The GPU's index on its node.
    pub gpu: u32,
    pub model: String,
    /// The MIG profile, or `full` for the whole GPU.
    pub profile: String,
    /// The first memory-slice unit of the instance; 0 for a whole GPU.
    pub start_slot: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_uuid: Option<String>,
}

/// A booking as the API shows it.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct BookingView {
    /// Such as `b17`.
    pub id: String,
    pub project: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    pub count: u32,
    pub start: String,
    pub end: String,
    #[schema(value_type = ModeName)]
    pub mode: String,
    pub priority: i32,
    /// confirmed, active, completed, cancelled or preempted (by the server's clock).
    #[schema(value_type = StatusName)]
    pub status: String,
    /// Why it was preempted, naming the booking that reclaimed its capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempted_by: Option<String>,
    pub placements: Vec<PlacementView>,
    pub created: String,
    /// The names of its objects in Kubernetes, where gpubook reconciles a cluster or its export is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesView>,
    /// Seconds until the window ends, while the booking is active (by the server's clock); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_in: Option<i64>,
    /// True while an active booking ends within the server's end warning (`gpubook serve --end-warning`, 15
    /// minutes unless set): at `end` its ClusterQueue is stopped with `HoldAndDrain`, which evicts what still
    /// runs on it. Absent otherwise.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ending_soon: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where a booking is in Kubernetes. The objects exist from the booking's start until its grace period ends.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct KubernetesView {
    /// The project's namespace.
    pub namespace: String,
    /// Label workloads `kueue.x-k8s.io/queue-name: <local_queue>`: the booking's (`gpubook-b17`), or with
    /// `serve --k8s-queues per-project` its project's of the booking's mode (`gpubook-team-a-reserved`).
    pub local_queue: String,
    /// For DRA: `spec.resourceClaims[].resourceClaimTemplateName`. The booking's, asking for all its devices;
    /// per project, the project's of the booked shape (`gpubook-team-a-h100-80gb-3g-40gb`), one device a claim.
    pub resource_claim_template: String,
    /// For OpenShift AI workbenches and model servers: the booking's, or per project the project's of the
    /// booking's mode and shape (`gpubook-team-a-reserved-h100-80gb-3g-40gb`).
    pub hardware_profile: String,
}

impl BookingView {
    /// `namespace` is the project's (`None` when the project is gone: then no Kubernetes names).
    pub fn of(
        b: &Booking,
        catalog: &Catalog,
        uuid: impl Fn(&model::GpuId) -> Option<String>,
        namespace: Option<&str>,
        now: Instant,
    ) -> BookingView {
        let (size, shape) = want_parts(&b.request.want);
        let status = b.status(now);
        let (status_reason, preempted_by) = match &status {
            Status::Preempted { by, reason } => (Some(reason.clone()), by.map(|b| b.to_string())),
            _ => (None, None),
        };
        BookingView {
            id: b.id.to_string(),
            project: b.request.project.clone(),
            owner: b.request.owner.clone(),
            size,
            shape,
            count: b.request.count,
            start: b.window().start.to_string(),
            end: b.window().end.to_string(),
            mode: b.request.mode.as_str().into(),
            priority: b.priority,
            status: status.as_str().into(),
            status_reason,
            preempted_by,
            placements: b.devices.iter().map(|d| placement(d, catalog, uuid(&d.gpu))).collect(),
            created: b.created.to_string(),
            kubernetes: namespace.map(|ns| KubernetesView {
                namespace: ns.to_string(),
                local_queue: b.id.object_name(),
                resource_claim_template: b.id.object_name(),
                hardware_profile: b.id.object_name(),
            }),
            ends_in: (status == Status::Active).then(|| b.window().end.0 - now.0),
            ending_soon: false,
        }
    }

    /// Marks the view `ending_soon` when it ends within `lead_s` seconds (the server's end warning).
    pub fn warn_before_end(mut self, lead_s: i64) -> BookingView {
        self.ending_soon = self.ends_in.is_some_and(|left| left <= lead_s);
        self
    }
}

/// What a request wants as the wire's `(size, shape)` pair, one of them set.
pub(crate) fn want_parts(want: &Want) -> (Option<String>, Option<String>) {
    match want {
        Want::Size(s) => (Some(s.clone()), None),
        Want::Shape(s) => (None, Some(s.to_string())),
    }
}

/// A device's MIG profile name (`None` for a whole GPU) and start unit (0 for a whole GPU).
pub(crate) fn slot_parts(d: &model::Device, catalog: &Catalog) -> (Option<String>, u32) {
    match d.slot {
        Slot::Whole => (None, 0),
        Slot::Mig { profile, start } => {
            let name = catalog
                .get(d.shape.model.as_str())
                .and_then(|m| m.mig.as_ref())
                .map(|g| g.profile(profile).name.clone());
            (name, start)
        }
    }
}

fn placement(d: &model::Device, catalog: &Catalog, gpu_uuid: Option<String>) -> PlacementView {
    let (profile, start_slot) = slot_parts(d, catalog);
    let profile = profile.unwrap_or_else(|| "full".into());
    PlacementView {
        node: d.gpu.node.clone(),
        gpu: d.gpu.index,
        model: d.shape.model.to_string(),
        profile,
        start_slot,
        gpu_uuid,
    }
}

/// `POST /bookings` when it fits: the booking, and what committing it did to others.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct BookingCreated {
    #[serde(flatten)]
    pub booking: BookingView,
    /// fits, fits-by-borrowing or fits-after-preempting.
    pub verdict: String,
    pub reasons: Vec<ReasonView>,
    /// Opportunistic bookings preempted to honour this one.
    pub preempted: Vec<String>,
    /// Not-yet-started bookings re-placed to make room.
    pub moved: Vec<String>,
}

/// A stable code and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ReasonView {
    pub code: String,
    pub message: String,
}

impl From<&planner::Reason> for ReasonView {
    fn from(r: &planner::Reason) -> ReasonView {
        ReasonView { code: r.code.as_str().into(), message: r.message.clone() }
    }
}

/// Every error: `{"error": {"code", "message", "reasons"}}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorView,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct ErrorView {
    pub code: String,
    pub message: String,
    pub reasons: Vec<ReasonView>,
    /// For a refused booking: the earliest start at which the same duration fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// For a refused definitions change: the bookings it would break.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

/// `GET /availability`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct AvailabilityView {
    /// How many devices can be booked for the whole window (capped at the planner's counting limit).
    pub available: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<Vec<SlotView>>,
    /// Why none are available, when none are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReasonView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct SlotView {
    pub start: String,
    pub end: String,
    pub available: u32,
}

/// `POST /tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Who the token is for; bookings made with it carry this owner. 1 to 128 bytes of printable text.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub subject: String,
    /// admin, project-admin, member or viewer.
    #[schema(value_type = RoleName)]
    pub role: String,
    /// The projects the role applies to: none for admin, at least one existing project otherwise.
    #[serde(default)]
    #[schema(inline, value_type = Vec<ProjectName>)]
    pub projects: Vec<String>,
}

/// The new token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: String,
    pub token: String,
    pub subject: String,
    #[schema(value_type = RoleName)]
    pub role: String,
    pub projects: Vec<String>,
}

/// A project's name: an RFC 1123 label.
#[derive(ToSchema)]
#[schema(min_length = 1, max_length = 63, pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
pub struct ProjectName(#[allow(dead_code)] String);

/// A confirmed booking that a definitions change would break, and how.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Violation {
    pub booking: String,
    pub project: String,
    pub reason: String,
}

/// What `apply` did or, with `dry_run`, would do.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ApplyResult {
    pub dry_run: bool,
    /// `created Project team-c`, `configured Size gpu-small`, `unchanged Node node-a`.
    pub changes: Vec<String>,
    pub warnings: Vec<String>,
    /// Bookings preempted because `force` was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preempted: Vec<Violation>,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// `POST /bookings?dry_run=true`: what booking would do, committing nothing.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct DecisionView {
    /// fits, fits-by-borrowing, fits-after-preempting, not-before or never.
    pub verdict: String,
    pub reasons: Vec<ReasonView>,
    /// Where the devices would go, when it fits.
    pub placements: Vec<PlacementView>,
    /// Opportunistic bookings it would preempt.
    pub preempts: Vec<String>,
    /// When it does not fit now: the earliest start at which the same duration fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
}

impl DecisionView {
    pub fn of(
        d: &planner::Decision,
        catalog: &Catalog,
        uuid: impl Fn(&model::GpuId) -> Option<String>,
    ) -> DecisionView {
        let (preempts, not_before) = match &d.verdict {
            planner::Verdict::FitsAfterPreempting(v) => (v.iter().map(ToString::to_string).collect(), None),
            planner::Verdict::NotBefore(t) => (Vec::new(), Some(t.to_string())),
            _ => (Vec::new(), None),
        };
        DecisionView {
            verdict: d.verdict.code().into(),
            reasons: d.reasons.iter().map(ReasonView::from).collect(),
            placements: d.devices.iter().map(|x| placement(x, catalog, uuid(&x.gpu))).collect(),
            preempts,
            not_before,
        }
    }
}
