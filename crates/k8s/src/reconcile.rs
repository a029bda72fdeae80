//! Makes a cluster match the rendered objects with server-side apply (forced, under one field manager) and
//! deletes the owned objects (found by the managed-by label) that are no longer rendered.
//!
//! Level-triggered: every pass lists what gpubook owns in the cluster now, so an object that is missing is
//! applied again and one that should go is deleted, whatever happened before. Objects unchanged since this
//! reconciler last applied them and still present are not sent again, except on a resync pass (every
//! `resync_every` passes), which applies everything and so also undoes edits others made to gpubook's fields.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, ResourceExt};
use serde_json::Value;

use crate::object::{Kind, Object};
use crate::render::Options;
use crate::render::names::MANAGED_BY;

/// The field manager of every apply: gpubook owns the fields it renders and nothing else.
pub const FIELD_MANAGER: &str = "gpubook";

type Key = (Kind, Option<String>, String);
/// `(namespace, name)` of the owned objects of a kind the API server listed.
type Listed = BTreeSet<(Option<String>, String)>;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub applied: usize,
    /// Objects present and unchanged since they were last applied: not sent.
    pub unchanged: usize,
    /// `Kind namespace/name` of each object deleted.
    pub deleted: Vec<String>,
    /// One line per failed call; the pass went on with the others.
    pub errors: Vec<String>,
}

pub struct Reconciler {
    client: Client,
    opts: Options,
    resync_every: u32,
    /// Bodies as last applied successfully, and passes since the last resync.
    memory: Mutex<(BTreeMap<Key, Value>, u32)>,
}

impl Reconciler {
    /// `opts` must be those the objects were rendered with: skipped kinds are neither listed nor deleted,
    /// and ConfigMaps are looked for only in the MIG namespace. Resyncs every 40 passes (10 minutes at the
    /// default 15-second interval).
    pub fn new(client: Client, opts: Options) -> Reconciler {
        Reconciler { client, opts, resync_every: 40, memory: Mutex::new((BTreeMap::new(), 0)) }
    }

    /// Every `n`th pass applies every object (1: every pass).
    pub fn with_resync_every(mut self, n: u32) -> Reconciler {
        self.resync_every = n.max(1);
        self
    }

