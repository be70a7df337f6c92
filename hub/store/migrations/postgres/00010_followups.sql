-- +goose Up
-- What was done about the scan findings. The contact log of worklist candidates: one row per
-- contact a cadre made with a resident about an item (status contacted, unreachable, declined
-- or applied, with a redacted note); it belongs to (item, id_number) and outlives the scans
-- that replace scan_findings.
CREATE TABLE worklist_contacts (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item       TEXT NOT NULL,
    id_number  TEXT NOT NULL,
    village    TEXT NOT NULL,
    status     TEXT NOT NULL,
    note       TEXT NOT NULL,
    actor_sub  TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX worklist_contacts_subject ON worklist_contacts (item, id_number, seq);

-- Auditors' resolutions of supervision alerts, with a redacted note: one per alert (item,
-- resident, village), kept when a later scan finds the same alert again.
CREATE TABLE alert_resolutions (
    item       TEXT NOT NULL,
    id_number  TEXT NOT NULL,
    village    TEXT NOT NULL,
    note       TEXT NOT NULL,
    actor_sub  TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item, id_number, village)
);

-- +goose Down
DROP TABLE alert_resolutions;
DROP TABLE worklist_contacts;
