-- +goose Up
-- The latest scan results (proactive worklist candidates and supervision alerts), per item,
-- written by each scan and read by the worklist and alert endpoints. A scan of an item over a
-- division replaces that item's findings in the division. reasons, evidence and sources are
-- JSON arrays of strings.
CREATE TABLE scan_findings (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT NOT NULL, -- candidate | alert
    item       TEXT NOT NULL,
    id_number  TEXT NOT NULL,
    village    TEXT NOT NULL,
    reasons    TEXT NOT NULL,
    rule       TEXT NOT NULL,
    evidence   TEXT NOT NULL,
    sources    TEXT NOT NULL,
    scanned_at TEXT NOT NULL  -- scan date YYYY-MM-DD
);
CREATE INDEX scan_findings_kind_item_village ON scan_findings (kind, item, village, seq);
CREATE INDEX scan_findings_kind_village ON scan_findings (kind, village, seq);

-- +goose Down
DROP TABLE scan_findings;
