//! The policies compared: gpubook's planner, and the baselines it must beat. Each is the same planner on a
//! changed fleet or configuration, so the comparison measures packing and nothing else.

use model::{Catalog, Definitions, Fleet, Gpu, Node, Reconfiguration, ShapeKey, Want};
use planner::{Config, Packing};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// The planner as it runs: MIG-aware packing over time with fragmentation awareness and late binding.
    Gpubook,
    /// Every request gets whole GPUs, no MIG: today's status quo.
    WholeGpu,
    /// Each MIG-capable GPU keeps one fixed layout (its model's balanced maximal layout); first fit.
    StaticMig,
    /// Dynamic MIG, taking the first free slot (no fragmentation awareness).
    FirstFit,
}

impl Policy {
    pub const ALL: [Policy; 4] = [Policy::Gpubook, Policy::WholeGpu, Policy::StaticMig, Policy::FirstFit];

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Gpubook => "gpubook",
            Policy::WholeGpu => "whole-gpu",
            Policy::StaticMig => "static-mig",
            Policy::FirstFit => "first-fit",
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The definitions and planner configuration this policy runs on.
    pub(crate) fn setup(self, defs: &Definitions, catalog: &Catalog, base: &Config) -> (Definitions, Config) {
        let mut defs = defs.clone();
        // Simulations want the verdict only: a refusal is not followed by a search for a later start.
        let mut config = Config { search_not_before: false, ..base.clone() };
        match self {
            Policy::Gpubook => {}
            Policy::FirstFit => config.packing = Packing::FirstFit,
            Policy::WholeGpu => {
                for size in defs.sizes.values_mut() {
                    size.shapes = size.shapes.iter().map(|k| ShapeKey::whole(&k.model)).collect();
                }
                defs.fleet =
                    refit(&defs.fleet, |g| Gpu { reconfiguration: Reconfiguration::Static, layout: None, ..g });
            }
            Policy::StaticMig => {
                config.packing = Packing::FirstFit;
                defs.fleet = refit(&defs.fleet, |g| {
                    let Some(geo) = catalog.get(g.model.as_str()).and_then(|m| m.mig.as_ref()) else { return g };
                    let layouts = geo.maximal_layouts();
                    let balanced = layouts.iter().find(|l| geo.config_name(l) == "all-balanced").or(layouts.first());
                    Gpu { reconfiguration: Reconfiguration::Static, layout: balanced.cloned(), ..g }
                });
            }
        }
        (defs, config)
    }

    /// What a request asks for under this policy: whole GPUs of the same model for `whole-gpu`.
    pub(crate) fn want(self, want: &Want) -> Want {
        match (self, want) {
            (Policy::WholeGpu, Want::Shape(k)) => Want::Shape(ShapeKey::whole(&k.model)),
            _ => want.clone(),
        }
    }
}

fn refit(fleet: &Fleet, f: impl Fn(Gpu) -> Gpu) -> Fleet {
    let nodes: Vec<Node> =
        fleet.nodes().map(|n| Node { name: n.name.clone(), gpus: n.gpus.iter().cloned().map(&f).collect() }).collect();
    Fleet::new(nodes).expect("the same nodes and GPUs as a valid fleet")
}
