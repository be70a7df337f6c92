-- +goose Up
-- An office seals with one active key at a time, enforced by the database so that hub
-- processes creating an office's first key at the same moment store one key
-- (INSERT ... ON CONFLICT on this index). Offices that already hold several active keys keep
-- the newest; the others are retired and stay published for five years, so every permit they
-- sealed still verifies.
UPDATE office_keys SET status = 'retired', not_after = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '+5 years')
WHERE status = 'active' AND EXISTS (
    SELECT 1 FROM office_keys n
    WHERE n.office = office_keys.office AND n.status = 'active'
      AND (n.created_at > office_keys.created_at OR (n.created_at = office_keys.created_at AND n.kid > office_keys.kid)));
CREATE UNIQUE INDEX office_keys_one_active ON office_keys (office) WHERE status = 'active';

-- Audit entries a transaction commits, waiting to be chained. A transaction on PostgreSQL
-- queues its entries here (no lock) and, once committed, chains every queued entry under the
-- chain-head lock in a short transaction of its own: one chaining transaction (one commit)
-- serves all the entries queued meanwhile, so the head lock is never held across a business
-- transaction and its commit. SQLite, with one writer, chains inside the transaction and
-- leaves this table empty. queue_id links a chained entry to the queue row it came from.
CREATE TABLE audit_queue (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TIMESTAMP NOT NULL,
    actor_sub      TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    action         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    item           TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    application_id TEXT NOT NULL,
    details        TEXT NOT NULL
);
ALTER TABLE audit_entries ADD COLUMN queue_id INTEGER;
CREATE UNIQUE INDEX audit_entries_queue_id ON audit_entries (queue_id) WHERE queue_id IS NOT NULL;

-- +goose Down
DROP INDEX audit_entries_queue_id;
ALTER TABLE audit_entries DROP COLUMN queue_id;
DROP TABLE audit_queue;
DROP INDEX office_keys_one_active;
