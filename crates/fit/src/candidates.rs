//! The shapes of a fleet as fit candidates: every GPU model present, whole and in each base MIG profile.

use std::collections::BTreeMap;

use model::catalog::Variant;
use model::{Catalog, Definitions, ModelKey, ShapeKind};

use crate::fit::Candidate;

/// One candidate per shape of each GPU model in the fleet (MIG variants such as `+me` left out: they have
/// their base profile's memory), with the sizes that match it and the most GPUs of its model on one node.
pub fn candidates(catalog: &Catalog, defs: &Definitions) -> Vec<Candidate> {
    let mut per_node: BTreeMap<&ModelKey, u32> = BTreeMap::new();
    for node in defs.fleet.nodes() {
        let mut here: BTreeMap<&ModelKey, u32> = BTreeMap::new();
        for gpu in &node.gpus {
            *here.entry(&gpu.model).or_default() += 1;
        }
        for (model, n) in here {
            let most = per_node.entry(model).or_default();
            *most = (*most).max(n);
        }
    }
    let mut out = Vec::new();
    for shape in catalog.shapes() {
        let Some(&gpus) = per_node.get(&shape.key.model) else { continue };
        if shape.key.profile.as_deref().is_some_and(|p| Variant::of(p) != Variant::Base) {
            continue;
        }
        let sizes = defs.sizes.values().filter(|s| s.shapes.contains(&shape.key)).map(|s| s.name.clone()).collect();
        out.push(Candidate {
            shape: shape.key.to_string(),
            memory_bytes: shape.memory.bytes(),
            whole_gpu: shape.kind == ShapeKind::Whole,
            gpus_per_node: gpus,
            sizes,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use model::{Fleet, Gpu, GpuId, Node, Reconfiguration, Size};

    use super::*;

    fn gpu(node: &str, index: u32, model: &str) -> Gpu {
        Gpu {
            id: GpuId { node: node.into(), index },
            model: ModelKey(model.into()),
            uuid: None,
            reconfiguration: Reconfiguration::Dynamic,
            layout: None,
        }
    }

    #[test]
    fn each_shape_of_the_fleet_with_its_sizes_and_the_gpus_on_one_node() {
        let catalog = Catalog::builtin();
        let nodes = vec![
            Node { name: "a".into(), gpus: vec![gpu("a", 0, "H100-80GB"), gpu("a", 1, "H100-80GB")] },
            Node { name: "b".into(), gpus: (0..4).map(|i| gpu("b", i, "H100-80GB")).collect() },
        ];
        let mut defs = Definitions { fleet: Fleet::new(nodes).unwrap(), ..Definitions::default() };
        let small = "H100-80GB/1g.10gb".parse().unwrap();
        defs.sizes.insert(
            "tiny".into(),
            Size {
                name: "tiny".into(),
                description: None,
                selector: "true".into(),
                shapes: BTreeSet::from([small]),
                allowance: None,
            },
        );
        let all = candidates(&catalog, &defs);
        assert!(all.iter().all(|c| c.shape.starts_with("H100-80GB/") && !c.shape.contains("+me")));
        let whole = all.iter().find(|c| c.shape == "H100-80GB/full").unwrap();
        assert!(whole.whole_gpu);
        assert_eq!(whole.gpus_per_node, 4);
        let slice = all.iter().find(|c| c.shape == "H100-80GB/1g.10gb").unwrap();
        assert!(!slice.whole_gpu);
        assert_eq!(slice.sizes, ["tiny"]);
        // The slice's memory is what NVML reports for the profile (`nvidia-smi mig -lgip`), not 10 GB.
        let profile = catalog.get("H100-80GB").unwrap().mig.as_ref().unwrap();
        let p = profile.profile(profile.find("1g.10gb").unwrap());
        assert_eq!(slice.memory_bytes, p.memory.bytes());
    }
}
