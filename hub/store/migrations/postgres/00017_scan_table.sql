-- +goose Up
-- On SQLite scan_residents becomes a table the store keeps current (see the SQLite migration
-- of the same number). PostgreSQL keeps the view over the town-partitioned tables: its
-- planner hashes the joins, and the partitions are what scale a scan out to a province.
SELECT 1;

-- +goose Down
SELECT 1;
