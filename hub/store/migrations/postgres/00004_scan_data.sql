-- +goose Up
-- Scan data (proactive service and supervision). The resident roll is partitioned by town
-- (LIST on the 9-digit town prefix of the village code) so that one town's scan reads one
-- partition; residents outside the district's towns land in the default partition. A
-- partitioned table's unique keys must hold the partition key, so id_number is unique per
-- town only; the store deletes a resident before writing them (a move between towns), and
-- enrolments are deleted explicitly instead of by a foreign-key cascade.
ALTER TABLE resident_enrolments DROP CONSTRAINT IF EXISTS resident_enrolments_id_number_fkey;
ALTER TABLE residents RENAME TO residents_unpartitioned;
ALTER TABLE residents_unpartitioned RENAME CONSTRAINT residents_pkey TO residents_unpartitioned_pkey;
DROP INDEX residents_village;
DROP INDEX residents_birth_date;
DROP INDEX residents_household;
CREATE TABLE residents (
    id_number           TEXT NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    sex                 TEXT NOT NULL DEFAULT '' CHECK (sex IN ('', 'M', 'F')),
    birth_date          TEXT NOT NULL DEFAULT '',
    hukou_type          TEXT NOT NULL DEFAULT '',
    village             TEXT NOT NULL DEFAULT '',
    household_id        TEXT NOT NULL DEFAULT '',
    relation            TEXT NOT NULL DEFAULT '',
    deceased            BOOLEAN NOT NULL DEFAULT FALSE,
    dibao               BOOLEAN NOT NULL DEFAULT FALSE,
    tekun               BOOLEAN NOT NULL DEFAULT FALSE,
    disability_category TEXT NOT NULL DEFAULT '',
    disability_grade    INTEGER NOT NULL DEFAULT 0,
    veteran             TEXT NOT NULL DEFAULT '',
    land_mu             DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_seq         BIGINT NOT NULL DEFAULT 0,
    town                TEXT NOT NULL DEFAULT '',               -- 9-digit town prefix of village
    in_school           TEXT NOT NULL DEFAULT '',
    collective_member   BOOLEAN NOT NULL DEFAULT FALSE,
    homestead_m2        DOUBLE PRECISION NOT NULL DEFAULT 0,
    house_grade         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (id_number, town)
) PARTITION BY LIST (town);
CREATE TABLE residents_t370114001 PARTITION OF residents FOR VALUES IN ('370114001');
CREATE TABLE residents_t370114002 PARTITION OF residents FOR VALUES IN ('370114002');
CREATE TABLE residents_t370114003 PARTITION OF residents FOR VALUES IN ('370114003');
CREATE TABLE residents_t370114004 PARTITION OF residents FOR VALUES IN ('370114004');
CREATE TABLE residents_t370114005 PARTITION OF residents FOR VALUES IN ('370114005');
CREATE TABLE residents_t370114006 PARTITION OF residents FOR VALUES IN ('370114006');
CREATE TABLE residents_t370114007 PARTITION OF residents FOR VALUES IN ('370114007');
CREATE TABLE residents_t370114008 PARTITION OF residents FOR VALUES IN ('370114008');
CREATE TABLE residents_t370114009 PARTITION OF residents FOR VALUES IN ('370114009');
CREATE TABLE residents_t370114010 PARTITION OF residents FOR VALUES IN ('370114010');
CREATE TABLE residents_t370114011 PARTITION OF residents FOR VALUES IN ('370114011');
CREATE TABLE residents_t370114012 PARTITION OF residents FOR VALUES IN ('370114012');
CREATE TABLE residents_t370114013 PARTITION OF residents FOR VALUES IN ('370114013');
CREATE TABLE residents_t370114014 PARTITION OF residents FOR VALUES IN ('370114014');
CREATE TABLE residents_t370114015 PARTITION OF residents FOR VALUES IN ('370114015');
CREATE TABLE residents_t370114100 PARTITION OF residents FOR VALUES IN ('370114100');
CREATE TABLE residents_t370114101 PARTITION OF residents FOR VALUES IN ('370114101');
CREATE TABLE residents_t370114102 PARTITION OF residents FOR VALUES IN ('370114102');
CREATE TABLE residents_tother PARTITION OF residents DEFAULT;
INSERT INTO residents (id_number, name, sex, birth_date, hukou_type, village, household_id, relation, deceased, dibao, tekun, disability_category, disability_grade, veteran, land_mu, updated_seq, town)
SELECT id_number, name, sex, birth_date, hukou_type, village, household_id, relation, deceased, dibao, tekun, disability_category, disability_grade, veteran, land_mu, updated_seq, substr(village, 1, 9) FROM residents_unpartitioned;
DROP TABLE residents_unpartitioned;
CREATE INDEX residents_village ON residents (village text_pattern_ops);
CREATE INDEX residents_birth_date ON residents (birth_date);
CREATE INDEX residents_household ON residents (household_id);

