-- +goose Up
-- An application holds its subject for its item while it is open (draft, confirmed, in_review,
-- returned) or approved with an active permit: subject_key is then the keyed digest of the
-- subject (store.SubjectDigest; the applicant by default), and NULL once the application is
-- rejected or its permit revoked, or when the item is repeatable. The unique index lets one
-- application at a time hold an (item, subject); NULLs never collide.
ALTER TABLE applications ADD COLUMN subject_key TEXT;
CREATE UNIQUE INDEX applications_subject_hold ON applications (item, subject_key);

-- Idempotency records belong to a caller: the token's issuer and subject together (subjects
-- are unique only within their issuer). Records keyed on the subject alone could be replayed
-- to another caller with the same subject; they are dropped, not carried over (records live
-- for a day).
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    caller_iss   TEXT NOT NULL,
    caller_sub   TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    completed    BOOLEAN NOT NULL DEFAULT FALSE,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (caller_iss, caller_sub, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    caller_sub   TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    completed    BOOLEAN NOT NULL DEFAULT FALSE,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (caller_sub, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
DROP INDEX applications_subject_hold;
ALTER TABLE applications DROP COLUMN subject_key;
