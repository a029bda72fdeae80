//! From parsed documents to checked [`Definitions`], against the catalog.

use std::collections::{BTreeMap, BTreeSet};

use model::allowance::{MAX_BYTES, MAX_CPU_MILLI, parse_quantity_milli};
use model::fleet::FleetError;
use model::names::check_dns_subdomain;
use model::size::DEFAULT_SIZES;
use model::{
    Allowance, Catalog, Cohort, Definitions, Fleet, Gpu, GpuId, GpuModel, Layout, Limits, MigGeometry, Node, Project,
    Quota, Reconfiguration, Size, Slices,
};

use super::docs::{AllowanceDoc, GpuGroupDoc, LayoutDoc, NodeDoc, ProjectDoc, QuantityDoc, SizeDoc};
use super::{Document, Located, ManifestError};
use crate::duration::parse_duration;

/// Checks documents against the catalog and each other. The default sizes are defined unless a document
/// redefines them. Returns the definitions and warnings worth showing (each prefixed with its location).
pub fn resolve(docs: &[Located], catalog: &Catalog) -> Result<(Definitions, Vec<String>), ManifestError> {
    let mut seen = BTreeSet::new();
    for d in docs {
        if !seen.insert((d.doc.kind(), d.doc.name().to_string())) {
            return Err(d.error("name", "is defined twice"));
        }
    }
    let mut defs = Definitions::default();
    let mut warnings = Vec::new();
    for (name, description, selector) in DEFAULT_SIZES {
        let r = selector::resolve_size(name, Some(description.to_string()), selector, catalog)
            .expect("the default sizes are valid (tested)");
        defs.sizes.insert(name.to_string(), r.size);
    }
    let mut nodes = Vec::new();
    for d in docs {
        match &d.doc {
            Document::Node(n) => nodes.push(node(d, n, catalog)?),
            Document::Size(s) => {
                let (size, w) = size(d, s, catalog)?;
                warnings.extend(
                    w.into_iter().map(|w| format!("{}: document {} (Size {}): {w}", d.file, d.document, s.name)),
                );
                defs.sizes.insert(size.name.clone(), size);
            }
            Document::Cohort(c) => {
                defs.cohorts.insert(c.name.clone(), Cohort { name: c.name.clone(), parent: c.parent.clone() });
            }
            Document::Project(p) => {
                defs.projects.insert(p.name.clone(), project(d, p, catalog)?);
            }
            Document::PriceList(p) => {
                if let Some(other) = &defs.price_list {
                    return Err(d.error(
                        "name",
                        format!("a second PriceList; only one is in force and {:?} is declared", other.name),
                    ));
                }
                defs.price_list = Some(super::price::price_list(d, p, catalog)?);
            }
        }
    }
    defs.fleet = Fleet::new(nodes).map_err(|e: FleetError| locate(docs, "Node", &e.node).error(e.field, e.reason))?;
    defs.check().map_err(|e| locate(docs, e.kind, &e.name).error(e.field, e.reason))?;
    Ok((defs, warnings))
}

fn locate<'a>(docs: &'a [Located], kind: &str, name: &str) -> &'a Located {
    docs.iter()
        .find(|d| d.doc.kind() == kind && d.doc.name() == name)
        .expect("errors name objects that came from a document")
}

fn known_models(catalog: &Catalog) -> String {
    catalog.keys().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

fn model<'a>(d: &Located, field: &str, key: &str, catalog: &'a Catalog) -> Result<&'a GpuModel, ManifestError> {
    catalog
        .get(key)
        .ok_or_else(|| d.error(field, format!("unknown GPU model {key:?}; the catalog has {}", known_models(catalog))))
}

fn node(d: &Located, n: &NodeDoc, catalog: &Catalog) -> Result<Node, ManifestError> {
    check_dns_subdomain(&n.name).map_err(|r| d.error("name", r))?;
    let mut gpus = Vec::new();
    let mut next_index = 0;
    for (i, g) in n.gpus.iter().enumerate() {
        let field = |f: &str| format!("gpus[{i}].{f}");
        let m = model(d, &field("model"), &g.model, catalog)?;
        let reconfiguration = reconfiguration(d, &field("reconfiguration"), g, m)?;
        let layout = match (&g.layout, &m.mig) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(d.error(field("layout"), format!("{} has no MIG; leave the layout out", m.key)));
            }
            (Some(l), Some(geometry)) => Some(layout(geometry, l).map_err(|r| d.error(field("layout"), r))?),
        };
        let devices: Vec<(u32, Option<String>)> = match (g.count, &g.devices) {
            (Some(_), Some(_)) => return Err(d.error(field("count"), "give either count or devices, not both")),
            (None, None) => return Err(d.error(field("count"), "give a count or a list of devices")),
            (Some(0), None) => return Err(d.error(field("count"), "must be at least 1")),
            (Some(c), None) if c > 1024 => return Err(d.error(field("count"), "more than 1024 GPUs on one node")),
            (Some(c), None) => (next_index..next_index + c).map(|i| (i, None)).collect(),
            (None, Some(list)) => list.iter().map(|x| (x.index, x.uuid.clone())).collect(),
        };
        for (index, uuid) in devices {
            next_index = next_index.max(index + 1);
            gpus.push(Gpu {
                id: GpuId { node: n.name.clone(), index },
                model: m.key.clone(),
                uuid,
                reconfiguration,
                layout: layout.clone(),
            });
        }
    }
    Ok(Node { name: n.name.clone(), gpus })
}

