//! What the engine holds in memory: the declared objects, the planner with every booking, the idempotency
//! records. Loaded from the store at start; after that the engine is its only writer.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use api::Document;
use api::manifest::Located;
use api::record::{BookingRecord, RecordError};
use model::{Booking, BookingId, Catalog, Definitions, Instant, PriceVersion, Prices};
use planner::{Config, Planner};
use store::{Batch, BookingRow, ObjectChange, ObjectRow, PriceVersionRow, Snapshot};

use super::replay::{Replay, ReplayRowError};
use crate::auth::{Principal, Tokens};

pub struct State {
    pub catalog: Catalog,
    pub config: Config,
    /// The declared objects by (kind, name).
    pub docs: BTreeMap<(String, String), Document>,
    /// Warnings from resolving the declared objects (sizes that match nothing, say).
    pub warnings: Vec<String>,
    pub planner: Planner,
    /// Completed or ended bookings that a definitions change left without their GPU or project: kept to be
    /// listed, no longer on the calendar.
    pub archive: BTreeMap<BookingId, Booking>,
    /// By (scope, key); the scope is `<token-id>/<project>` (see `replay::idempotency_scope`).
    pub idempotency: HashMap<(String, String), Replay>,
    /// Tokens created and revoked by decisions since the state was loaded, committed or not yet: with the
    /// shared token table (which handlers change only once a commit is durable) they are the live tokens
    /// at this point of the engine's order (see [`State::live_tokens`]).
    pub tokens_issued: BTreeMap<String, Principal>,
    pub tokens_revoked: BTreeSet<String>,
    /// The price list's history (append-only): what the ledger prices each instant with.
    pub prices: Prices,
}

/// Why the stored state cannot be loaded: a stored object (or the demo set) that does not parse or resolve,
/// or a booking, idempotency or price version row that cannot be read back. None of them goes away by retrying.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] api::ManifestError),
    /// A booking row whose document is not a booking record.
    #[error("booking {id}: stored document: {error}")]
    Document { id: i64, error: serde_json::Error },
    /// A booking record that no longer matches the catalog, or is malformed.
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Replay(#[from] ReplayRowError),
    /// A stored price version that holds no price list.
    #[error("price version {seq}: {what}")]
    PriceVersion { seq: i64, what: String },
}

/// Resolves documents into definitions, naming the document and field on error.
pub fn resolve_docs(
    docs: &BTreeMap<(String, String), Document>,
    catalog: &Catalog,
) -> Result<(Definitions, Vec<String>), api::ManifestError> {
    let located: Vec<Located> = docs
        .iter()
        .enumerate()
        .map(|(i, ((kind, name), doc))| Located { file: format!("{kind}/{name}"), document: i + 1, doc: doc.clone() })
        .collect();
    api::resolve(&located, catalog)
}

impl State {
    /// Builds the state from what the store holds. With `demo` and no declared objects yet, the demo fleet
    /// is loaded and returned as a batch to persist.
    pub fn load(snapshot: Snapshot, catalog: Catalog, config: Config, demo: bool) -> Result<(State, Batch), LoadError> {
        let mut docs = BTreeMap::new();
        for row in &snapshot.objects {
            let parsed = api::parse_manifests(&format!("{}/{}", row.kind, row.name), &row.doc)?;
            for l in parsed {
                docs.insert((l.doc.kind().to_string(), l.doc.name().to_string()), l.doc);
            }
        }
        let mut seed = Batch::default();
        if docs.is_empty() && demo {
            for l in api::parse_manifests("demo.yaml", api::demo::MANIFEST)? {
                seed.objects.push(ObjectChange::Put(object_row(&l.doc)));
                docs.insert((l.doc.kind().to_string(), l.doc.name().to_string()), l.doc);
            }
        }
        let (defs, warnings) = resolve_docs(&docs, &catalog)?;
        let mut planner = Planner::new(catalog.clone(), defs, config.clone());
        let mut archive = BTreeMap::new();
        let mut stored = Vec::with_capacity(snapshot.bookings.len());
        for row in &snapshot.bookings {
            let record: BookingRecord =
                serde_json::from_str(&row.doc).map_err(|error| LoadError::Document { id: row.id, error })?;
            stored.push(record.to_booking(&catalog)?);
        }
        for (booking, e) in planner.restore_all(stored) {
            tracing::warn!(booking = %booking.id, "kept out of the calendar: {e}");
            archive.insert(booking.id, booking);
        }
        if let Err(e) = planner.check_invariants() {
            tracing::warn!("the stored calendar breaks an invariant: {e}");
        }
        let idempotency = snapshot
            .idempotency
            .iter()
            .map(|r| Replay::of_row(r).map(|replay| ((r.subject.clone(), r.key.clone()), replay)))
            .collect::<Result<_, _>>()?;
        let mut versions = Vec::with_capacity(snapshot.price_versions.len());
        for row in &snapshot.price_versions {
            versions.push(PriceVersion { applied_at: Instant(row.applied_at), list: price_version(row, &catalog)? });
        }
        let state = State {
            prices: Prices::new(versions),
            catalog,
            config,
            docs,
            warnings,
            planner,
            archive,
            idempotency,
            tokens_issued: BTreeMap::new(),
            tokens_revoked: BTreeSet::new(),
        };
        Ok((state, seed))
    }

