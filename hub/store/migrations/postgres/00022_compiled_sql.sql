-- +goose Up
-- The SQL the policy engine compiled from the items' rules, by the engine's key (the bundle's
-- content, OPA's version, the query, the dialect and the scan date), so that a scan in another
-- process reads it instead of compiling it again.
CREATE TABLE compiled_sql (
    key      TEXT PRIMARY KEY,
    sql      TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX compiled_sql_saved ON compiled_sql (saved_at);

-- +goose Down
DROP TABLE compiled_sql;
