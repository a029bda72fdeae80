//! The Helm chart's RBAC grants exactly what the reconciler touches: every kind it renders, with the verbs
//! of server-side apply (create and patch), listing and deleting its own; node labels only; ConfigMaps only
//! in the MIG namespace (a Role, not the ClusterRole); and what `helm template` renders validates against the
//! Kubernetes 1.34 schemas (helm from `GPUBOOK_HELM` or `target/helm/helm`, which `.ci/run` installs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use k8s::Kind;
use serde_json::Value;

/// The YAML documents of a template, its Helm directives removed: lines made only of a directive are
/// dropped, and `{{ … }}` inside a line becomes a placeholder.
fn template(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/gpubook/templates").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut plain = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("{{") && t.ends_with("}}") {
            continue;
        }
        let mut out = line.to_string();
        while let (Some(a), Some(b)) = (out.find("{{"), out.find("}}")) {
            out.replace_range(a..b + 2, "templated");
        }
        plain.push_str(&out);
        plain.push('\n');
    }
    serde_yaml::Deserializer::from_str(&plain).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

/// `(group, resource) -> verbs` granted by the documents of `kind`.
fn grants(docs: &[Value], kind: &str) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for doc in docs.iter().filter(|d| d["kind"] == kind) {
        for rule in doc["rules"].as_array().unwrap() {
            let strings = |v: &Value| -> Vec<String> {
                v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
            };
            for g in strings(&rule["apiGroups"]) {
                for r in strings(&rule["resources"]) {
                    let verbs: BTreeSet<String> = strings(&rule["verbs"]).into_iter().collect();
                    assert!(out.insert((g.clone(), r.clone()), verbs).is_none(), "{g}/{r} granted twice");
                }
            }
        }
    }
    out
}

#[test]
fn the_chart_grants_exactly_what_the_reconciler_touches() {
    let cluster = grants(&template("clusterrole.yaml"), "ClusterRole");
    let namespaced = grants(&template("role.yaml"), "Role");
    let owned: BTreeSet<String> = ["get", "list", "create", "patch", "delete"].map(String::from).into();
    let mut expected_cluster = BTreeMap::new();
    let mut expected_role = BTreeMap::new();
    for kind in Kind::ALL {
        let (group, _, plural) = kind.api();
        let verbs = if kind.owned() { owned.clone() } else { ["get", "patch"].map(String::from).into() };
        let target = if kind == Kind::ConfigMap { &mut expected_role } else { &mut expected_cluster };
        target.insert((group.to_string(), plural.to_string()), verbs);
    }
    assert_eq!(cluster, expected_cluster);
    assert_eq!(namespaced, expected_role);
}

/// The `helm` binary: `GPUBOOK_HELM`, else `target/helm/helm` where `.ci/run` installs it. `None` (the check
/// is skipped, saying so) when absent outside CI; under CI it must be there.
fn helm() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("GPUBOOK_HELM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/helm/helm"));
    if path.is_file() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "CI must install helm ({}): see .ci/run", path.display());
    eprintln!("skipped: no helm at {}; .ci/run installs it", path.display());
    None
}

/// `helm template` of the chart with these `--set`s, as its YAML documents.
fn helm_template(helm: &Path, sets: &[&str]) -> Vec<Value> {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/gpubook");
    let mut cmd = std::process::Command::new(helm);
    cmd.args(["template", "gpubook"]).arg(&chart).args(["--namespace", "gpubook"]);
    for set in sets {
        cmd.args(["--set", set]);
    }
    let out = cmd.output().expect("helm runs");
    assert!(out.status.success(), "helm template {sets:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("helm's YAML: {e}")))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// What `helm template` renders, with the default values and with others, validates against the Kubernetes
/// 1.34 schemas of its kinds; every kind it renders has one.
#[test]
fn the_rendered_chart_validates_against_kubernetes_1_34() {
    let Some(helm) = helm() else { return };
    let Some(dir) = crate::schemas::shared() else { return };
    let kinds = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment"];
    let validators = crate::schemas::workloads_1_34(&dir, &kinds);
    let mut seen = BTreeSet::new();
    for sets in [
        &[][..],
        &["kubernetes.enabled=false", "service.type=NodePort"][..],
        &["kubernetes.skip={HardwareProfile,Node,Event}", "kubernetes.queues=per-project", "endWarning=30m"][..],
    ] {
        let docs = helm_template(&helm, sets);
        assert!(docs.iter().any(|d| d["kind"] == "Deployment"), "{sets:?}: no Deployment");
        for doc in &docs {
            let kind = doc["kind"].as_str().unwrap_or_default();
            let (_, v) = validators.iter().find(|(k, _)| k == kind).unwrap_or_else(|| panic!("{kind}: no schema"));
            let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "{sets:?}: {kind} {}: {errors:#?}", doc["metadata"]["name"]);
            seen.insert(kind.to_string());
        }
    }
    assert_eq!(seen, kinds.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>(), "every template rendered");
    // The check can fail: a misspelt field of the Deployment is refused.
    let mut typo = helm_template(&helm, &[]).into_iter().find(|d| d["kind"] == "Deployment").unwrap();
    typo["spec"]["replica"] = Value::from(1);
    let (_, v) = validators.iter().find(|(k, _)| k == "Deployment").unwrap();
    assert!(!v.is_valid(&typo), "the schema is strict");
}
