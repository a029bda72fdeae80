//! A rendered Kubernetes object: its kind, where it lives, and its body as JSON, plus the YAML and file
//! forms that GitOps exports write.

use std::fmt;

use serde_json::Value;

/// Every kind gpubook writes, in the order objects are applied (what others refer to comes first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Cohort,
    ResourceFlavor,
    WorkloadPriorityClass,
    ClusterQueue,
    LocalQueue,
    DeviceClass,
    ResourceClaimTemplate,
    HardwareProfile,
    /// `events.k8s.io/v1`: a booking's warning that its window ends soon.
    Event,
    ConfigMap,
    /// Only the `nvidia.com/mig.config` label of a node: gpubook never creates or deletes nodes.
    Node,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Cohort,
        Kind::ResourceFlavor,
        Kind::WorkloadPriorityClass,
        Kind::ClusterQueue,
        Kind::LocalQueue,
        Kind::DeviceClass,
        Kind::ResourceClaimTemplate,
        Kind::HardwareProfile,
        Kind::Event,
        Kind::ConfigMap,
        Kind::Node,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Cohort => "Cohort",
            Kind::ResourceFlavor => "ResourceFlavor",
            Kind::WorkloadPriorityClass => "WorkloadPriorityClass",
            Kind::ClusterQueue => "ClusterQueue",
            Kind::LocalQueue => "LocalQueue",
            Kind::DeviceClass => "DeviceClass",
            Kind::ResourceClaimTemplate => "ResourceClaimTemplate",
            Kind::HardwareProfile => "HardwareProfile",
            Kind::Event => "Event",
            Kind::ConfigMap => "ConfigMap",
            Kind::Node => "Node",
        }
    }

    /// `(group, version, plural)` of the API the kind is served under.
    pub fn api(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Cohort => ("kueue.x-k8s.io", "v1beta2", "cohorts"),
            Kind::ResourceFlavor => ("kueue.x-k8s.io", "v1beta2", "resourceflavors"),
            Kind::WorkloadPriorityClass => ("kueue.x-k8s.io", "v1beta2", "workloadpriorityclasses"),
            Kind::ClusterQueue => ("kueue.x-k8s.io", "v1beta2", "clusterqueues"),
            Kind::LocalQueue => ("kueue.x-k8s.io", "v1beta2", "localqueues"),
            Kind::DeviceClass => ("resource.k8s.io", "v1", "deviceclasses"),
            Kind::ResourceClaimTemplate => ("resource.k8s.io", "v1", "resourceclaimtemplates"),
            Kind::HardwareProfile => ("infrastructure.opendatahub.io", "v1", "hardwareprofiles"),
            Kind::Event => ("events.k8s.io", "v1", "events"),
            Kind::ConfigMap => ("", "v1", "configmaps"),
            Kind::Node => ("", "v1", "nodes"),
        }
    }

    pub fn api_version(self) -> String {
        match self.api() {
            ("", v, _) => v.to_string(),
            (g, v, _) => format!("{g}/{v}"),
        }
    }

    pub fn namespaced(self) -> bool {
        matches!(
            self,
            Kind::LocalQueue | Kind::ResourceClaimTemplate | Kind::HardwareProfile | Kind::Event | Kind::ConfigMap
        )
    }

    /// Whether the API server refuses changes to what gpubook renders of an existing object (a
    /// ResourceClaimTemplate's spec; an `events.k8s.io/v1` Event's note, time and reference), so that a
    /// changed one is replaced: deleted and applied again.
    pub fn immutable(self) -> bool {
        matches!(self, Kind::ResourceClaimTemplate | Kind::Event)
    }

    /// Whether gpubook owns objects of this kind (and so deletes the ones it no longer renders).
    pub fn owned(self) -> bool {
        self != Kind::Node
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One object as it is applied: `body` is the whole manifest, `apiVersion` and `kind` included.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
    pub body: Value,
}

impl Object {
    /// `(kind, namespace, name)`: the order objects are listed, applied and exported in.
    pub fn key(&self) -> (Kind, Option<&str>, &str) {
        (self.kind, self.namespace.as_deref(), &self.name)
    }

    /// The file a GitOps export writes the object to: kind, then namespace when it has one, then name.
    pub fn file_name(&self) -> String {
        let kind = self.kind.name().to_ascii_lowercase();
        match &self.namespace {
            Some(ns) => format!("{kind}.{ns}.{}.yaml", self.name),
            None => format!("{kind}.{}.yaml", self.name),
        }
    }

    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(&self.body).expect("JSON values always serialise")
    }
}

/// Objects as one multi-document YAML stream.
pub fn to_yaml_stream(objects: &[Object]) -> String {
    objects.iter().map(|o| format!("---\n{}", o.to_yaml())).collect()
}
