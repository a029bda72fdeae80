//! The Helm chart's RBAC grants exactly what the reconciler touches: every kind it renders, with the verbs
//! of server-side apply (create and patch), listing and deleting its own; node labels only; ConfigMaps only
//! in the MIG namespace (a Role, not the ClusterRole).

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