    /// The tokens that work once everything decided so far is committed, by id: the shared table's, plus
    /// those issued and less those revoked by earlier decisions (whose handlers have not updated the table
    /// yet). Decisions about tokens read this, so two in one batch see each other.
    pub fn live_tokens(&self, shared: &Tokens) -> BTreeMap<String, Principal> {
        let mut live: BTreeMap<String, Principal> = shared.all().into_iter().map(|p| (p.token_id.clone(), p)).collect();
        live.extend(self.tokens_issued.iter().map(|(id, p)| (id.clone(), p.clone())));
        live.retain(|id, _| !self.tokens_revoked.contains(id));
        live
    }

    pub fn defs(&self) -> &Definitions {
        self.planner.definitions()
    }

    /// A booking, from the calendar or the archive.
    pub fn booking(&self, id: BookingId) -> Option<&Booking> {
        self.planner.booking(id).or_else(|| self.archive.get(&id))
    }

    /// Every booking, by id.
    pub fn all_bookings(&self) -> Vec<&Booking> {
        let mut all: Vec<&Booking> = self.planner.bookings().chain(self.archive.values()).collect();
        all.sort_by_key(|b| b.id);
        all
    }

    /// The GPU's UUID, when the fleet knows it.
    pub fn uuid(&self, gpu: &model::GpuId) -> Option<String> {
        self.defs().fleet.gpu(gpu).and_then(|g| g.uuid.clone())
    }

    pub fn view(&self, b: &Booking, now: Instant) -> api::rest::BookingView {
        let namespace = self.defs().projects.get(&b.request.project).map(|p| p.namespace.as_str());
        api::rest::BookingView::of(b, &self.catalog, |g| self.uuid(g), namespace, now)
    }
}

/// A stored price version's list (`None`: deleted then).
fn price_version(row: &PriceVersionRow, catalog: &Catalog) -> Result<Option<model::PriceList>, LoadError> {
    if row.doc.is_empty() {
        return Ok(None);
    }
    let parsed = api::parse_manifests(&format!("price version {}", row.seq), &row.doc)?;
    let not_a_list = |what: String| LoadError::PriceVersion { seq: row.seq, what };
    let located = parsed.first().ok_or_else(|| not_a_list("no document".into()))?;
    match &located.doc {
        Document::PriceList(p) => Ok(Some(api::manifest::price::price_list(located, p, catalog)?)),
        other => Err(not_a_list(format!("a {} document", other.kind()))),
    }
}

/// The row that records a new price version: the declared PriceList document, or none.
pub fn price_version_row(seq: usize, at: Instant, doc: Option<&Document>) -> PriceVersionRow {
    PriceVersionRow {
        seq: i64::try_from(seq).unwrap_or(i64::MAX),
        applied_at: at.0,
        doc: doc.map(Document::to_yaml).unwrap_or_default(),
    }
}

pub fn object_row(doc: &Document) -> ObjectRow {
    ObjectRow { kind: doc.kind().into(), name: doc.name().into(), doc: doc.to_yaml() }
}

pub fn booking_row(b: &Booking, catalog: &Catalog) -> BookingRow {
    let record = BookingRecord::of(b, catalog);
    BookingRow {
        id: i64::try_from(b.id.0).unwrap_or(i64::MAX),
        project: b.request.project.clone(),
        owner: b.request.owner.clone(),
        state: b.ended.as_ref().map_or("holding", |s| s.as_str()).into(),
        starts_at: b.window().start.0,
        ends_at: b.window().end.0,
        doc: serde_json::to_string(&record).unwrap_or_default(),
    }
}

pub fn audit(now: Instant, actor: &Principal, action: &str, target: &str, detail: String) -> store::AuditRow {
    store::AuditRow {
        seq: 0,
        at: now.0,
        actor: format!("{} ({})", actor.subject, actor.token_id),
        action: action.into(),
        target: target.into(),
        detail,
    }
}
