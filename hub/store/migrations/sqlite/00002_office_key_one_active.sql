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

-- +goose Down
DROP INDEX office_keys_one_active;
