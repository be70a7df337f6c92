-- +goose Up
-- Delta scans. Once a scan has turned tracking on (scan_state 'tracking' = 1), every apply of
-- a feed page takes the next change sequence number ('change_seq') and records in
-- scan_changes each resident whose scan evidence the page may change: the residents it
-- touches, the members of their households (before and after the change: household
-- aggregates) and the parents linked to them (a parent's evidence holds the children). A
-- scan records the sequence its saved findings are current to ('baseline', -1: none); a
-- delta scan re-evaluates the residents recorded after it.
CREATE TABLE scan_state (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO scan_state (name, value) VALUES ('tracking', 0), ('change_seq', 0), ('baseline', -1);

CREATE TABLE scan_changes (
    id_number TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL
);
CREATE INDEX scan_changes_seq ON scan_changes (seq, id_number);

-- The parents of a changed child, and a delta scan's replacement of one resident's findings.
CREATE INDEX resident_child_links_child ON resident_child_links (child_id);
CREATE INDEX scan_findings_id_number ON scan_findings (id_number);

-- Secondary indexes dropped for a first bulk load: the SQLite store's; kept here so both
-- schemas are the same (PostgreSQL loads through unnest arrays with its indexes in place).
CREATE TABLE bulk_load_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);

-- +goose Down
DROP TABLE bulk_load_indexes;
DROP INDEX scan_findings_id_number;
DROP INDEX resident_child_links_child;
DROP TABLE scan_changes;
DROP TABLE scan_state;
