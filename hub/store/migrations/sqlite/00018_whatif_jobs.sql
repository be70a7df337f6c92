-- +goose Up
-- Policy what-if jobs: the job as the service shows it (JSON, with its report; ID numbers
-- masked), so that a result outlives the hub process that ran it.
CREATE TABLE whatif_jobs (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    status     TEXT NOT NULL,
    job        TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX whatif_jobs_updated ON whatif_jobs (updated_at);

-- +goose Down
DROP TABLE whatif_jobs;
