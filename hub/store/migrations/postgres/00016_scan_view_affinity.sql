-- +goose Up
-- SQLite gives the numeric columns of scan_residents numeric affinity in this version; on
-- PostgreSQL they are typed already and a quoted literal is coerced to the column's type.
SELECT 1;

-- +goose Down
SELECT 1;
