-- +goose Up
-- scan_residents becomes a table the store keeps current, in the same transaction as every
-- page a feed applies (the residents a page touches are rebuilt from scan_source), instead of
-- a view: a pass over the view looked up the province's and the city's row of every resident
-- and joined an aggregate of every roll (6 s for the whole district), a pass over the table
-- reads one B-tree in ID-number order. rolls holds the resident's enrolments, so a pass tests
-- a string instead of joining resident_enrolments. (PostgreSQL keeps the view: it hashes the
-- joins, and the town partitions are what scale it out.)
DROP VIEW scan_residents;
CREATE VIEW scan_source AS
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
       CAST(COALESCE(p.disability_grade, 0) AS INTEGER) AS disability_grade,
       COALESCE(p.disability_valid_until, '') AS disability_valid_until,
       COALESCE(p.disability_status, '') AS disability_status,
       COALESCE(p.only_child_honour, FALSE) AS only_child_honour,
       COALESCE(p.spouse_id, '') AS spouse_id,
       COALESCE(c.pension, '') AS pension, COALESCE(c.pension_since, '') AS pension_since,
       CAST(COALESCE(c.pension_monthly, 0) AS REAL) AS pension_monthly,
       COALESCE(c.medical, '') AS medical, CAST(COALESCE(c.medical_year, 0) AS INTEGER) AS medical_year,
       COALESCE(c.employment, '') AS employment, COALESCE(c.unemployed_since, '') AS unemployed_since,
       COALESCE(c.employment_difficulty, FALSE) AS employment_difficulty,
       (p.id_number IS NOT NULL) AS province_synced, (c.id_number IS NOT NULL) AS city_synced,
       COALESCE((SELECT ',' || group_concat(item, ',') || ',' FROM
           (SELECT e.item FROM resident_enrolments e WHERE e.id_number = r.id_number ORDER BY e.item)), '') AS rolls
FROM residents r
LEFT JOIN resident_province p ON p.id_number = r.id_number
LEFT JOIN resident_city c ON c.id_number = r.id_number;
CREATE TABLE scan_residents (
    id_number                TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    sex                      TEXT NOT NULL,
    birth_date               TEXT NOT NULL,
    town                     TEXT NOT NULL,
    village                  TEXT NOT NULL,
    household_id             TEXT NOT NULL,
    relation                 TEXT NOT NULL,
    hukou_type               TEXT NOT NULL,
    deceased                 BOOLEAN NOT NULL,
    deceased_source          TEXT NOT NULL,
    death_date               TEXT NOT NULL,
    dibao                    BOOLEAN NOT NULL,
    tekun                    BOOLEAN NOT NULL,
    veteran                  TEXT NOT NULL,
    in_school                TEXT NOT NULL,
    collective_member        BOOLEAN NOT NULL,
    land_mu                  REAL NOT NULL,
    homestead_m2             REAL NOT NULL,
    house_grade              TEXT NOT NULL,
    roll_disability_category TEXT NOT NULL,
    roll_disability_grade    INTEGER NOT NULL,
    disability_number        TEXT NOT NULL,
    disability_category      TEXT NOT NULL,
    disability_grade         INTEGER NOT NULL,
    disability_valid_until   TEXT NOT NULL,
    disability_status        TEXT NOT NULL,
    only_child_honour        BOOLEAN NOT NULL,
    spouse_id                TEXT NOT NULL,
    pension                  TEXT NOT NULL,
    pension_since            TEXT NOT NULL,
    pension_monthly          REAL NOT NULL,
    medical                  TEXT NOT NULL,
    medical_year             INTEGER NOT NULL,
    employment               TEXT NOT NULL,
    unemployed_since         TEXT NOT NULL,
    employment_difficulty    BOOLEAN NOT NULL,
    province_synced          BOOLEAN NOT NULL,
    city_synced              BOOLEAN NOT NULL,
    rolls                    TEXT NOT NULL                    -- ',item,item,' sorted, '' none
) WITHOUT ROWID;
INSERT INTO scan_residents SELECT * FROM scan_source;
CREATE INDEX scan_residents_village ON scan_residents (village);

-- +goose Down
DROP TABLE scan_residents;
DROP VIEW scan_source;
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
       CAST(COALESCE(p.disability_grade, 0) AS INTEGER) AS disability_grade,
       COALESCE(p.disability_valid_until, '') AS disability_valid_until,
       COALESCE(p.disability_status, '') AS disability_status,
       COALESCE(p.only_child_honour, FALSE) AS only_child_honour,
       COALESCE(p.spouse_id, '') AS spouse_id,
       COALESCE(c.pension, '') AS pension, COALESCE(c.pension_since, '') AS pension_since,
       CAST(COALESCE(c.pension_monthly, 0) AS REAL) AS pension_monthly,
       COALESCE(c.medical, '') AS medical, CAST(COALESCE(c.medical_year, 0) AS INTEGER) AS medical_year,
       COALESCE(c.employment, '') AS employment, COALESCE(c.unemployed_since, '') AS unemployed_since,
       COALESCE(c.employment_difficulty, FALSE) AS employment_difficulty,
       (p.id_number IS NOT NULL) AS province_synced, (c.id_number IS NOT NULL) AS city_synced
FROM residents r
LEFT JOIN resident_province p ON p.id_number = r.id_number
LEFT JOIN resident_city c ON c.id_number = r.id_number;
