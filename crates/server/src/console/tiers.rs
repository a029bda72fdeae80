//! What a user can book, as the console lists it: each size, then each model's whole GPU and MIG profiles
//! ("tiers"), limited to what the project may book; and the projects the user can book or read in.

use model::{Catalog, Definitions, ShapeKey, Want};

use crate::auth::Principal;

/// One bookable tier: a size or an exact shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tier {
    /// `size:gpu-small` or `shape:H100-80GB/1g.10gb`, the form value.
    pub(crate) key: String,
    pub(crate) label: String,
    /// A column heading: the size's name, or model and profile.
    pub(crate) short: String,
    pub(crate) want: Want,
}

impl Tier {
    pub(crate) fn parse(key: &str) -> Option<Want> {
        if let Some(size) = key.strip_prefix("size:") {
            return Some(Want::Size(size.to_string()));
        }
        key.strip_prefix("shape:")?.parse::<ShapeKey>().ok().map(Want::Shape)
    }
}

/// The tiers `project` may book, sizes first.
pub(crate) fn tiers(defs: &Definitions, catalog: &Catalog, project: &str) -> Vec<Tier> {
    let allowed_sizes = defs.projects.get(project).and_then(|p| p.sizes.clone());
    let size_ok = |name: &str| allowed_sizes.as_ref().is_none_or(|s| s.contains(name));
    let mut out: Vec<Tier> = defs
        .sizes
        .values()
        .filter(|s| size_ok(&s.name))
        .map(|s| Tier {
            key: format!("size:{}", s.name),
            label: match &s.description {
                Some(d) => format!("{} — {d}", s.name),
                None => s.name.clone(),
            },
            short: s.name.clone(),
            want: Want::Size(s.name.clone()),
        })
        .collect();
    let models: std::collections::BTreeSet<&model::ModelKey> = defs.fleet.gpus().map(|g| &g.model).collect();
    // Whole GPUs and profiles only of the models the project has quota for.
    let quota = |m: &model::ModelKey| defs.projects.get(project).is_some_and(|p| p.quotas.contains_key(m));
    for m in models.into_iter().filter(|m| quota(m)) {
        let Some(gm) = catalog.get(m.as_str()) else { continue };
        let mut shapes = vec![ShapeKey::whole(m)];
        if let Some(geo) = &gm.mig {
            shapes.extend(geo.profiles.iter().map(|p| ShapeKey::mig(m, &p.name)));
        }
        for key in shapes {
            let in_allowed = defs.sizes.values().any(|s| size_ok(&s.name) && s.shapes.contains(&key));
            if allowed_sizes.is_some() && !in_allowed {
                continue;
            }
            let profile = key.profile.clone().unwrap_or_else(|| "whole GPU".into());
            let label = format!("{} — {profile}", key.model);
            let short = format!("{} {profile}", key.model);
            out.push(Tier { key: format!("shape:{key}"), label, short, want: Want::Shape(key) });
        }
    }
    out
}

/// The projects the user can see, in name order; `book` keeps those it may book in.
pub(crate) fn projects(defs: &Definitions, who: &Principal, book: bool) -> Vec<String> {
    defs.projects.keys().filter(|p| if book { who.can_book(p) } else { who.can_read(p) }).cloned().collect()
}
