//! The fleet: nodes and their GPUs, each with a model, a reconfiguration mode and its current MIG layout.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::catalog::ModelKey;
use crate::layout::Layout;
use crate::names::check_dns_subdomain;

/// When a GPU's MIG layout may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reconfiguration {
    /// Each instance is created and destroyed on its own while its units are free (NVML, DRA dynamic MIG).
    Dynamic,
    /// The whole layout changes only while the whole GPU is idle (the GPU Operator's MIG manager).
    PerGpu,
    /// The layout never changes.
    Static,
}

impl Reconfiguration {
    pub fn as_str(self) -> &'static str {
        match self {
            Reconfiguration::Dynamic => "dynamic",
            Reconfiguration::PerGpu => "per-gpu",
            Reconfiguration::Static => "static",
        }
    }

    pub fn parse(s: &str) -> Option<Reconfiguration> {
        [Reconfiguration::Dynamic, Reconfiguration::PerGpu, Reconfiguration::Static]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A GPU's identity in the fleet: node name and device index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GpuId {
    pub node: String,
    pub index: u32,
}

impl fmt::Display for GpuId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.node, self.index)
    }
}

/// One physical GPU.
#[derive(Clone, Debug, PartialEq)]
pub struct Gpu {
    pub id: GpuId,
    pub model: ModelKey,
    pub uuid: Option<String>,
    pub reconfiguration: Reconfiguration,
    /// The MIG instances that exist now; `None` when MIG is off and the GPU is used whole.
    pub layout: Option<Layout>,
}

/// A node with its GPUs, ordered by index.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub name: String,
    pub gpus: Vec<Gpu>,
}

/// A refused fleet: which node, which field, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("node {node:?}: {field}: {reason}")]
pub struct FleetError {
    pub node: String,
    pub field: String,
    pub reason: String,
}

/// Every node, by name. GPU models and layouts are checked against the catalog by whoever builds the
/// [`Gpu`]s (they need the geometry to read profile names); the fleet checks what spans GPUs and nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fleet {
    nodes: BTreeMap<String, Node>,
}

impl Fleet {
    pub fn new(nodes: Vec<Node>) -> Result<Fleet, FleetError> {
        let mut fleet = Fleet::default();
        let mut uuids = BTreeMap::new();
        for mut node in nodes {
            let err = |field: &str, reason: String| FleetError { node: node.name.clone(), field: field.into(), reason };
            check_dns_subdomain(&node.name).map_err(|r| err("name", r))?;
            if fleet.nodes.contains_key(&node.name) {
                return Err(err("name", "is defined twice".into()));
            }
            let mut indices = BTreeSet::new();
            for gpu in &node.gpus {
                if gpu.id.node != node.name {
                    return Err(err("gpus", format!("GPU {} belongs to another node", gpu.id)));
                }
                if !indices.insert(gpu.id.index) {
                    return Err(err("gpus", format!("index {} is used twice", gpu.id.index)));
                }
                if let Some(uuid) = &gpu.uuid
                    && let Some(other) = uuids.insert(uuid.clone(), gpu.id.clone())
                {
                    return Err(err("gpus", format!("UUID {uuid} is also GPU {other}")));
                }
            }
            node.gpus.sort_by_key(|g| g.id.index);
            fleet.nodes.insert(node.name.clone(), node);
        }
        Ok(fleet)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.get(name)
    }

    pub fn gpus(&self) -> impl Iterator<Item = &Gpu> {
        self.nodes.values().flat_map(|n| n.gpus.iter())
    }

    pub fn gpu(&self, id: &GpuId) -> Option<&Gpu> {
        self.nodes.get(&id.node)?.gpus.iter().find(|g| g.id.index == id.index)
    }

    /// How many GPUs of each model the fleet holds.
    pub fn model_counts(&self) -> BTreeMap<&ModelKey, usize> {
        let mut counts = BTreeMap::new();
        for g in self.gpus() {
            *counts.entry(&g.model).or_insert(0) += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(node: &str, index: u32, uuid: Option<&str>) -> Gpu {
        Gpu {
            id: GpuId { node: node.into(), index },
            model: ModelKey("H100-80GB".into()),
            uuid: uuid.map(str::to_string),
            reconfiguration: Reconfiguration::Dynamic,
            layout: None,
        }
    }

    #[test]
    fn duplicates_are_refused_with_the_node_and_field() {
        let twice = vec![Node { name: "a".into(), gpus: vec![] }, Node { name: "a".into(), gpus: vec![] }];
        assert_eq!(Fleet::new(twice).unwrap_err().field, "name");
        let index = vec![Node { name: "a".into(), gpus: vec![gpu("a", 0, None), gpu("a", 0, None)] }];
        assert!(Fleet::new(index).unwrap_err().reason.contains("index 0 is used twice"));
        let uuid = vec![
            Node { name: "a".into(), gpus: vec![gpu("a", 0, Some("GPU-1"))] },
            Node { name: "b".into(), gpus: vec![gpu("b", 0, Some("GPU-1"))] },
        ];
        let e = Fleet::new(uuid).unwrap_err();
        assert_eq!((e.node.as_str(), e.reason.as_str()), ("b", "UUID GPU-1 is also GPU a/0"));
        let bad = vec![Node { name: "Node_A".into(), gpus: vec![] }];
        assert_eq!(Fleet::new(bad).unwrap_err().field, "name");
    }

    #[test]
    fn gpus_are_found_by_id_in_index_order() {
        let fleet =
            Fleet::new(vec![Node { name: "a".into(), gpus: vec![gpu("a", 1, None), gpu("a", 0, None)] }]).unwrap();
        let ids: Vec<String> = fleet.gpus().map(|g| g.id.to_string()).collect();
        assert_eq!(ids, ["a/0", "a/1"]);
        assert!(fleet.gpu(&GpuId { node: "a".into(), index: 1 }).is_some());
        assert_eq!(fleet.model_counts().values().sum::<usize>(), 2);
    }
}
