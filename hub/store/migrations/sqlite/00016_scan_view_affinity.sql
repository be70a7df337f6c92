-- +goose Up
-- The numeric columns of scan_residents that come from the feeds through COALESCE carry
-- numeric affinity (CAST), so that a filter compiled from a policy compares them as numbers
-- also against a literal the compiler writes quoted (disability_grade <= '2'); without an
-- affinity SQLite orders every number before every text.
DROP VIEW scan_residents;
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

-- +goose Down
DROP VIEW scan_residents;
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
