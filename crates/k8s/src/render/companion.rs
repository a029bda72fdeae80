//! The companion resources of a booking's devices (cpu, memory, and ephemeral storage when a size sets it),
//! which its queue must cover for Kueue to admit a real pod: Kueue's flavor assigner refuses any pod set
//! that requests a resource its ClusterQueue does not cover ("resource cpu unavailable in ClusterQueue",
//! `pkg/scheduler/flavorassigner/flavorassigner.go`). They are counted in a second resource group, in a
//! flavor without node labels, so they never narrow where the pod goes; the GPU flavor does that.

use model::{Allowance, Booking, ShapeKey};
use serde_json::{Value, json};

use super::Snapshot;
use super::names::{COMPANION_FLAVOR, manifest, meta};
use crate::object::{Kind, Object};

pub(crate) const CPU: &str = "cpu";
pub(crate) const MEMORY: &str = "memory";
pub(crate) const EPHEMERAL: &str = "ephemeral-storage";

/// What a booking's devices bring together.
pub(crate) fn of_booking(s: &Snapshot, b: &Booking) -> Allowance {
    b.devices.iter().fold(Allowance::default(), |sum, d| {
        sum.plus(s.definitions().device_allowance(s.catalog(), &b.request.want, &d.shape))
    })
}

/// The default allowance of one free instance of `shape`.
pub(crate) fn of_shape(s: &Snapshot, shape: &ShapeKey) -> Allowance {
    Allowance::default_for(s.catalog(), shape).unwrap_or_default()
}

/// The flavor the companion resources are counted in: no node labels, so it matches every node.
pub(crate) fn flavor() -> Object {
    let body = manifest(Kind::ResourceFlavor, meta(COMPANION_FLAVOR, None, None), json!({ "spec": {} }));
    Object { kind: Kind::ResourceFlavor, namespace: None, name: COMPANION_FLAVOR.to_string(), body }
}

/// The resource group of the companion resources: `nominal` in the companion flavor, ephemeral storage
/// covered when `nominal` or `ephemeral` says so (the shared queue lists what bookings may lend it).
pub(crate) fn resource_group(nominal: Allowance, ephemeral: bool, borrowing_limit: Option<u32>) -> Value {
    let mut quotas = vec![(CPU, nominal.cpu()), (MEMORY, nominal.memory())];
    if ephemeral || nominal.ephemeral_bytes.is_some() {
        quotas.push((EPHEMERAL, nominal.ephemeral().unwrap_or_else(|| "0".into())));
    }
    let resources: Vec<Value> = quotas
        .iter()
        .map(|(name, q)| {
            let mut r = json!({ "name": name, "nominalQuota": q });
            if let Some(limit) = borrowing_limit {
                r["borrowingLimit"] = limit.into();
            }
            r
        })
        .collect();
    let covered: Vec<&str> = quotas.iter().map(|(n, _)| *n).collect();
    json!({ "coveredResources": covered, "flavors": [{ "name": COMPANION_FLAVOR, "resources": resources }] })
}
