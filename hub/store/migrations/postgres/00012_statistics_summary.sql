-- +goose Up
-- The monthly statistics (stats.go) read these summaries instead of scanning the applications,
-- reviews and permits of a year. Triggers keep them in the transaction of every write, so they
-- are always exact (the store deletes no application, review or permit). The month is the one
-- the application was created in, in China Standard Time (UTC+8).
--
-- Every write updates one row in place: the tables leave half of each page free so that the
-- new row version stays on its page (a HOT update: no new index entry, pruned as pages are
-- read), and autovacuum visits them after every few thousand updates rather than after a
-- fifth of the table has changed.

-- Applications by their current status, per (month, village, item).
CREATE TABLE stats_applications (
    month     TEXT NOT NULL,
    village   TEXT NOT NULL,
    item      TEXT NOT NULL,
    draft     BIGINT NOT NULL DEFAULT 0,
    confirmed BIGINT NOT NULL DEFAULT 0,
    in_review BIGINT NOT NULL DEFAULT 0,
    approved  BIGINT NOT NULL DEFAULT 0,
    rejected  BIGINT NOT NULL DEFAULT 0,
    returned  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, village, item)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);

-- Permits by the time from application to permit: level is that of the last approving review
-- before the permit ('instant' without one); seconds is the duration rounded down to the
-- minute below one hour, to ten minutes below two days, to the hour beyond (a histogram
-- bucket; store.DurationBucket); n the permits in the bucket.
CREATE TABLE stats_durations (
    month   TEXT NOT NULL,
    village TEXT NOT NULL,
    item    TEXT NOT NULL,
    level   TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (month, village, item, level, seconds)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);

-- Reject and return reviews per level and reason (the review comment, trimmed, its first 60
-- characters).
CREATE TABLE stats_refusals (
    month   TEXT NOT NULL,
    village TEXT NOT NULL,
    item    TEXT NOT NULL,
    level   TEXT NOT NULL,
    action  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (month, village, item, level, action, reason)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);

-- +goose StatementBegin
CREATE FUNCTION stats_month(t TIMESTAMPTZ) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char((t AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYY-MM')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION stats_bucket(s BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s < 3600 THEN s / 60 * 60 WHEN s < 172800 THEN s / 600 * 600 ELSE s / 3600 * 3600 END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION stats_applications_count(m TEXT, v TEXT, i TEXT, st TEXT, d BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stats_applications AS s (month, village, item, draft, confirmed, in_review, approved, rejected, returned)
    VALUES (m, v, i, CASE WHEN st = 'draft' THEN d ELSE 0 END, CASE WHEN st = 'confirmed' THEN d ELSE 0 END,
        CASE WHEN st = 'in_review' THEN d ELSE 0 END, CASE WHEN st = 'approved' THEN d ELSE 0 END,
        CASE WHEN st = 'rejected' THEN d ELSE 0 END, CASE WHEN st = 'returned' THEN d ELSE 0 END)
    ON CONFLICT (month, village, item) DO UPDATE SET draft = s.draft + excluded.draft,
        confirmed = s.confirmed + excluded.confirmed, in_review = s.in_review + excluded.in_review,
        approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
        returned = s.returned + excluded.returned
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION stats_applications_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.village IS NOT DISTINCT FROM NEW.village
            AND OLD.item IS NOT DISTINCT FROM NEW.item AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at THEN
            RETURN NULL;
        END IF;
        PERFORM stats_applications_count(stats_month(OLD.created_at), OLD.village, OLD.item, OLD.status, -1);
    END IF;
    PERFORM stats_applications_count(stats_month(NEW.created_at), NEW.village, NEW.item, NEW.status, 1);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER stats_applications_insert AFTER INSERT ON applications
    FOR EACH ROW EXECUTE FUNCTION stats_applications_trigger();
CREATE TRIGGER stats_applications_update AFTER UPDATE OF status, village, item, created_at ON applications
    FOR EACH ROW EXECUTE FUNCTION stats_applications_trigger();

-- +goose StatementBegin
CREATE FUNCTION stats_refusals_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_refusals AS s (month, village, item, level, action, reason, n)
    SELECT stats_month(a.created_at), a.village, a.item, NEW.level, NEW.action, left(btrim(NEW.comment), 60), 1
    FROM applications a WHERE a.id = NEW.application_id
    ON CONFLICT (month, village, item, level, action, reason) DO UPDATE SET n = s.n + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER stats_refusals_insert AFTER INSERT ON reviews
    FOR EACH ROW WHEN (NEW.action IN ('reject', 'return')) EXECUTE FUNCTION stats_refusals_trigger();

-- +goose StatementBegin
CREATE FUNCTION stats_durations_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_durations AS s (month, village, item, level, seconds, n)
    SELECT stats_month(a.created_at), a.village, a.item,
        COALESCE((SELECT r.level FROM reviews r WHERE r.application_id = a.id AND r.action = 'approve'
            ORDER BY r.id DESC LIMIT 1), 'instant'),
        stats_bucket(CAST(ROUND(EXTRACT(EPOCH FROM (NEW.issued_at - a.created_at))) AS BIGINT)), 1
    FROM applications a WHERE a.id = NEW.application_id
    ON CONFLICT (month, village, item, level, seconds) DO UPDATE SET n = s.n + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER stats_durations_insert AFTER INSERT ON permits
    FOR EACH ROW EXECUTE FUNCTION stats_durations_trigger();

-- What is already stored.
INSERT INTO stats_applications (month, village, item, draft, confirmed, in_review, approved, rejected, returned)
SELECT stats_month(created_at), village, item,
    COUNT(*) FILTER (WHERE status = 'draft'), COUNT(*) FILTER (WHERE status = 'confirmed'),
    COUNT(*) FILTER (WHERE status = 'in_review'), COUNT(*) FILTER (WHERE status = 'approved'),
    COUNT(*) FILTER (WHERE status = 'rejected'), COUNT(*) FILTER (WHERE status = 'returned')
FROM applications GROUP BY 1, 2, 3;

INSERT INTO stats_refusals (month, village, item, level, action, reason, n)
SELECT stats_month(a.created_at), a.village, a.item, r.level, r.action, left(btrim(r.comment), 60), COUNT(*)
FROM reviews r JOIN applications a ON a.id = r.application_id
WHERE r.action IN ('reject', 'return') GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO stats_durations (month, village, item, level, seconds, n)
SELECT stats_month(a.created_at), a.village, a.item,
    COALESCE((SELECT r.level FROM reviews r WHERE r.application_id = a.id AND r.action = 'approve'
        ORDER BY r.id DESC LIMIT 1), 'instant'),
    stats_bucket(CAST(ROUND(EXTRACT(EPOCH FROM (p.issued_at - a.created_at))) AS BIGINT)), COUNT(*)
FROM permits p JOIN applications a ON a.id = p.application_id
GROUP BY 1, 2, 3, 4, 5;

-- +goose Down
DROP TRIGGER stats_durations_insert ON permits;
DROP TRIGGER stats_refusals_insert ON reviews;
DROP TRIGGER stats_applications_update ON applications;
DROP TRIGGER stats_applications_insert ON applications;
DROP FUNCTION stats_durations_trigger();
DROP FUNCTION stats_refusals_trigger();
DROP FUNCTION stats_applications_trigger();
DROP FUNCTION stats_applications_count(TEXT, TEXT, TEXT, TEXT, BIGINT);
DROP FUNCTION stats_bucket(BIGINT);
DROP FUNCTION stats_month(TIMESTAMPTZ);
DROP TABLE stats_refusals;
DROP TABLE stats_durations;
DROP TABLE stats_applications;