    /// One pass: (1) list gpubook's objects of each owned kind, (2) apply the desired objects that changed,
    /// are missing, or all of them on a resync pass, in order, (3) delete the listed objects not desired,
    /// dependants first.
    pub async fn reconcile(&self, desired: &[Object]) -> Report {
        let mut report = Report::default();
        let mut existing: BTreeMap<Kind, Option<Listed>> = BTreeMap::new();
        for kind in self.managed().rev() {
            let listed = match self.list_owned(kind).await {
                Ok(list) => Some(list),
                Err(e) if unreachable(&e) => return self.abandon(report, format!("list {kind}: {e}")),
                Err(e) => {
                    report.errors.push(format!("list {kind}: {e}"));
                    None
                }
            };
            existing.insert(kind, listed);
        }
        let (last, resync) = {
            let mut m = self.memory.lock().expect("not poisoned");
            m.1 = (m.1 + 1) % self.resync_every;
            // Taken, not copied: this pass writes what it applied back below (or leaves it empty if abandoned).
            (std::mem::take(&mut m.0), m.1 == 0)
        };
        let mut applied = BTreeMap::new();
        for o in desired {
            let key: Key = (o.kind, o.namespace.clone(), o.name.clone());
            let present = match existing.get(&o.kind) {
                Some(Some(list)) => list.contains(&(key.1.clone(), key.2.clone())),
                Some(None) => false,
                None => true, // nodes are not listed: they exist or the apply fails
            };
            if !resync && present && last.get(&key) == Some(&o.body) {
                report.unchanged += 1;
                applied.insert(key, o.body.clone());
                continue;
            }
            match self.apply(o).await {
                Ok(()) => {
                    report.applied += 1;
                    applied.insert(key, o.body.clone());
                }
                Err(e) => {
                    let line = format!("apply {} {}: {e}", o.kind, path(o.namespace.as_deref(), &o.name));
                    if unreachable(&e) {
                        return self.abandon(report, line);
                    }
                    report.errors.push(line);
                }
            }
        }
        self.memory.lock().expect("not poisoned").0 = applied;
        let wanted: BTreeSet<(Kind, Option<&str>, &str)> = desired.iter().map(Object::key).collect();
        for (kind, listed) in existing.iter().rev() {
            let stale = listed.iter().flatten().filter(|(ns, n)| !wanted.contains(&(*kind, ns.as_deref(), n.as_str())));
            for (ns, name) in stale {
                match self.api(*kind, ns.as_deref()).delete(name, &DeleteParams::default()).await {
                    Ok(_) => report.deleted.push(format!("{kind} {}", path(ns.as_deref(), name))),
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) if unreachable(&e) => {
                        return self.abandon(report, format!("delete {kind} {}: {e}", path(ns.as_deref(), name)));
                    }
                    Err(e) => report.errors.push(format!("delete {kind} {}: {e}", path(ns.as_deref(), name))),
                }
            }
        }
        report
    }

    /// Ends a pass the API server stopped answering: every further call would fail the same way. What was
    /// applied is forgotten, so the next pass sends everything again.
    fn abandon(&self, mut report: Report, error: String) -> Report {
        report.errors.push(format!("{error}; pass abandoned"));
        self.memory.lock().expect("not poisoned").0.clear();
        report
    }

    /// The owned kinds this reconciler lists and deletes, in apply order.
    fn managed(&self) -> impl DoubleEndedIterator<Item = Kind> + '_ {
        Kind::ALL.into_iter().filter(|k| k.owned() && !self.opts.skip.contains(k))
    }

    async fn apply(&self, o: &Object) -> Result<(), kube::Error> {
        let api = self.api(o.kind, o.namespace.as_deref());
        let params = PatchParams::apply(FIELD_MANAGER).force();
        match api.patch(&o.name, &params, &Patch::Apply(&o.body)).await {
            // A ResourceClaimTemplate's spec and an Event's fields are immutable: replace the object. Claims
            // already made from a template keep what they were made with; new pods get the new one.
            Err(kube::Error::Api(s)) if s.code == 422 && o.kind.immutable() => {
                api.delete(&o.name, &DeleteParams::default()).await?;
                api.patch(&o.name, &params, &Patch::Apply(&o.body)).await.map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    async fn list_owned(&self, kind: Kind) -> Result<Listed, kube::Error> {
        let api = match kind {
            Kind::ConfigMap => self.api(kind, Some(&self.opts.mig_namespace)),
            _ => self.api(kind, None),
        };
        let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
        let list = api.list(&ListParams::default().labels(&selector)).await?;
        Ok(list.items.iter().map(|o| (o.namespace(), o.name_any())).collect())
    }

    /// The API of a kind: in `namespace` when given, else cluster-wide (all namespaces for namespaced kinds).
    fn api(&self, kind: Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let (group, version, plural) = kind.api();
        let gvk = GroupVersionKind::gvk(group, version, kind.name());
        let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }
}

/// Whether the API server could not be reached at all (rather than refusing one call).
fn unreachable(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Service(_) | kube::Error::HyperError(_))
}

fn path(namespace: Option<&str>, name: &str) -> String {
    namespace.map_or_else(|| name.to_string(), |ns| format!("{ns}/{name}"))
}

/// When the next pass runs: `interval` after a clean pass; after failures, doubling from `first` up to
/// `max`, so a broken API server is not hammered and a transient error is retried soon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub interval: Duration,
    pub first: Duration,
    pub max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(interval: Duration, first: Duration, max: Duration) -> Backoff {
        Backoff { interval, first, max, failures: 0 }
    }

    /// The wait before the next pass, given whether this one was clean.
    pub fn next(&mut self, clean: bool) -> Duration {
        if clean {
            self.failures = 0;
            return self.interval;
        }
        self.failures = self.failures.saturating_add(1);
        let doubled = self.first.saturating_mul(1u32 << (self.failures - 1).min(20));
        doubled.min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_maximum_and_resets_after_a_clean_pass() {
        let mut b = Backoff::new(Duration::from_secs(15), Duration::from_secs(1), Duration::from_secs(300));
        let waits: Vec<u64> = (0..11).map(|_| b.next(false).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(b.next(true).as_secs(), 15);
        assert_eq!(b.next(false).as_secs(), 1);
        for _ in 0..100 {
            b.next(false);
        }
        assert_eq!(b.next(false).as_secs(), 300, "no overflow after many failures");
    }
}
