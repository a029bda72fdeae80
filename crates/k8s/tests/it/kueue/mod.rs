//! A small re-implementation of the Kueue rules that decide whether a workload on gpubook's objects is
//! admitted, written from Kueue's source (kubernetes-sigs/kueue, v1beta2 era) so the tests can say "Kueue
//! would admit this" without a cluster. What it covers and what it leaves out is tabled in
//! docs/kubernetes.md ("What the admission check covers").
//!
//! - LocalQueue → ClusterQueue, an inactive (stopped) ClusterQueue, the namespace selector:
//!   `pkg/scheduler/scheduler.go` (`nominate`), with its messages.
//! - Requests of each pod set, DRA claims included: [`pods`].
//! - Flavor assignment per resource group, flavor node labels against the pod's node selector, and the
//!   fit of each (flavor, resource): [`assign`] (`pkg/scheduler/flavorassigner/flavorassigner.go`).
//! - Nominal, borrowing and lending arithmetic through the cohort tree: [`quota`].

mod assign;
pub(crate) mod pods;
pub(crate) mod quota;

use std::collections::BTreeMap;

use k8s::{Kind, Object};
use serde_json::Value;

use quota::{Fr, Node, Quota, Tree};

/// A resource group of a ClusterQueue: the resources it covers and its flavors, in order.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) covered: Vec<String>,
    pub(crate) flavors: Vec<String>,
}

#[derive(Clone, Debug)]
struct ClusterQueue {
    selector: Value,
    groups: Vec<Group>,
    stopped: bool,
}

/// What Kueue decides for one Workload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// Quota reserved in this ClusterQueue, with the flavor of each resource.
    Admitted { cluster_queue: String, flavors: BTreeMap<String, String> },
    /// Stays pending with Kueue's message.
    Pending(String),
    /// No queue label: Kueue leaves it alone (`manageJobsWithoutQueueName: false`).
    Unmanaged,
}

