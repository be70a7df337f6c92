-- +goose Up
-- The monthly statistics select applications by creation time and division (stats.go):
-- one covering index answers the counts without touching the table rows.
CREATE INDEX applications_created ON applications (created_at, village, item, status);
-- An application's approving reviews and the level of the last one (instant approval, the
-- level a permit was granted at) and its reject/return reviews, from the index alone.
CREATE INDEX reviews_application_action ON reviews (application_id, action, id, level);

-- +goose Down
DROP INDEX reviews_application_action;
DROP INDEX applications_created;
