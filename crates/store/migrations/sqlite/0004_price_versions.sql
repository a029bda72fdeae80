-- The price list's history, append-only: each apply that changes the price list adds a version, in force
-- from `applied_at` until the next one. `doc` is the PriceList document as YAML, empty when it was deleted.
-- Rows are never updated or deleted, so a report for a closed period never changes (docs/metering.md).
CREATE TABLE price_versions (
    seq BIGINT PRIMARY KEY,
    applied_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
