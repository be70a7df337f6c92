-- +goose Up
-- The household branch of child_links joins the members of a household by their relations:
-- with the relation and the ID number in the index, both sides of that join read the index
-- alone, not every resident's row. A scan's read of every link on the full district
-- (1,075,784 residents, 1,135,188 links; BENCHMARKS.md) fell from 10.7 s to 1.4 s in the
-- sqlite3 shell. Lookups by household alone use the index's first column as before. An
-- interrupted first load recorded the old index to build at its end: it is built here instead.
DROP INDEX IF EXISTS residents_household;
DELETE FROM bulk_load_indexes WHERE name = 'residents_household';
CREATE INDEX residents_household ON residents (household_id, relation, id_number);

-- +goose Down
DROP INDEX IF EXISTS residents_household;
DELETE FROM bulk_load_indexes WHERE name = 'residents_household';
CREATE INDEX residents_household ON residents (household_id);
