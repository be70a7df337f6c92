-- +goose Up
-- The deaths the province records, by date: a scan pass derives each household's latest
-- death (store.HouseholdLastDeath) from these few rows instead of reading every resident's.
CREATE INDEX resident_province_deaths ON resident_province (death_date) WHERE deceased;

-- +goose Down
DROP INDEX resident_province_deaths;
