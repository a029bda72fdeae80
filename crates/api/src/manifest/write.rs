//! Manifests from the model, the inverse of [`super::resolve`] for nodes: what `gpubook fleet discover`
//! prints, so that resolving it gives back the same GPUs.

use model::{Catalog, Gpu, Layout, MigGeometry, Reconfiguration};

use super::docs::{DeviceDoc, GpuGroupDoc, LayoutDoc, NodeDoc};

impl NodeDoc {
    /// A node's GPUs as groups of neighbours with the same model, mode and layout: `count` when their
    /// indices follow on and none has a UUID, `devices` otherwise. The mode is written for MIG models (for
    /// which leaving it out means per-gpu) and left out for the others (always static).
    pub fn of(node: &model::Node, catalog: &Catalog) -> NodeDoc {
        let mut groups: Vec<(Vec<&Gpu>, GpuGroupDoc)> = Vec::new();
        for gpu in &node.gpus {
            let doc = group(gpu, catalog);
            match groups.last_mut() {
                Some((members, last)) if *last == doc => members.push(gpu),
                _ => groups.push((vec![gpu], doc)),
            }
        }
        let mut next = 0;
        let gpus = groups
            .into_iter()
            .map(|(members, mut doc)| {
                let follows = members.iter().enumerate().all(|(i, g)| g.id.index == next + i as u32);
                if follows && members.iter().all(|g| g.uuid.is_none()) {
                    doc.count = Some(members.len() as u32);
                } else {
                    let devices = members.iter().map(|g| DeviceDoc { index: g.id.index, uuid: g.uuid.clone() });
                    doc.devices = Some(devices.collect());
                }
                next = members.iter().map(|g| g.id.index + 1).max().unwrap_or(next).max(next);
                doc
            })
            .collect();
        NodeDoc { name: node.name.clone(), gpus }
    }
}

/// The group a GPU belongs to, without its count or devices.
fn group(gpu: &Gpu, catalog: &Catalog) -> GpuGroupDoc {
    let geometry = catalog.get(gpu.model.as_str()).and_then(|m| m.mig.as_ref());
    let reconfiguration = match (geometry, gpu.reconfiguration) {
        (None, Reconfiguration::Static) => None,
        (_, r) => Some(r.as_str().to_string()),
    };
    GpuGroupDoc {
        model: gpu.model.as_str().to_string(),
        count: None,
        devices: None,
        reconfiguration,
        layout: geometry.zip(gpu.layout.as_ref()).map(|(g, l)| LayoutDoc::Text(layout_text(g, l))),
    }
}

/// The well-known name when it stands for exactly this layout (`all-balanced`), else `profile@start` items.
fn layout_text(g: &MigGeometry, layout: &Layout) -> String {
    g.well_known_name(layout)
        .filter(|name| g.layout_named(name).as_ref() == Some(layout))
        .unwrap_or_else(|| layout.describe(g))
}
