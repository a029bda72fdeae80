//! Flavor assignment for one pod set (`findFlavorForPodSetResource` and `fitsResourceQuota` in
//! `pkg/scheduler/flavorassigner/flavorassigner.go`): per resource group, the first flavor whose node
//! labels the pod's node selector accepts (only the keys the group's flavors use count) and where every
//! requested resource of the group fits the quota the tree makes available.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Group;
use super::quota::{Fr, Node, Tree};

pub(crate) struct Context<'a> {
    pub(crate) cq: &'a str,
    pub(crate) groups: &'a [Group],
    pub(crate) flavors: &'a BTreeMap<String, BTreeMap<String, String>>,
    pub(crate) tree: &'a Tree,
}

/// Kueue's `ResourceQuantityString`: millicores for cpu, binary units for bytes, plain counts otherwise.
fn quantity(resource: &str, v: i64) -> String {
    let v = v.max(0) as u64;
    match resource {
        "cpu" => model::allowance::format_milli(v),
        "memory" | "ephemeral-storage" => model::allowance::format_bytes(v),
        _ => v.to_string(),
    }
}

/// The flavor of each requested resource, or Kueue's reasons (sorted, joined by ", ") when none fits.
pub(crate) fn pod_set(
    ctx: &Context<'_>,
    spec: &Value,
    requests: &BTreeMap<String, i64>,
    earlier: &BTreeMap<Fr, i64>,
) -> Result<BTreeMap<String, String>, String> {
    let mut chosen = BTreeMap::new();
    let mut reasons: Vec<String> = Vec::new();
    for resource in requests.keys() {
        if chosen.contains_key(resource) {
            continue;
        }
        let Some(group) = ctx.groups.iter().find(|g| g.covered.contains(resource)) else {
            return Err(format!("resource {resource} unavailable in ClusterQueue"));
        };
        let of_group: BTreeMap<&String, i64> =
            requests.iter().filter(|(r, _)| group.covered.contains(r)).map(|(r, v)| (r, *v)).collect();
        match group_flavor(ctx, group, spec, &of_group, earlier) {
            Ok(flavor) => {
                for r in of_group.keys() {
                    chosen.insert((*r).clone(), flavor.clone());
                }
            }
            Err(mut why) => {
                reasons.append(&mut why);
                reasons.sort();
                return Err(reasons.join(", "));
            }
        }
    }
    Ok(chosen)
}

fn group_flavor(
    ctx: &Context<'_>,
    group: &Group,
    spec: &Value,
    requests: &BTreeMap<&String, i64>,
    earlier: &BTreeMap<Fr, i64>,
) -> Result<String, Vec<String>> {
    let keys: BTreeSet<&String> =
        group.flavors.iter().filter_map(|f| ctx.flavors.get(f)).flat_map(|labels| labels.keys()).collect();
    let selector: BTreeMap<&str, &str> = spec["nodeSelector"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| keys.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
        .collect();
    let node = Node::Cq(ctx.cq.to_string());
    let mut reasons = Vec::new();
    'flavors: for f in &group.flavors {
        let Some(labels) = ctx.flavors.get(f) else {
            reasons.push(format!("flavor {f} not found"));
            continue;
        };
        if selector.iter().any(|(k, v)| labels.get(*k).map(String::as_str) != Some(*v)) {
            reasons.push(format!("flavor {f} doesn't match node affinity"));
            continue;
        }
        for (r, v) in requests {
            let fr = (f.clone(), (*r).clone());
            let val = v + earlier.get(&fr).copied().unwrap_or(0);
            let most = ctx.tree.potential_available(&node, &fr);
            if val > most {
                reasons.push(format!(
                    "insufficient quota for {r} in flavor {f}, request > maximum capacity ({} > {})",
                    quantity(r, val),
                    quantity(r, most)
                ));
                continue 'flavors;
            }
            let available = ctx.tree.available(&node, &fr);
            if val > available {
                // Kueue would look for workloads to preempt here; the model leaves it pending.
                reasons.push(format!(
                    "insufficient unused quota for {r} in flavor {f}, {} more needed",
                    quantity(r, val - available)
                ));
                continue 'flavors;
            }
        }
        return Ok(f.clone());
    }
    Err(reasons)
}
