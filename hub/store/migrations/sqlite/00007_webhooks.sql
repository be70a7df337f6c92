-- +goose Up
-- Webhooks. webhook_events is the event outbox: a change to an application or a permit writes
-- its event in the same transaction, so no event is lost or invented when a hub stops between
-- the commit and the delivery. Each event gets one delivery per subscription that was active
-- and matched it when it was written; workers lease due deliveries (claimed_until, claim_token)
-- and log every attempt, without request or response bodies. Times the workers compare
-- (next_at, claimed_until) are unix milliseconds.
CREATE TABLE webhook_subscriptions (
    id          TEXT PRIMARY KEY,
    subscriber  TEXT NOT NULL,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    event_types TEXT NOT NULL, -- ",a,b," or "" for every type
    items       TEXT NOT NULL, -- ",x,y," or "" for every item
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE webhook_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    type           TEXT NOT NULL,
    item           TEXT NOT NULL,
    application_id TEXT NOT NULL,
    occurred_at    TIMESTAMP NOT NULL,
    payload        TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL REFERENCES webhook_events (id),
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    claim_token     TEXT NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          TIMESTAMP NOT NULL,
    status_code INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    error_class TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_subscriptions;
