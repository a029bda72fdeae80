//! The rows the store reads and writes: plain text and integers, instants as Unix seconds.

/// A declared object (Node, Size, Cohort, Project, PriceList) as its manifest document.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ObjectRow {
    pub kind: String,
    pub name: String,
    pub doc: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectChange {
    Put(ObjectRow),
    Delete { kind: String, name: String },
}

/// A booking: the columns the store indexes, and the whole record as a document.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BookingRow {
    pub id: i64,
    pub project: String,
    pub owner: String,
    /// `holding`, `cancelled` or `preempted`: what is recorded; confirmed, active and completed follow from the clock.
    pub state: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub doc: String,
}

/// An API token: only its SHA-256 hash is kept.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub hash: String,
    pub subject: String,
    pub role: String,
    /// Comma-separated project names; empty for admin.
    pub projects: String,
    pub created_at: i64,
}

/// What a request with an `Idempotency-Key` did, so that a retry is answered the same: the outcome, not the
/// answer (the server renders the answer again from it).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct IdempotencyRow {
    /// Whose record it is: `<token-id>/<project>`.
    pub subject: String,
    pub key: String,
    pub request_hash: String,
    /// The booking the request created.
    pub booking_id: i64,
    /// The decision's verdict code (`fits`, `fits-by-borrowing`, `fits-after-preempting`).
    pub verdict: String,
    /// The decision's reasons: a JSON array of `{"code", "message"}`.
    pub reasons: String,
    /// The ids of the bookings it preempted, comma-separated.
    pub preempted: String,
    /// The ids of the not-yet-started bookings it moved, comma-separated.
    pub moved: String,
    pub created_at: i64,
}

/// One version of the price list, appended when an apply changes it; never updated.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceVersionRow {
    /// 1, 2, …: the order of application.
    pub seq: i64,
    pub applied_at: i64,
    /// The PriceList document as YAML; empty when the price list was deleted.
    pub doc: String,
}

/// Who did what, when.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// Assigned by the database; ignored on insert.
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// What one commit writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub objects: Vec<ObjectChange>,
    pub bookings: Vec<BookingRow>,
    pub tokens: Vec<TokenRow>,
    /// Ids of tokens to delete (revoked).
    pub revoked: Vec<String>,
    pub idempotency: Vec<IdempotencyRow>,
    pub audit: Vec<AuditRow>,
    pub price_versions: Vec<PriceVersionRow>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
            && self.bookings.is_empty()
            && self.tokens.is_empty()
            && self.revoked.is_empty()
            && self.idempotency.is_empty()
            && self.audit.is_empty()
            && self.price_versions.is_empty()
    }

    pub fn append(&mut self, other: Batch) {
        self.objects.extend(other.objects);
        self.bookings.extend(other.bookings);
        self.tokens.extend(other.tokens);
        self.revoked.extend(other.revoked);
        self.idempotency.extend(other.idempotency);
        self.audit.extend(other.audit);
        self.price_versions.extend(other.price_versions);
    }
}

/// Everything loaded at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub objects: Vec<ObjectRow>,
    pub bookings: Vec<BookingRow>,
    pub tokens: Vec<TokenRow>,
    pub idempotency: Vec<IdempotencyRow>,
    pub price_versions: Vec<PriceVersionRow>,
}