fn reconfiguration(d: &Located, field: &str, g: &GpuGroupDoc, m: &GpuModel) -> Result<Reconfiguration, ManifestError> {
    let parsed = match g.reconfiguration.as_deref() {
        None if m.mig.is_some() => Reconfiguration::PerGpu,
        None => Reconfiguration::Static,
        Some(s) => Reconfiguration::parse(s)
            .ok_or_else(|| d.error(field, format!("{s:?} is not one of dynamic, per-gpu, static")))?,
    };
    if m.mig.is_none() && parsed != Reconfiguration::Static {
        return Err(
            d.error(field, format!("{} has no MIG, so its layout never changes: use static or leave it out", m.key))
        );
    }
    Ok(parsed)
}

/// Reads a layout in any of its three spellings and checks it against the geometry.
pub(crate) fn layout(geometry: &MigGeometry, doc: &LayoutDoc) -> Result<Layout, String> {
    let items: Vec<(String, u32)> = match doc {
        LayoutDoc::Text(t) if !t.contains('@') => {
            return geometry.layout_named(t.trim()).ok_or_else(|| {
                format!("{t:?} is not a layout name this model has (all-enabled, all-balanced, all-<profile>)")
            });
        }
        LayoutDoc::Text(t) => t
            .split_whitespace()
            .map(|item| {
                let (p, s) = item.split_once('@').ok_or_else(|| format!("{item:?} is not profile@start"))?;
                let start = s.parse().map_err(|_| format!("{item:?}: {s:?} is not a start unit"))?;
                Ok((p.to_string(), start))
            })
            .collect::<Result<_, String>>()?,
        LayoutDoc::List(list) => list.iter().map(|i| (i.profile.clone(), i.start)).collect(),
    };
    let placements = items
        .iter()
        .map(|(p, s)| geometry.placement(p, *s).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let layout = Layout::new(placements);
    geometry.validate(&layout).map_err(|e| e.to_string())?;
    Ok(layout)
}

fn size(d: &Located, s: &SizeDoc, catalog: &Catalog) -> Result<(Size, Vec<String>), ManifestError> {
    check_dns_subdomain(&s.name).map_err(|r| d.error("name", r))?;
    let allowance = s.allowance.as_ref().map(|a| allowance(d, a)).transpose()?;
    let r = selector::resolve_size(&s.name, s.description.clone(), &s.selector, catalog)
        .map_err(|e| d.error("selector", e.to_string()))?;
    Ok((Size { allowance, ..r.size }, r.warnings))
}

/// An allowance, each quantity positive and within its bound; memory and storage in whole bytes.
fn allowance(d: &Located, a: &AllowanceDoc) -> Result<Allowance, ManifestError> {
    let quantity = |field: &str, q: &QuantityDoc, max_milli: u64, whole: bool| {
        let text = q.text();
        let v = parse_quantity_milli(&text).map_err(|r| d.error(format!("allowance.{field}"), r))?;
        let reason = if v == 0 {
            Some("must be more than zero".to_string())
        } else if v > max_milli {
            Some(format!("{text:?} is more than one device may bring"))
        } else if whole && !v.is_multiple_of(1000) {
            Some(format!("{text:?} is not a whole number of bytes"))
        } else {
            None
        };
        match reason {
            Some(r) => Err(d.error(format!("allowance.{field}"), r)),
            None => Ok(if whole { v / 1000 } else { v }),
        }
    };
    let bytes = MAX_BYTES.saturating_mul(1000);
    Ok(Allowance {
        cpu_milli: quantity("cpu", &a.cpu, MAX_CPU_MILLI, false)?,
        memory_bytes: quantity("memory", &a.memory, bytes, true)?,
        ephemeral_bytes: a
            .ephemeral_storage
            .as_ref()
            .map(|e| quantity("ephemeralStorage", e, bytes, true))
            .transpose()?,
    })
}

fn project(d: &Located, p: &ProjectDoc, catalog: &Catalog) -> Result<Project, ManifestError> {
    let mut quotas = BTreeMap::new();
    for (i, q) in p.quota.iter().enumerate() {
        let field = |f: &str| format!("quota[{i}].{f}");
        let m = model(d, &field("model"), &q.model, catalog)?;
        let slices = |f: &str, v: f64| Slices::from_gpus(v, m.units()).map_err(|r| d.error(field(f), r));
        let quota = Quota {
            model: m.key.clone(),
            nominal: slices("nominal", q.nominal)?,
            borrowing_limit: q.borrowing_limit.map(|v| slices("borrowingLimit", v)).transpose()?,
            lending_limit: q.lending_limit.map(|v| slices("lendingLimit", v)).transpose()?,
        };
        if quotas.insert(m.key.clone(), quota).is_some() {
            return Err(d.error(field("model"), format!("{} has two quota entries", m.key)));
        }
    }
    let limits = p.limits.as_ref().map_or(Ok(Limits::default()), |l| {
        let secs = |f: &str, v: &Option<String>| {
            v.as_deref().map(parse_duration).transpose().map_err(|r| d.error(format!("limits.{f}"), r))
        };
        if l.max_devices == Some(0) {
            return Err(d.error("limits.maxDevices", "must be at least 1"));
        }
        Ok(Limits {
            max_devices: l.max_devices,
            max_duration_s: secs("maxDuration", &l.max_duration)?,
            max_lead_s: secs("maxAhead", &l.max_ahead)?,
        })
    })?;
    Ok(Project {
        name: p.name.clone(),
        namespace: p.namespace.clone().unwrap_or_else(|| p.name.clone()),
        cohort: p.cohort.clone(),
        priority: p.priority,
        quotas,
        sizes: p.sizes.as_ref().map(|s| s.iter().cloned().collect()),
        limits,
    })
}
