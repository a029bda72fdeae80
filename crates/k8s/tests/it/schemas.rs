//! Every rendered object validates against the upstream schemas in `../shared/schemas/`: the Kueue v1beta2
//! CRDs, the OpenShift AI HardwareProfile CRD, and the resource.k8s.io/v1 JSON schemas of Kubernetes 1.34
//! and 1.37; the mig-parted config against the format its parser accepts. Skipped, saying so, when the
//! folder is absent; under CI it must be there.

use std::path::{Path, PathBuf};

use k8s::render::QueueMode;
use k8s::{Kind, Object, Options, render};
use serde_json::{Value, json};

use crate::fixture::{at, booked};

/// `../shared/schemas` beside the repository (or where `GPUBOOK_SCHEMAS` says, for a worktree elsewhere).
pub(crate) fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("GPUBOOK_SCHEMAS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "../shared/schemas is missing under CI");
    eprintln!("skipped: {} is absent", dir.display());
    None
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `openAPIV3Schema` of a CRD version, made strict as the API server's pruning is: an object schema
/// with properties and no `additionalProperties` or `x-kubernetes-preserve-unknown-fields` takes no others.
fn crd_schema(path: &Path, version: &str) -> Value {
    let crd: Value = serde_yaml::from_str(&read(path)).expect("CRD YAML");
    let v = crd["spec"]["versions"].as_array().unwrap().iter().find(|v| v["name"] == version).expect("version");
    let mut schema = v["schema"]["openAPIV3Schema"].clone();
    strict(&mut schema);
    schema
}

fn strict(s: &mut Value) {
    match s {
        Value::Object(m) => {
            let closed = m.contains_key("properties")
                && !m.contains_key("additionalProperties")
                && m.get("x-kubernetes-preserve-unknown-fields") != Some(&json!(true));
            if closed {
                m.insert("additionalProperties".into(), json!(false));
            }
            m.values_mut().for_each(strict);
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}

fn check(validator: &jsonschema::Validator, o: &Object, against: &str) {
    let errors: Vec<String> =
        validator.iter_errors(&o.body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{} {} does not validate against {against}: {errors:#?}", o.kind, o.name);
}

/// The CRD's CEL rules (`x-kubernetes-validations`) that hold for `obj`, evaluated with kube-cel on every
/// node the schema describes; transition rules (`oldSelf`) only apply to updates and are left out.
fn cel_violations(schema: &Value, obj: &Value, path: &str, out: &mut Vec<String>) {
    use kube_cel::KubeCelExt as _;
    use kube_cel::cel::{Context, Program, Value as Cel};
    for rule in schema["x-kubernetes-validations"].as_array().into_iter().flatten() {
        let text = rule["rule"].as_str().expect("a rule");
        if text.contains("oldSelf") {
            continue;
        }
        let program = Program::compile(text).unwrap_or_else(|e| panic!("{path}: {text}: {e}"));
        let mut ctx = Context::default().with_all();
        ctx.add_variable("self", obj.clone()).expect("JSON converts");
        match program.execute(&ctx) {
            Ok(Cel::Bool(true)) => {}
            other => out.push(format!("{path}: {text} gave {other:?}")),
        }
    }
    if let (Some(props), Some(fields)) = (schema["properties"].as_object(), obj.as_object()) {
        for (k, sub) in props {
            if let Some(v) = fields.get(k) {
                cel_violations(sub, v, &format!("{path}.{k}"), out);
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), obj.as_array()) {
        for (i, v) in list.iter().enumerate() {
            cel_violations(items, v, &format!("{path}[{i}]"), out);
        }
    }
}

/// The objects of both queue modes at instants before, during and after the bookings, 4.9 h inside b1's
/// end warning (its Event).
fn rendered() -> Vec<Object> {
    let p = booked();
    let mut all = Vec::new();
    for queues in [QueueMode::PerBooking, QueueMode::PerProject] {
        let opts = Options { queues, ..Options::default() };
        for t in [0.5, 1.5, 2.05, 4.9, 5.0, 7.0] {
            all.extend(render(&p, at(t), &opts));
        }
    }
    all
}

#[test]
fn kueue_and_hardware_profile_objects_validate_against_their_crds() {
    let Some(dir) = shared() else { return };
    let objects = rendered();
    let crds = [
        (Kind::Cohort, "kueue/kueue.x-k8s.io_cohorts.yaml", "v1beta2"),
        (Kind::ResourceFlavor, "kueue/kueue.x-k8s.io_resourceflavors.yaml", "v1beta2"),
        (Kind::WorkloadPriorityClass, "kueue/kueue.x-k8s.io_workloadpriorityclasses.yaml", "v1beta2"),
        (Kind::ClusterQueue, "kueue/kueue.x-k8s.io_clusterqueues.yaml", "v1beta2"),
        (Kind::LocalQueue, "kueue/kueue.x-k8s.io_localqueues.yaml", "v1beta2"),
        (Kind::HardwareProfile, "opendatahub/infrastructure.opendatahub.io_hardwareprofiles.yaml", "v1"),
    ];
    for (kind, file, version) in crds {
        let validator = jsonschema::validator_for(&crd_schema(&dir.join(file), version)).expect("schema compiles");
        let of_kind: Vec<&Object> = objects.iter().filter(|o| o.kind == kind).collect();
        assert!(!of_kind.is_empty(), "no {kind} rendered");
        let schema = crd_schema(&dir.join(file), version);
        for o in of_kind {
            check(&validator, o, file);
            let mut broken = Vec::new();
            cel_violations(&schema, &o.body, "", &mut broken);
            assert!(broken.is_empty(), "{kind} {} breaks the CRD's CEL rules: {broken:#?}", o.name);
        }
    }
}

#[test]
fn dra_objects_validate_against_kubernetes_1_34_and_1_37() {
    let Some(dir) = shared() else { return };
    let objects = rendered();
    for version in ["v1.34.0", "v1.37.0"] {
        let base = dir.join("kubernetes/resource.k8s.io-v1").join(version);
        let files = ["deviceclass-resource-v1.json", "resourceclaimtemplate-resource-v1.json"];
        let validators = compile(&base, &files);
        for ((kind, file), validator) in
            [Kind::DeviceClass, Kind::ResourceClaimTemplate].into_iter().zip(files).zip(validators)
        {
            let of_kind: Vec<&Object> = objects.iter().filter(|o| o.kind == kind).collect();
            assert!(!of_kind.is_empty(), "no {kind} rendered");
            for o in of_kind {
                check(&validator, o, &format!("{version}/{file}"));
            }
            let mut typo = objects.iter().find(|o| o.kind == kind).unwrap().body.clone();
            typo["spec"]["selector"] = json!([]);
            assert!(!validator.is_valid(&typo), "the {version} schemas are strict");
        }
    }
}

/// The `events.k8s.io/v1` Event of Kubernetes 1.34, from the same package as `../shared/schemas/kubernetes`
/// (which has no Event), vendored in `tests/schemas/events-v1.34.0` (its SOURCE.txt says from where).
fn event_schema() -> jsonschema::Validator {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/events-v1.34.0");
    compile(&base, &["event-events-v1.json"]).remove(0)
}

/// What the API server checks when an Event is created through `events.k8s.io/v1` beyond its schema
/// (`ValidateEventCreate` and `legacyValidateEvent`, `pkg/apis/core/validation/events.go`): a time, a type
/// of Normal or Warning, no deprecated fields, the reference in the Event's namespace, a qualified
/// reporting controller, and reporting instance, action and reason of 1 to 128 characters, a note of at
/// most 1 kB.
fn event_create_violations(e: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let text = |k: &str| e[k].as_str().unwrap_or_default();
    let micro = text("eventTime");
    // Go's RFC3339Micro layout, in UTC: `d` a digit, anything else itself.
    let layout = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    let well_formed = micro.len() == layout.len()
        && micro.chars().zip(layout.chars()).all(|(c, l)| if l == 'd' { c.is_ascii_digit() } else { c == l });
    if !well_formed {
        out.push(format!("eventTime {micro:?} is not a MicroTime (RFC 3339 with 6 fractional digits)"));
    }
    if !["Normal", "Warning"].contains(&text("type")) {
        out.push(format!("type {:?}", e["type"]));
    }
    for deprecated in ["deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount", "deprecatedSource"] {
        if !e[deprecated].is_null() {
            out.push(format!("{deprecated} needs to be unset"));
        }
    }
    let ns = e["metadata"]["namespace"].as_str().unwrap_or_default();
    if model::names::check_dns_label(ns).is_err() {
        out.push(format!("metadata.namespace {ns:?}"));
    }
    let name = e["metadata"]["name"].as_str().unwrap_or_default();
    if model::names::check_dns_subdomain(name).is_err() {
        out.push(format!("metadata.name {name:?} is not a DNS subdomain"));
    }
    if e["regarding"]["namespace"].as_str().unwrap_or_default() != ns {
        out.push("regarding.namespace does not match the Event's namespace".into());
    }
    let controller = text("reportingController");
    let qualified = match controller.split_once('/') {
        Some((prefix, n)) => model::names::check_dns_subdomain(prefix).is_ok() && qualified_name(n),
        None => qualified_name(controller),
    };
    if !qualified {
        out.push(format!("reportingController {controller:?} is not a qualified name"));
    }
    for (field, max) in [("reportingInstance", 128), ("action", 128), ("reason", 128)] {
        let v = text(field);
        if v.is_empty() || v.len() > max {
            out.push(format!("{field} must be 1 to {max} characters: {v:?}"));
        }
    }
    if text("note").len() > 1024 {
        out.push("note is longer than 1 kB".into());
    }
    out
}

/// The name part of a Kubernetes qualified name: 1 to 63 alphanumerics, '-', '_' or '.', starting and ending
/// alphanumeric.
fn qualified_name(n: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !n.is_empty()
        && n.len() <= 63
        && edge(n.chars().next())
        && edge(n.chars().last())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

#[test]
fn events_validate_against_kubernetes_1_34_and_the_api_servers_create_rules() {
    let validator = event_schema();
    let objects = rendered();
    let events: Vec<&Object> = objects.iter().filter(|o| o.kind == Kind::Event).collect();
    assert_eq!(events.len(), 2, "b1's, in each queue mode");
    for e in &events {
        check(&validator, e, "events-v1.34.0/event-events-v1.json");
        assert_eq!(event_create_violations(&e.body), Vec::<String>::new(), "{}", e.name);
    }
    // Both checks can fail.
    let mut typo = events[0].body.clone();
    typo["message"] = json!("core/v1's field");
    assert!(!validator.is_valid(&typo), "the schema is strict");
    let mut untimed = events[0].body.clone();
    untimed.as_object_mut().unwrap().remove("eventTime");
    assert!(!validator.is_valid(&untimed), "eventTime is required");
    let mut legacy = events[0].body.clone();
    legacy["eventTime"] = json!("2026-12-07T04:45:00Z");
    legacy["regarding"]["namespace"] = json!("elsewhere");
    legacy["reportingController"] = json!("gpubook reconciler");
    legacy["note"] = json!("x".repeat(1025));
    assert_eq!(event_create_violations(&legacy).len(), 4, "{:?}", event_create_violations(&legacy));
}

/// The Kubernetes 1.34 schema of each kind (`kubernetes/workloads-v1.34.0/<kind>-<group>-<version>.json`).
pub(crate) fn workloads_1_34(dir: &Path, kinds: &[&str]) -> Vec<(String, jsonschema::Validator)> {
    let base = dir.join("kubernetes/workloads-v1.34.0");
    let file = |kind: &str| match kind {
        "Deployment" => "deployment-apps-v1.json",
        "Job" => "job-batch-v1.json",
        "Service" => "service-v1.json",
        "ServiceAccount" => "serviceaccount-v1.json",
        "ClusterRole" => "clusterrole-rbac-v1.json",
        "ClusterRoleBinding" => "clusterrolebinding-rbac-v1.json",
        "Role" => "role-rbac-v1.json",
        "RoleBinding" => "rolebinding-rbac-v1.json",
        other => panic!("no Kubernetes 1.34 schema for {other} here"),
    };
    let files: Vec<&str> = kinds.iter().map(|kind| file(kind)).collect();
    kinds.iter().map(|kind| kind.to_string()).zip(compile(&base, &files)).collect()
}

/// The schemas `files` of the folder `base`, compiled against its `_definitions.json`.
pub(crate) fn compile(base: &Path, files: &[&str]) -> Vec<jsonschema::Validator> {
    let defs: Value = serde_json::from_str(&read(&base.join("_definitions.json"))).unwrap();
    let registry = jsonschema::Registry::new()
        .add("https://kubernetes.io/api/_definitions.json", &defs)
        .unwrap()
        .prepare()
        .unwrap();
    files
        .iter()
        .map(|file| {
            let schema: Value = serde_json::from_str(&read(&base.join(file))).unwrap();
            jsonschema::options().with_registry(&registry).build(&schema).expect("schema compiles")
        })
        .collect()
}

/// Every deploy manifest validates against the Kubernetes 1.34 schemas of its kind, in both queue modes (the
/// KServe InferenceService has no schema in `../shared/schemas/`, so it is not validated).
#[test]
fn deploy_manifests_validate_against_kubernetes_1_34() {
    use k8s::deploy::{DeployRequest, WorkloadKind};
    let Some(dir) = shared() else { return };
    let by_kind = workloads_1_34(&dir, &["Deployment", "Service", "Job"]);
    let (p, h200, _) = crate::deploy::with_whole_gpus();
    let mut seen = std::collections::BTreeSet::new();
    let cases = [
        (model::BookingId(4), "Qwen/Qwen2.5-0.5B-Instruct", true),
        (h200, "meta-llama/Llama-3.1-70B-Instruct", false),
        (h200, "meta-llama/Llama-3.1-70B-Instruct", true),
    ];
    for ((id, model, dra), queues) in
        cases.into_iter().flat_map(|c| [(c, QueueMode::PerBooking), (c, QueueMode::PerProject)])
    {
        for kind in [WorkloadKind::Vllm, WorkloadKind::Job] {
            let req = DeployRequest { kind, model: model.into(), image: None, dra, queues };
            for m in crate::deploy::deploy(&p, id, &req).unwrap() {
                let k = m["kind"].as_str().unwrap();
                let (_, v) = by_kind.iter().find(|(name, _)| *name == k).unwrap();
                let errors: Vec<String> = v.iter_errors(&m).map(|e| format!("{e} at {}", e.instance_path())).collect();
                assert!(errors.is_empty(), "{k} for {id}: {errors:#?}");
                let mut typo = m.clone();
                typo["spec"]["replica"] = json!(1);
                assert!(!v.is_valid(&typo), "the schema is strict");
                seen.insert(k.to_string());
            }
        }
    }
    assert_eq!(seen.len(), 3);
}

/// The validators catch what they should: a misspelt field and a wrong enum value fail.
#[test]
fn the_schema_checks_can_fail() {
    let Some(dir) = shared() else { return };
    let schema = crd_schema(&dir.join("kueue/kueue.x-k8s.io_clusterqueues.yaml"), "v1beta2");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let cq = rendered().into_iter().find(|o| o.kind == Kind::ClusterQueue).unwrap();
    assert!(validator.is_valid(&cq.body));
    let mut typo = cq.body.clone();
    typo["spec"]["cohort"] = json!("v1beta1-name");
    assert!(!validator.is_valid(&typo));
    let mut bad = cq.body.clone();
    bad["spec"]["stopPolicy"] = json!("Drain");
    assert!(!validator.is_valid(&bad));
    let broken = |body: &Value| {
        let mut out = Vec::new();
        cel_violations(&schema, body, "", &mut out);
        out
    };
    assert!(broken(&cq.body).is_empty());
    // A borrowing limit without a cohort, and a flavor not listing every covered resource.
    let mut no_cohort = cq.body.clone();
    no_cohort["spec"].as_object_mut().unwrap().remove("cohortName");
    assert_eq!(broken(&no_cohort).len(), 1, "{:?}", broken(&no_cohort));
    let mut short = cq.body.clone();
    short["spec"]["resourceGroups"][0]["coveredResources"].as_array_mut().unwrap().push(json!("cpu"));
    assert_eq!(broken(&short).len(), 1, "{:?}", broken(&short));
}

/// mig-parted's `version: v1` format (`api/spec/v1/spec.go`): exactly `version` and `mig-configs`; each entry
/// `devices`, `mig-enabled` and, only when enabled, `mig-devices` of known profiles; every node label names
/// a config of the ConfigMap.
#[test]
fn mig_parted_configs_follow_the_v1_format() {
    let p = booked();
    let catalog = p.catalog();
    for t in [0.5, 1.5, 7.0] {
        let objects = render(&p, at(t), &Options::default());
        let map = objects.iter().find(|o| o.kind == Kind::ConfigMap).expect("a per-gpu fleet has a config");
        let file: Value = serde_yaml::from_str(map.body["data"]["config.yaml"].as_str().unwrap()).unwrap();
        let keys: Vec<&String> = file.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["mig-configs", "version"]);
        assert_eq!(file["version"], "v1");
        for standard in ["all-disabled", "all-enabled"] {
            let all = &file["mig-configs"][standard][0];
            assert_eq!(all["devices"], "all", "{standard} is there for nodes gpubook does not manage");
        }
        for node in objects.iter().filter(|o| o.kind == Kind::Node) {
            let name = node.body["metadata"]["labels"]["nvidia.com/mig.config"].as_str().unwrap();
            assert!(name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            let entries = file["mig-configs"][name].as_array().expect("the label names a config");
            assert!(!entries.is_empty());
            let fleet_node = p.definitions().fleet.node(&node.name).unwrap();
            for e in entries {
                let index = e["devices"][0].as_u64().unwrap() as u32;
                let gpu = fleet_node.gpus.iter().find(|g| g.id.index == index).unwrap();
                let geometry = catalog.get(gpu.model.as_str()).unwrap().mig.as_ref().unwrap();
                match e["mig-enabled"].as_bool().unwrap() {
                    true => {
                        for (profile, count) in e["mig-devices"].as_object().unwrap() {
                            let idx = geometry.find(profile).expect("a profile of the GPU's model");
                            assert!(count.as_u64().unwrap() <= u64::from(geometry.profile(idx).max));
                        }
                    }
                    false => assert!(e.get("mig-devices").is_none()),
                }
            }
        }
    }
}
