-- Units, demand, the audit log and idempotency keys (PostgreSQL).
CREATE TABLE units (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('department', 'office', 'court', 'school', 'outsourced', 'other')),
    parent_id TEXT REFERENCES units (id),
    legal_entity_id TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE demands (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units (id),
    category TEXT NOT NULL CHECK (category IN ('vehicle', 'printer', 'pc')),
    spec TEXT NOT NULL,
    cpv TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    unit_price_chf BIGINT NOT NULL CHECK (unit_price_chf BETWEEN 1 AND 10000000),
    needed_by DATE NOT NULL,
    budget_year INTEGER NOT NULL,
    delivery_site TEXT,
    justification TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'bundled', 'withdrawn')),
    proposal_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX demands_by_unit ON demands (unit_id, created_at, id);
CREATE INDEX demands_by_status ON demands (status, budget_year);
CREATE INDEX demands_by_created ON demands (created_at, id);

CREATE TABLE audit_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_entity ON audit_log (entity_id, seq);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    location TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