/// The objects Kueue reads, and what it has admitted so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cluster {
    flavors: BTreeMap<String, BTreeMap<String, String>>,
    cluster_queues: BTreeMap<String, ClusterQueue>,
    local_queues: BTreeMap<(String, String), String>,
    templates: BTreeMap<(String, String), Value>,
    /// The Kueue Configuration's `resources.deviceClassMappings`: DeviceClass → quota resource.
    pub(crate) mappings: BTreeMap<String, String>,
    pub(crate) tree: Tree,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Cluster {
    /// The cluster after gpubook applied `objects`, with Kueue's DRA integration mapping each of gpubook's
    /// quota-resource classes to its resource, as docs/kubernetes.md tells the platform team to.
    pub(crate) fn new(objects: &[Object]) -> Cluster {
        let mut c = Cluster::default();
        for o in objects {
            let b = &o.body;
            match o.kind {
                Kind::ResourceFlavor => {
                    let labels = b["spec"]["nodeLabels"].as_object().into_iter().flatten();
                    c.flavors.insert(o.name.clone(), labels.map(|(k, v)| (k.clone(), s(v))).collect());
                }
                Kind::Cohort => {
                    if let Some(p) = b["spec"]["parentName"].as_str() {
                        c.tree.parent.insert(Node::Cohort(o.name.clone()), p.into());
                    }
                }
                Kind::ClusterQueue => c.add_cluster_queue(&o.name, &b["spec"]),
                Kind::LocalQueue => {
                    let ns = o.namespace.clone().unwrap_or_default();
                    c.local_queues.insert((ns, o.name.clone()), s(&b["spec"]["clusterQueue"]));
                }
                Kind::ResourceClaimTemplate => {
                    c.templates.insert((o.namespace.clone().unwrap_or_default(), o.name.clone()), b.clone());
                }
                Kind::DeviceClass => {
                    if let Some(r) = b["metadata"]["annotations"]["gpubook.io/quota-resource"].as_str() {
                        c.mappings.insert(o.name.clone(), r.into());
                    }
                }
                _ => {}
            }
        }
        c
    }

    fn add_cluster_queue(&mut self, name: &str, spec: &Value) {
        let node = Node::Cq(name.into());
        if let Some(cohort) = spec["cohortName"].as_str() {
            self.tree.parent.insert(node.clone(), cohort.into());
        }
        let mut groups = Vec::new();
        let mut quotas = BTreeMap::new();
        for g in spec["resourceGroups"].as_array().into_iter().flatten() {
            let covered = g["coveredResources"].as_array().into_iter().flatten().map(s).collect();
            let mut flavors = Vec::new();
            for f in g["flavors"].as_array().into_iter().flatten() {
                flavors.push(s(&f["name"]));
                for r in f["resources"].as_array().into_iter().flatten() {
                    let resource = s(&r["name"]);
                    let q = |k: &str| (!r[k].is_null()).then(|| pods::units(&resource, &r[k]).expect("quota"));
                    let quota = Quota {
                        nominal: q("nominalQuota").unwrap_or(0),
                        borrowing_limit: q("borrowingLimit"),
                        lending_limit: q("lendingLimit"),
                    };
                    quotas.insert((s(&f["name"]), resource), quota);
                }
            }
            groups.push(Group { covered, flavors });
        }
        self.tree.quotas.insert(node, quotas);
        let stopped = spec["stopPolicy"].as_str().is_some_and(|p| p != "None");
        self.cluster_queues
            .insert(name.into(), ClusterQueue { selector: spec["namespaceSelector"].clone(), groups, stopped });
    }

    /// Submits every Workload Kueue makes of `obj`, admitting each that fits (its usage then counts).
    pub(crate) fn submit(&mut self, obj: &Value) -> Vec<Outcome> {
        let workloads = pods::workloads(obj).unwrap_or_else(|e| panic!("{e}"));
        workloads.iter().map(|w| self.admit(w)).collect()
    }

    fn admit(&mut self, w: &pods::Workload) -> Outcome {
        let Some(queue) = &w.queue else { return Outcome::Unmanaged };
        let Some(cq_name) = self.local_queues.get(&(w.namespace.clone(), queue.clone())).cloned() else {
            return Outcome::Pending(format!("LocalQueue {queue} doesn't exist"));
        };
        let Some(cq) = self.cluster_queues.get(&cq_name) else {
            return Outcome::Pending(format!("ClusterQueue {cq_name} not found"));
        };
        if cq.stopped {
            return Outcome::Pending(format!("ClusterQueue {cq_name} is inactive"));
        }
        // Namespaces carry `kubernetes.io/metadata.name`, which the API server sets.
        let ns_labels = BTreeMap::from([("kubernetes.io/metadata.name".to_string(), w.namespace.clone())]);
        if !selector_matches(&cq.selector, &ns_labels) {
            return Outcome::Pending("Workload namespace doesn't match ClusterQueue selector".into());
        }
        let template = |name: &str| self.templates.get(&(w.namespace.clone(), name.to_string())).cloned();
        let mut usage: BTreeMap<Fr, i64> = BTreeMap::new();
        let mut flavors = BTreeMap::new();
        for ps in &w.pod_sets {
            let per_pod = match pods::pod_requests(&ps.spec, template, &self.mappings) {
                Ok(r) => r,
                Err(e) => return Outcome::Pending(e),
            };
            let requests: BTreeMap<String, i64> = per_pod.into_iter().map(|(r, v)| (r, v * ps.count)).collect();
            let ctx = assign::Context { cq: &cq_name, groups: &cq.groups, flavors: &self.flavors, tree: &self.tree };
            match assign::pod_set(&ctx, &ps.spec, &requests, &usage) {
                Ok(chosen) => {
                    for (r, f) in chosen {
                        *usage.entry((f.clone(), r.clone())).or_default() += requests[&r];
                        flavors.insert(r, f);
                    }
                }
                Err(reasons) => {
                    return Outcome::Pending(format!("couldn't assign flavors to pod set {}: {reasons}", ps.name));
                }
            }
        }
        let admitted = self.tree.usage.entry(cq_name.clone()).or_default();
        for (fr, v) in usage {
            *admitted.entry(fr).or_default() += v;
        }
        Outcome::Admitted { cluster_queue: cq_name, flavors }
    }
}

/// A `LabelSelector` against labels; null matches nothing (Kueue v1beta2), `{}` everything.
pub(crate) fn selector_matches(sel: &Value, labels: &BTreeMap<String, String>) -> bool {
    if !sel.is_object() {
        return false;
    }
    let exact = sel["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
    let expressions = sel["matchExpressions"].as_array().into_iter().flatten().all(|e| {
        let value = labels.get(e["key"].as_str().unwrap_or_default());
        let mut values = e["values"].as_array().into_iter().flatten().filter_map(Value::as_str);
        match e["operator"].as_str() {
            Some("In") => value.is_some_and(|v| values.any(|x| x == v)),
            Some("NotIn") => value.is_none_or(|v| !values.any(|x| x == v)),
            Some("Exists") => value.is_some(),
            Some("DoesNotExist") => value.is_none(),
            _ => false,
        }
    });
    exact && expressions
}
