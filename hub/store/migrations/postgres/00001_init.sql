-- +goose Up
-- Resident snapshot synced from the district platform (proactive scan).
CREATE TABLE residents (
    id_number           TEXT PRIMARY KEY,
    name                TEXT NOT NULL DEFAULT '',
    sex                 TEXT NOT NULL DEFAULT '' CHECK (sex IN ('', 'M', 'F')),
    birth_date          TEXT NOT NULL DEFAULT '',            -- YYYY-MM-DD, sorts as a date
    hukou_type          TEXT NOT NULL DEFAULT '',
    village             TEXT NOT NULL DEFAULT '',            -- 12-digit division code
    household_id        TEXT NOT NULL DEFAULT '',
    relation            TEXT NOT NULL DEFAULT '',
    deceased            BOOLEAN NOT NULL DEFAULT FALSE,
    dibao               BOOLEAN NOT NULL DEFAULT FALSE,
    tekun               BOOLEAN NOT NULL DEFAULT FALSE,
    disability_category TEXT NOT NULL DEFAULT '',
    disability_grade    INTEGER NOT NULL DEFAULT 0,
    veteran             TEXT NOT NULL DEFAULT '',
    land_mu             DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_seq         BIGINT NOT NULL DEFAULT 0
);
-- text_pattern_ops: serves village = ? and village LIKE 'prefix%' under any collation.
CREATE INDEX residents_village ON residents (village text_pattern_ops);
CREATE INDEX residents_birth_date ON residents (birth_date);
CREATE INDEX residents_household ON residents (household_id);

CREATE TABLE resident_enrolments (
    id_number TEXT NOT NULL REFERENCES residents (id_number) ON DELETE CASCADE,
    item      TEXT NOT NULL,
    PRIMARY KEY (id_number, item)
);
CREATE INDEX resident_enrolments_item ON resident_enrolments (item, id_number);

CREATE TABLE sync_cursors (
    feed       TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE applications (
    id                TEXT PRIMARY KEY,
    item              TEXT NOT NULL,
    applicant_id      TEXT NOT NULL,
    village           TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft','confirmed','in_review','approved','rejected','returned')),
    form              JSONB NOT NULL DEFAULT '{}',
    decision          JSONB NOT NULL DEFAULT '{}',
    awaiting_level    TEXT NOT NULL DEFAULT '',
    awaiting_division TEXT NOT NULL DEFAULT '',
    permit_id         TEXT NOT NULL DEFAULT '',
    created_by        TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX applications_village ON applications (village text_pattern_ops, id);
CREATE INDEX applications_status ON applications (status, id);
CREATE INDEX applications_awaiting ON applications (awaiting_division, status);
CREATE INDEX applications_item ON applications (item, id);
CREATE INDEX applications_applicant ON applications (applicant_id);

CREATE TABLE reviews (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    level          TEXT NOT NULL,
    division       TEXT NOT NULL DEFAULT '',
    action         TEXT NOT NULL CHECK (action IN ('approve','reject','return')),
    comment        TEXT NOT NULL DEFAULT '',
    reviewer       TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviews_application ON reviews (application_id, id);

CREATE TABLE confirmations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id   TEXT NOT NULL REFERENCES applications (id),
    declined_fields  JSONB NOT NULL DEFAULT '[]',
    signature_digest TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX confirmations_application ON confirmations (application_id, id);

CREATE TABLE decisions (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,     -- insertion order, for newest-first paging
    decision_id    TEXT NOT NULL UNIQUE,
    application_id TEXT NOT NULL DEFAULT '',
    item           TEXT NOT NULL DEFAULT '',
    path           TEXT NOT NULL DEFAULT '',
    revision       TEXT NOT NULL DEFAULT '',
    input_digest   TEXT NOT NULL DEFAULT '',
    input          JSON NOT NULL DEFAULT '{}',                -- json keeps the bytes (replay)
    result         JSON NOT NULL DEFAULT '{}',
    requested_by   TEXT NOT NULL DEFAULT '',
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX decisions_application ON decisions (application_id, seq);
CREATE INDEX decisions_item ON decisions (item, seq);

-- Status-list indexes: a sequence never hands out one value twice, across hub processes.
CREATE SEQUENCE permit_status_index_seq AS BIGINT MINVALUE 1;

CREATE TABLE permits (
    id                TEXT PRIMARY KEY,
    application_id    TEXT NOT NULL UNIQUE REFERENCES applications (id),
    token             TEXT NOT NULL,
    kid               TEXT NOT NULL,
    item              TEXT NOT NULL,
    issuer            TEXT NOT NULL,
    issued_at         TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ,
    status            TEXT NOT NULL CHECK (status IN ('active','revoked')),
    revoked_at        TIMESTAMPTZ,
    revocation_reason TEXT NOT NULL DEFAULT '',
    status_list_index BIGINT NOT NULL UNIQUE
);
CREATE INDEX permits_revoked ON permits (status, status_list_index);

CREATE TABLE idempotency_keys (
    caller_sub   TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    completed    BOOLEAN NOT NULL DEFAULT FALSE,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (caller_sub, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

CREATE TABLE audit_entries (
    seq            BIGINT PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    actor_sub      TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    action         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    item           TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    application_id TEXT NOT NULL,
    details        JSON NOT NULL,                            -- json keeps the hashed bytes
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_entries_application ON audit_entries (application_id) WHERE application_id <> '';
CREATE INDEX audit_entries_subject ON audit_entries (subject) WHERE subject <> '';

-- The chain head: one row, locked by every append so appends serialise.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_checkpoints (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq       BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    kid       TEXT NOT NULL,
    signature BYTEA NOT NULL
);

CREATE TABLE data_use (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_digest TEXT NOT NULL,
    sub            TEXT NOT NULL,
    role           TEXT NOT NULL DEFAULT '',
    org            TEXT NOT NULL DEFAULT '',
    item           TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL DEFAULT '',
    application_id TEXT NOT NULL DEFAULT '',
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX data_use_subject ON data_use (subject_digest, id);

CREATE TABLE office_keys (
    kid                   TEXT PRIMARY KEY,
    office                TEXT NOT NULL,
    algorithm             TEXT NOT NULL,
    public_key            BYTEA NOT NULL,
    encrypted_private_key BYTEA,
    created_at            TIMESTAMPTZ NOT NULL,
    not_after             TIMESTAMPTZ,
    status                TEXT NOT NULL CHECK (status IN ('active','retired','revoked'))
);
CREATE INDEX office_keys_office ON office_keys (office, created_at);

-- +goose Down
DROP TABLE office_keys;
DROP TABLE data_use;
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_entries;
DROP TABLE idempotency_keys;
DROP TABLE permits;
DROP SEQUENCE permit_status_index_seq;
DROP TABLE decisions;
DROP TABLE confirmations;
DROP TABLE reviews;
DROP TABLE applications;
DROP TABLE sync_cursors;
DROP TABLE resident_enrolments;
DROP TABLE residents;
