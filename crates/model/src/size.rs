//! Sizes: tenant-friendly names (gpu-small, gpu-medium, gpu-large) for the shapes a CEL selector matches.

use std::collections::BTreeSet;

use crate::allowance::Allowance;
use crate::shape::ShapeKey;

/// A size as defined, with the shapes of the catalog its selector matched when it was defined.
///
/// The selector is the same CEL string a Kubernetes DRA DeviceClass would carry; the `selector` crate
/// evaluates it and fills `shapes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    pub name: String,
    pub description: Option<String>,
    pub selector: String,
    pub shapes: BTreeSet<ShapeKey>,
    /// Companion resources per device; `None`: the default scaled to each shape ([`Allowance::default_for`]).
    pub allowance: Option<Allowance>,
}

/// The default sizes, as the platform teams in our market name them. The thresholds sit a little under the
/// marketing figures because NVML reports what a slice really holds: an H100 "2g.20gb" has 19.62 GiB and a
/// "3g.40gb" 39.5 GiB, so `20Gi` and `40Gi` would leave out exactly the slices these sizes are meant for.
pub const DEFAULT_SIZES: &[(&str, &str, &str)] = &[
    (
        "gpu-small",
        "a MIG slice with at least 20 GB of GPU memory",
        "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'mig' && device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('19Gi')) >= 0",
    ),
    (
        "gpu-medium",
        "a MIG slice with at least 40 GB of GPU memory",
        "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'mig' && device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('39Gi')) >= 0",
    ),
    (
        "gpu-large",
        "a whole GPU with at least 80 GB of memory",
        "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu' && device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('78Gi')) >= 0",
    ),
];
