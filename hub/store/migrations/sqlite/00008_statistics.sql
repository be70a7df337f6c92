-- +goose Up
-- The monthly statistics select applications by creation time and division (stats.go):
-- one covering index answers the counts without touching the table rows.
CREATE INDEX applications_created ON applications (created_at, village, item, status);
-- Reject and return reviews are counted per level, joined to their applications.
CREATE INDEX reviews_action ON reviews (action, application_id, level);

-- +goose Down
DROP INDEX reviews_action;
DROP INDEX applications_created;
