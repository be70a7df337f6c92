-- +goose Up
-- Registered department apps (the OAuth2 client-credentials clients of the hub's token
-- endpoint). items and actions are JSON arrays of strings; rate_limit is requests per second
-- and burst the bucket size; a revoked client is refused at once.
CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    uscc        TEXT NOT NULL,
    items       TEXT NOT NULL,
    actions     TEXT NOT NULL,
    rate_limit  DOUBLE PRECISION NOT NULL,
    burst       INTEGER NOT NULL,
    webhook_url TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    created_by  TEXT NOT NULL DEFAULT ''
);

-- A client's secrets: only a digest is kept. expires_at ends a secret (a rotation overlap or
-- a retirement); NULL means no end, so several secrets work at once during a rotation.
CREATE TABLE client_secrets (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (id),
    hash       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ
);
CREATE INDEX client_secrets_client ON client_secrets (client_id, created_at);

-- +goose Down
DROP TABLE client_secrets;
DROP TABLE clients;
