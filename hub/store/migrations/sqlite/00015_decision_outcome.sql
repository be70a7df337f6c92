-- +goose Up
-- The outcome of each recorded decision (eligible, ineligible, undetermined), from its
-- result's "eligible", so that the auditors' decision list filters by outcome in SQL; and an
-- index for the filter by policy revision.
ALTER TABLE decisions ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
UPDATE decisions SET outcome = CASE json_extract(result, '$.eligible') WHEN 1 THEN 'eligible' WHEN 0 THEN 'ineligible' ELSE 'undetermined' END;
CREATE INDEX decisions_revision ON decisions (revision, seq);
CREATE INDEX decisions_outcome ON decisions (outcome, seq);

-- +goose Down
DROP INDEX decisions_outcome;
DROP INDEX decisions_revision;
ALTER TABLE decisions DROP COLUMN outcome;
