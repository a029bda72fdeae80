-- gpubook's schema. Instants are Unix seconds; documents are the API's JSON or YAML text.
CREATE TABLE objects (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE bookings (
    id BIGINT PRIMARY KEY,
    project TEXT NOT NULL,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX bookings_project ON bookings (project, starts_at);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    role TEXT NOT NULL,
    projects TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE idempotency (
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subject, key)
);

CREATE TABLE audit (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
