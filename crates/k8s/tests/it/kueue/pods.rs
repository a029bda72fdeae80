//! From a manifest to Kueue Workloads: which pods, how many, and what each requests.
//!
//! - Job (`pkg/controller/jobs/job`): one Workload, pod set `main`, count = parallelism (at most
//!   completions).
//! - Deployment (`pkg/controller/jobs/deployment` over the pod integration): one Workload per pod, pod set
//!   `main`, count 1; the webhook copies the Deployment's queue label onto its pods.
//! - KServe InferenceService: KServe makes a Deployment of its predictor; modelled as that Deployment's
//!   `minReplicas` pods (one container with the predictor's resources and node selector). Not Kueue's code:
//!   an approximation.
//! - Requests per pod as Kubernetes computes them (`resourcehelper.PodRequests`): the sum over containers,
//!   or the largest init container if more; a missing request takes its limit. Cpu counts in millicores,
//!   everything else in whole units, as Kueue's `resources.Requests` does.
//! - DRA (`pkg/dra/claims.go`): each claim from a ResourceClaimTemplate counts its `ExactCount` requests per
//!   DeviceClass, mapped to a quota resource by `deviceClassMappings`; constraints, config, `FirstAvailable`,
//!   CEL selectors, admin access and `All` make the Workload inadmissible.

use std::collections::BTreeMap;

use serde_json::Value;

pub(crate) const QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";

/// One pod set of a Workload.
#[derive(Clone, Debug)]
pub(crate) struct PodSet {
    pub(crate) name: String,
    pub(crate) count: i64,
    pub(crate) spec: Value,
}

#[derive(Clone, Debug)]
pub(crate) struct Workload {
    pub(crate) namespace: String,
    pub(crate) queue: Option<String>,
    pub(crate) pod_sets: Vec<PodSet>,
}

fn label(obj: &Value) -> Option<String> {
    obj["metadata"]["labels"][QUEUE_LABEL].as_str().map(str::to_string)
}

/// The Workloads Kueue makes of `obj`, or why the kind is not modelled.
pub(crate) fn workloads(obj: &Value) -> Result<Vec<Workload>, String> {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
    let wl = |queue, count, spec: &Value| Workload {
        namespace: ns.clone(),
        queue,
        pod_sets: vec![PodSet { name: "main".into(), count, spec: spec.clone() }],
    };
    match obj["kind"].as_str() {
        Some("Job") => {
            let spec = &obj["spec"];
            let parallelism = spec["parallelism"].as_i64().unwrap_or(1);
            let count = spec["completions"].as_i64().map_or(parallelism, |c| c.min(parallelism));
            Ok(vec![wl(label(obj), count, &spec["template"]["spec"])])
        }
        Some("Deployment") => {
            let template = &obj["spec"]["template"];
            let queue = label(template).or_else(|| label(obj));
            let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            Ok((0..replicas).map(|_| wl(queue.clone(), 1, &template["spec"])).collect())
        }
        Some("Pod") => Ok(vec![wl(label(obj), 1, &obj["spec"])]),
        Some("InferenceService") => {
            let p = &obj["spec"]["predictor"];
            let mut spec = serde_json::json!({ "containers": [{ "name": "kserve-container",
                "resources": p["model"]["resources"].clone() }] });
            if p["nodeSelector"].is_object() {
                spec["nodeSelector"] = p["nodeSelector"].clone();
            }
            let replicas = p["minReplicas"].as_i64().unwrap_or(1);
            Ok((0..replicas).map(|_| wl(label(obj), 1, &spec)).collect())
        }
        other => Err(format!("kind {other:?} is not modelled")),
    }
}

/// A quantity in Kueue's units for its resource: millicores for cpu, whole units (rounded up) otherwise.
pub(crate) fn units(resource: &str, q: &Value) -> Result<i64, String> {
    let text = q.as_str().map_or_else(|| q.to_string(), str::to_string);
    let milli = model::allowance::parse_quantity_milli(&text).map_err(|e| format!("{resource}: {e}"))?;
    let v = if resource == "cpu" { milli } else { milli.div_ceil(1000) };
    i64::try_from(v).map_err(|_| format!("{resource}: {text} is too large"))
}

fn container_requests(c: &Value) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    let res = &c["resources"];
    for (r, q) in res["limits"].as_object().into_iter().flatten() {
        out.insert(r.clone(), units(r, q)?);
    }
    for (r, q) in res["requests"].as_object().into_iter().flatten() {
        let v = units(r, q)?;
        if out.get(r).is_some_and(|limit| v > *limit) {
            return Err(format!("resource validation failed: {r} requests exceed it's limits"));
        }
        out.insert(r.clone(), v);
    }
    Ok(out)
}

/// What one pod of `spec` requests, extended resources and DRA claims (through `template`) included.
pub(crate) fn pod_requests(
    spec: &Value,
    template: impl Fn(&str) -> Option<Value>,
    mappings: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, i64>, String> {
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    for c in spec["containers"].as_array().into_iter().flatten() {
        for (r, v) in container_requests(c)? {
            *total.entry(r).or_default() += v;
        }
    }
    for c in spec["initContainers"].as_array().into_iter().flatten() {
        for (r, v) in container_requests(c)? {
            let t = total.entry(r).or_default();
            *t = (*t).max(v);
        }
    }
    for (i, claim) in spec["resourceClaims"].as_array().into_iter().flatten().enumerate() {
        let Some(name) = claim["resourceClaimTemplateName"].as_str() else { continue };
        let at = format!("resourceClaims[{i}]");
        let t = template(name).ok_or_else(|| format!("{at}: ResourceClaimTemplate {name} not found"))?;
        for (class, n) in
            count_devices(&t["spec"]["spec"]).map_err(|e| format!("{at}: ResourceClaimTemplate {name}: {e}"))?
        {
            let resource = mappings.get(&class).ok_or_else(|| {
                format!("{at}: DeviceClass {class} is not mapped in DRA configuration for podset main")
            })?;
            *total.entry(resource.clone()).or_default() += n;
        }
    }
    Ok(total)
}

/// Devices per DeviceClass of a claim spec (`countDevicesPerClass`), or the first unsupported feature.
fn count_devices(claim: &Value) -> Result<BTreeMap<String, i64>, String> {
    let devices = &claim["devices"];
    if devices["constraints"].as_array().is_some_and(|c| !c.is_empty()) {
        return Err("device constraints (MatchAttribute) are not supported".into());
    }
    if devices["config"].as_array().is_some_and(|c| !c.is_empty()) {
        return Err("device config is not supported".into());
    }
    let mut out = BTreeMap::new();
    for r in devices["requests"].as_array().into_iter().flatten() {
        if !r["firstAvailable"].is_null() {
            return Err("FirstAvailable device selection is not supported".into());
        }
        let e = &r["exactly"];
        if e["selectors"].as_array().is_some_and(|s| !s.is_empty()) {
            return Err("CEL selectors are not supported".into());
        }
        if e["adminAccess"] == true {
            return Err("AdminAccess is not supported".into());
        }
        match e["allocationMode"].as_str().unwrap_or("ExactCount") {
            "ExactCount" => {}
            "All" => return Err("AllocationMode 'All' is not supported".into()),
            other => return Err(format!("unsupported allocation mode: {other}")),
        }
        let class = e["deviceClassName"].as_str().unwrap_or_default();
        if !class.is_empty() {
            *out.entry(class.to_string()).or_default() += e["count"].as_i64().unwrap_or(1);
        }
    }
    Ok(out)
}
