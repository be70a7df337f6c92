-- +goose Up
-- Entries of other villages' subsidy rolls that still name a resident (the district feed's
-- other_rolls): the resident's own village's rolls are resident_enrolments. The supervision
-- scan compares them with those (one person on one item's roll in two villages).
CREATE TABLE resident_other_rolls (
    id_number TEXT NOT NULL REFERENCES residents (id_number) ON DELETE CASCADE,
    item      TEXT NOT NULL,
    village   TEXT NOT NULL, -- the village whose roll it is (12 digits)
    PRIMARY KEY (id_number, item, village)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE resident_other_rolls;
