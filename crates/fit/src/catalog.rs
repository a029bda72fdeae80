//! The model catalog compiled into the binary (`data/models.json`): for each model its Hugging Face ids,
//! the published parameter count and an excerpt of its `config.json`, each with where it came from.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::{ConfigError, parse_config};
use crate::spec::ModelSpec;

const BUILTIN: &str = include_str!("../data/models.json");

/// The catalog file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    #[allow(dead_code)]
    description: String,
    models: Vec<Entry>,
}

/// One model: its ids (base and Instruct share an architecture), the parameter count and the config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    ids: Vec<Id>,
    params: u64,
    params_source: String,
    config: serde_json::Value,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Id {
    id: String,
    /// The `config.json` the numbers were read from.
    config_source: String,
}

/// A catalog model with its provenance.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogModel {
    pub spec: ModelSpec,
    pub config_source: String,
    pub params_source: String,
    pub notes: Vec<String>,
}

/// The models gpubook knows by Hugging Face id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelCatalog {
    models: BTreeMap<String, CatalogModel>,
}

/// A catalog entry that does not read: which id and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("model catalog: {id}: {reason}")]
pub struct CatalogEntryError {
    pub id: String,
    pub reason: String,
}

impl ModelCatalog {
    /// The embedded catalog. Its tests prove every entry reads.
    pub fn builtin() -> ModelCatalog {
        ModelCatalog::parse(BUILTIN).expect("the embedded model catalog is valid")
    }

    pub fn parse(text: &str) -> Result<ModelCatalog, CatalogEntryError> {
        let source: Source =
            serde_json::from_str(text).map_err(|e| CatalogEntryError { id: "(file)".into(), reason: e.to_string() })?;
        let mut models = BTreeMap::new();
        for entry in source.models {
            let config = entry.config.to_string();
            for id in &entry.ids {
                let fail = |reason: String| CatalogEntryError { id: id.id.clone(), reason };
                let spec =
                    parse_config(&id.id, &config, Some(entry.params)).map_err(|e: ConfigError| fail(e.to_string()))?;
                let model = CatalogModel {
                    spec,
                    config_source: id.config_source.clone(),
                    params_source: entry.params_source.clone(),
                    notes: entry.notes.clone(),
                };
                if models.insert(id.id.clone(), model).is_some() {
                    return Err(fail("listed twice".into()));
                }
            }
        }
        Ok(ModelCatalog { models })
    }

    /// The model with this id; the case of the letters does not matter.
    pub fn get(&self, id: &str) -> Option<&CatalogModel> {
        self.models.get(id).or_else(|| self.models.iter().find(|(k, _)| k.eq_ignore_ascii_case(id)).map(|(_, m)| m))
    }

    /// Every catalog id, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    pub fn models(&self) -> impl Iterator<Item = &CatalogModel> {
        self.models.values()
    }

    pub fn len(&self) -> usize {
        self.models.len()
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Up to `n` catalog ids closest to `query`: those containing it first, then by edit distance.
    pub fn closest(&self, query: &str, n: usize) -> Vec<&str> {
        let q = query.to_ascii_lowercase();
        let mut scored: Vec<(usize, &str)> = self
            .models
            .keys()
            .map(|id| {
                let lower = id.to_ascii_lowercase();
                let name = lower.rsplit('/').next().unwrap_or(&lower);
                let distance = edit_distance(&q, &lower).min(edit_distance(&q, name));
                let contains = !q.is_empty() && lower.contains(&q);
                (if contains { 0 } else { distance + 1 }, id.as_str())
            })
            .collect();
        scored.sort();
        scored.into_iter().take(n).map(|(_, id)| id).collect()
    }
}

/// Levenshtein distance over characters, on at most 256 of each (ids are short; a long query is not).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(256).collect();
    let b: Vec<char> = b.chars().take(256).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
