-- +goose Up
-- The monthly statistics (stats.go) read these summaries instead of scanning the applications,
-- reviews and permits of a year. Triggers keep them in the transaction of every write, so they
-- are always exact (the store deletes no application, review or permit). The month is the one
-- the application was created in, in China Standard Time (UTC+8; created_at is stored in UTC,
-- its fraction of a second dropped so that no time is rounded across a month boundary).

-- Applications by their current status, per (month, village, item).
CREATE TABLE stats_applications (
    month     TEXT NOT NULL,
    village   TEXT NOT NULL,
    item      TEXT NOT NULL,
    draft     INTEGER NOT NULL DEFAULT 0,
    confirmed INTEGER NOT NULL DEFAULT 0,
    in_review INTEGER NOT NULL DEFAULT 0,
    approved  INTEGER NOT NULL DEFAULT 0,
    rejected  INTEGER NOT NULL DEFAULT 0,
    returned  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, village, item)
) WITHOUT ROWID;

-- Permits by the time from application to permit: level is that of the last approving review
-- before the permit ('instant' without one); seconds is the duration rounded down to the
-- minute below one hour, to ten minutes below two days, to the hour beyond (a histogram
-- bucket; store.DurationBucket); n the permits in the bucket.
CREATE TABLE stats_durations (
    month   TEXT NOT NULL,
    village TEXT NOT NULL,
    item    TEXT NOT NULL,
    level   TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (month, village, item, level, seconds)
) WITHOUT ROWID;

-- Reject and return reviews per level and reason (the review comment, trimmed, its first 60
-- characters).
CREATE TABLE stats_refusals (
    month   TEXT NOT NULL,
    village TEXT NOT NULL,
    item    TEXT NOT NULL,
    level   TEXT NOT NULL,
    action  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (month, village, item, level, action, reason)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER stats_applications_insert AFTER INSERT ON applications BEGIN
    INSERT INTO stats_applications (month, village, item, draft, confirmed, in_review, approved, rejected, returned)
    VALUES (strftime('%Y-%m', substr(NEW.created_at, 1, 19), '+8 hours'), NEW.village, NEW.item,
        NEW.status = 'draft', NEW.status = 'confirmed', NEW.status = 'in_review',
        NEW.status = 'approved', NEW.status = 'rejected', NEW.status = 'returned')
    ON CONFLICT (month, village, item) DO UPDATE SET draft = draft + excluded.draft,
        confirmed = confirmed + excluded.confirmed, in_review = in_review + excluded.in_review,
        approved = approved + excluded.approved, rejected = rejected + excluded.rejected,
        returned = returned + excluded.returned;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER stats_applications_update AFTER UPDATE OF status, village, item, created_at ON applications
WHEN OLD.status IS NOT NEW.status OR OLD.village IS NOT NEW.village OR OLD.item IS NOT NEW.item
    OR OLD.created_at IS NOT NEW.created_at BEGIN
    UPDATE stats_applications SET draft = draft - (OLD.status = 'draft'),
        confirmed = confirmed - (OLD.status = 'confirmed'), in_review = in_review - (OLD.status = 'in_review'),
        approved = approved - (OLD.status = 'approved'), rejected = rejected - (OLD.status = 'rejected'),
        returned = returned - (OLD.status = 'returned')
    WHERE month = strftime('%Y-%m', substr(OLD.created_at, 1, 19), '+8 hours') AND village = OLD.village AND item = OLD.item;
    INSERT INTO stats_applications (month, village, item, draft, confirmed, in_review, approved, rejected, returned)
    VALUES (strftime('%Y-%m', substr(NEW.created_at, 1, 19), '+8 hours'), NEW.village, NEW.item,
        NEW.status = 'draft', NEW.status = 'confirmed', NEW.status = 'in_review',
        NEW.status = 'approved', NEW.status = 'rejected', NEW.status = 'returned')
    ON CONFLICT (month, village, item) DO UPDATE SET draft = draft + excluded.draft,
        confirmed = confirmed + excluded.confirmed, in_review = in_review + excluded.in_review,
        approved = approved + excluded.approved, rejected = rejected + excluded.rejected,
        returned = returned + excluded.returned;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER stats_refusals_insert AFTER INSERT ON reviews WHEN NEW.action IN ('reject', 'return') BEGIN
    INSERT INTO stats_refusals (month, village, item, level, action, reason, n)
    SELECT strftime('%Y-%m', substr(a.created_at, 1, 19), '+8 hours'), a.village, a.item, NEW.level, NEW.action,
        substr(trim(NEW.comment), 1, 60), 1
    FROM applications a WHERE a.id = NEW.application_id
    ON CONFLICT (month, village, item, level, action, reason) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER stats_durations_insert AFTER INSERT ON permits BEGIN
    INSERT INTO stats_durations (month, village, item, level, seconds, n)
    SELECT m, village, item, lvl,
        CASE WHEN s < 3600 THEN s / 60 * 60 WHEN s < 172800 THEN s / 600 * 600 ELSE s / 3600 * 3600 END, 1
    FROM (SELECT strftime('%Y-%m', substr(a.created_at, 1, 19), '+8 hours') AS m, a.village, a.item,
            COALESCE((SELECT r.level FROM reviews r WHERE r.application_id = a.id AND r.action = 'approve'
                ORDER BY r.id DESC LIMIT 1), 'instant') AS lvl,
            CAST(ROUND((julianday(NEW.issued_at) - julianday(a.created_at)) * 86400) AS INTEGER) AS s
        FROM applications a WHERE a.id = NEW.application_id)
    WHERE true
    ON CONFLICT (month, village, item, level, seconds) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- What is already stored.
INSERT INTO stats_applications (month, village, item, draft, confirmed, in_review, approved, rejected, returned)
SELECT strftime('%Y-%m', substr(created_at, 1, 19), '+8 hours'), village, item,
    SUM(status = 'draft'), SUM(status = 'confirmed'), SUM(status = 'in_review'),
    SUM(status = 'approved'), SUM(status = 'rejected'), SUM(status = 'returned')
FROM applications GROUP BY 1, 2, 3;

INSERT INTO stats_refusals (month, village, item, level, action, reason, n)
SELECT strftime('%Y-%m', substr(a.created_at, 1, 19), '+8 hours'), a.village, a.item, r.level, r.action,
    substr(trim(r.comment), 1, 60), COUNT(*)
FROM reviews r JOIN applications a ON a.id = r.application_id
WHERE r.action IN ('reject', 'return') GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO stats_durations (month, village, item, level, seconds, n)
SELECT m, village, item, lvl,
    CASE WHEN s < 3600 THEN s / 60 * 60 WHEN s < 172800 THEN s / 600 * 600 ELSE s / 3600 * 3600 END, COUNT(*)
FROM (SELECT strftime('%Y-%m', substr(a.created_at, 1, 19), '+8 hours') AS m, a.village, a.item,
        COALESCE((SELECT r.level FROM reviews r WHERE r.application_id = a.id AND r.action = 'approve'
            ORDER BY r.id DESC LIMIT 1), 'instant') AS lvl,
        CAST(ROUND((julianday(p.issued_at) - julianday(a.created_at)) * 86400) AS INTEGER) AS s
    FROM permits p JOIN applications a ON a.id = p.application_id)
GROUP BY 1, 2, 3, 4, 5;

-- +goose Down
DROP TRIGGER stats_durations_insert;
DROP TRIGGER stats_refusals_insert;
DROP TRIGGER stats_applications_update;
DROP TRIGGER stats_applications_insert;
DROP TABLE stats_refusals;
DROP TABLE stats_durations;
DROP TABLE stats_applications;