-- What the province's backflow feed (数据回流) says about a resident: the household register's
-- hukou type and village, death, and the licences eligibility rules read (the newest
-- disability certificate, the only-child parents' honour, the current marriage).
CREATE TABLE resident_province (
    id_number              TEXT PRIMARY KEY,
    hukou_type             TEXT NOT NULL DEFAULT '',
    hukou_village          TEXT NOT NULL DEFAULT '',
    deceased               BOOLEAN NOT NULL DEFAULT FALSE,
    death_date             TEXT NOT NULL DEFAULT '',           -- YYYY-MM-DD
    disability_number      TEXT NOT NULL DEFAULT '',
    disability_category    TEXT NOT NULL DEFAULT '',
    disability_grade       INTEGER NOT NULL DEFAULT 0,
    disability_valid_until TEXT NOT NULL DEFAULT '',           -- '' long-term or none
    disability_status      TEXT NOT NULL DEFAULT '',           -- valid|expired|revoked, '' none
    only_child_honour      BOOLEAN NOT NULL DEFAULT FALSE,
    spouse_id              TEXT NOT NULL DEFAULT '',
    updated_seq            BIGINT NOT NULL DEFAULT 0
);

-- The city's resident pension, medical insurance and employment records.
CREATE TABLE resident_city (
    id_number             TEXT PRIMARY KEY,
    pension               TEXT NOT NULL DEFAULT '',            -- not_enrolled|enrolled|receiving|suspended
    pension_since         TEXT NOT NULL DEFAULT '',
    pension_monthly       DOUBLE PRECISION NOT NULL DEFAULT 0,
    medical               TEXT NOT NULL DEFAULT '',            -- enrolled|not_enrolled
    medical_year          INTEGER NOT NULL DEFAULT 0,
    employment            TEXT NOT NULL DEFAULT '',
    unemployed_since      TEXT NOT NULL DEFAULT '',
    employment_difficulty BOOLEAN NOT NULL DEFAULT FALSE,
    updated_seq           BIGINT NOT NULL DEFAULT 0
);

-- Parent-child links from licences: birth certificates (both parents to the holder) and
-- only-child honours (holder to the child). origin is the resident whose backflow record
-- states the link; a new record of that resident replaces its links.
CREATE TABLE resident_child_links (
    origin    TEXT NOT NULL,
    source    TEXT NOT NULL,                                   -- birth_certificate|only_child_honour
    parent_id TEXT NOT NULL,
    child_id  TEXT NOT NULL,
    PRIMARY KEY (parent_id, child_id, source, origin)
);
CREATE INDEX resident_child_links_origin ON resident_child_links (origin);

-- child_links: every known parent-child link, from licences and from household relations
-- (a son or daughter of the head is a child of the head and of the head's spouse; the head
-- is a child of the head's father and mother).
CREATE VIEW child_links AS
SELECT parent_id, child_id, source FROM resident_child_links
UNION ALL
SELECT p.id_number, c.id_number, 'household'
FROM residents c JOIN residents p ON p.household_id = c.household_id AND p.id_number <> c.id_number
WHERE c.household_id <> ''
  AND ((c.relation IN ('son', 'daughter') AND p.relation IN ('head', 'spouse'))
    OR (c.relation = 'head' AND p.relation IN ('father', 'mother', 'parent')));

-- scan_residents: one row per resident of the district roll with every fact the eligibility
-- rules read, from the three synced feeds. The province is authoritative for hukou type,
-- death and licences; deceased is true when either the province or the village roll records
-- the death, deceased_source says which. The scans compile rules to SQL over this view.
CREATE VIEW scan_residents AS
SELECT r.id_number, r.name, r.sex, r.birth_date, r.town, r.village, r.household_id, r.relation,
       CASE WHEN p.hukou_type IS NOT NULL AND p.hukou_type <> '' THEN p.hukou_type ELSE r.hukou_type END AS hukou_type,
       (r.deceased OR COALESCE(p.deceased, FALSE)) AS deceased,
       CASE WHEN r.deceased AND COALESCE(p.deceased, FALSE) THEN 'both'
            WHEN COALESCE(p.deceased, FALSE) THEN 'province'
            WHEN r.deceased THEN 'district' ELSE '' END AS deceased_source,
       COALESCE(p.death_date, '') AS death_date,
       r.dibao, r.tekun, r.veteran, r.in_school, r.collective_member, r.land_mu, r.homestead_m2, r.house_grade,
       r.disability_category AS roll_disability_category, r.disability_grade AS roll_disability_grade,
       COALESCE(p.disability_number, '') AS disability_number,
       COALESCE(p.disability_category, '') AS disability_category,
       COALESCE(p.disability_grade, 0) AS disability_grade,
       COALESCE(p.disability_valid_until, '') AS disability_valid_until,
       COALESCE(p.disability_status, '') AS disability_status,
       COALESCE(p.only_child_honour, FALSE) AS only_child_honour,
       COALESCE(p.spouse_id, '') AS spouse_id,
       COALESCE(c.pension, '') AS pension, COALESCE(c.pension_since, '') AS pension_since,
       COALESCE(c.pension_monthly, 0) AS pension_monthly,
       COALESCE(c.medical, '') AS medical, COALESCE(c.medical_year, 0) AS medical_year,
       COALESCE(c.employment, '') AS employment, COALESCE(c.unemployed_since, '') AS unemployed_since,
       COALESCE(c.employment_difficulty, FALSE) AS employment_difficulty,
       (p.id_number IS NOT NULL) AS province_synced, (c.id_number IS NOT NULL) AS city_synced
FROM residents r
LEFT JOIN resident_province p ON p.id_number = r.id_number
LEFT JOIN resident_city c ON c.id_number = r.id_number;

-- +goose Down
DROP VIEW scan_residents;
DROP VIEW child_links;
DROP TABLE resident_child_links;
DROP TABLE resident_city;
DROP TABLE resident_province;
ALTER TABLE residents RENAME TO residents_partitioned;
CREATE TABLE residents (
    id_number           TEXT PRIMARY KEY,
    name                TEXT NOT NULL DEFAULT '',
    sex                 TEXT NOT NULL DEFAULT '' CHECK (sex IN ('', 'M', 'F')),
    birth_date          TEXT NOT NULL DEFAULT '',
    hukou_type          TEXT NOT NULL DEFAULT '',
    village             TEXT NOT NULL DEFAULT '',
    household_id        TEXT NOT NULL DEFAULT '',
    relation            TEXT NOT NULL DEFAULT '',
    deceased            BOOLEAN NOT NULL DEFAULT FALSE,
    dibao               BOOLEAN NOT NULL DEFAULT FALSE,
    tekun               BOOLEAN NOT NULL DEFAULT FALSE,
    disability_category TEXT NOT NULL DEFAULT '',
    disability_grade    INTEGER NOT NULL DEFAULT 0,
    veteran             TEXT NOT NULL DEFAULT '',
    land_mu             DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_seq         BIGINT NOT NULL DEFAULT 0
);
INSERT INTO residents (id_number, name, sex, birth_date, hukou_type, village, household_id, relation, deceased, dibao, tekun, disability_category, disability_grade, veteran, land_mu, updated_seq)
SELECT DISTINCT ON (id_number) id_number, name, sex, birth_date, hukou_type, village, household_id, relation, deceased, dibao, tekun, disability_category, disability_grade, veteran, land_mu, updated_seq FROM residents_partitioned ORDER BY id_number, updated_seq DESC;
DROP TABLE residents_partitioned;
CREATE INDEX residents_village ON residents (village text_pattern_ops);
CREATE INDEX residents_birth_date ON residents (birth_date);
CREATE INDEX residents_household ON residents (household_id);
DELETE FROM resident_enrolments e WHERE NOT EXISTS (SELECT 1 FROM residents r WHERE r.id_number = e.id_number);
ALTER TABLE resident_enrolments ADD CONSTRAINT resident_enrolments_id_number_fkey
    FOREIGN KEY (id_number) REFERENCES residents (id_number) ON DELETE CASCADE;
