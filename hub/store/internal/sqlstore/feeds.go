package sqlstore

import (
	"context"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// feedChunk is the most rows one multi-row statement of the scan-data feeds carries (also
// bounded by the dialect's MaxParams).
const feedChunk = 1000

const (
	provinceCols = "id_number, hukou_type, hukou_village, deceased, death_date, disability_number, disability_category, " +
		"disability_grade, disability_valid_until, disability_status, only_child_honour, spouse_id, updated_seq"
	provinceNCols = 13
	cityCols      = "id_number, pension, pension_since, pension_monthly, medical, medical_year, employment, unemployed_since, " +
		"employment_difficulty, updated_seq"
	cityNCols = 10
	linkCols  = "origin, source, parent_id, child_id"
)

// upsertTail is "ON CONFLICT (first column) DO UPDATE SET" every other column.
func upsertTail(cols string) string {
	cs := strings.Split(cols, ", ")
	set := make([]string, 0, len(cs)-1)
	for _, c := range cs[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return " ON CONFLICT (" + cs[0] + ") DO UPDATE SET " + strings.Join(set, ", ")
}

var (
	provinceUpsertTail = upsertTail(provinceCols)
	cityUpsertTail     = upsertTail(cityCols)
)

// lastWins reduces a batch to each ID number's last row, in first-seen order, and splits it
// into rows to upsert and ID numbers to delete; ids lists every ID number of the batch.
func lastWins[T any](rows []T, key func(*T) string, deleted func(*T) bool) (upserts []T, deletes, ids []string) {
	seen := make(map[string]int, len(rows))
	out := make([]T, 0, len(rows))
	for i := range rows {
		k := key(&rows[i])
		if j, ok := seen[k]; ok {
			out[j] = rows[i]
			continue
		}
		seen[k] = len(out)
		out = append(out, rows[i])
		ids = append(ids, k)
	}
	upserts = out[:0]
	for i := range out {
		if deleted(&out[i]) {
			deletes = append(deletes, key(&out[i]))
			continue
		}
		upserts = append(upserts, out[i])
	}
	return upserts, deletes, ids
}

// insertRows runs "prefix VALUES (...), ... tail" over args (width values per row) in
// statements of at most feedChunk rows.
func (w *writer) insertRows(ctx context.Context, what, prefix string, width int, tail string, args []any) error {
	per := min(feedChunk, w.d.MaxParams/width) * width
	for len(args) > 0 {
		n := min(len(args), per)
		if _, err := w.q.ExecContext(ctx, w.d.SQL(rowsSQL(prefix, n/width, width, tail)), args[:n]...); err != nil {
			return wrap(what, err)
		}
		args = args[n:]
	}
	return nil
}

// deleteIn deletes the rows of table whose column is one of ids.
func (w *writer) deleteIn(ctx context.Context, what, table, column string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if w.d.ArrayBind {
		_, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM "+table+" WHERE "+column+" = ANY(?::text[])"), ids)
		return wrap(what, err)
	}
	for len(ids) > 0 {
		n := min(len(ids), w.d.MaxParams, 5000)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM "+table+" WHERE "+column+" IN "+placeholders(n)), args...); err != nil {
			return wrap(what, err)
		}
		ids = ids[n:]
	}
	return nil
}

// saveCursor saves a feed's cursor.
func (w *writer) saveCursor(ctx context.Context, feed, cursor string) error {
	_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO sync_cursors (feed, cursor, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (feed) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`), feed, cursor, store.Now())
	return wrap("save sync cursor", err)
}

// ApplyProvinceFacts implements store.BackflowStore (in a transaction of its own, bulk.go).
func (db *DB) ApplyProvinceFacts(ctx context.Context, feed string, rows []store.ProvinceFacts, nextCursor string) error {
	ups, dels, ids := lastWins(rows, func(r *store.ProvinceFacts) string { return r.IDNumber }, func(r *store.ProvinceFacts) bool { return r.Deleted })
	slices.SortFunc(ups, func(a, b store.ProvinceFacts) int { return strings.Compare(a.IDNumber, b.IDNumber) })
	return db.feedTx(ctx, func(w *writer) error {
		seq, err := w.beginMarks(ctx)
		if err != nil {
			return err
		}
		if err := w.markChanged(ctx, seq, ids); err != nil {
			return err
		}
		if err := w.deleteIn(ctx, "replace child links", "resident_child_links", "origin", ids); err != nil {
			return err
		}
		if err := w.deleteIn(ctx, "delete province facts", "resident_province", "id_number", dels); err != nil {
			return err
		}
		args := make([]any, 0, len(ups)*provinceNCols)
		var links []any
		for _, r := range ups {
			args = append(args, r.IDNumber, r.HukouType, r.HukouVillage, r.Deceased, r.DeathDate, r.DisabilityNumber,
				r.DisabilityCategory, r.DisabilityGrade, r.DisabilityValidUntil, r.DisabilityStatus, r.OnlyChildHonour,
				r.SpouseID, r.UpdatedSeq)
			for _, l := range r.Links {
				links = append(links, r.IDNumber, l.Source, l.ParentID, l.ChildID)
			}
		}
		if err := w.writeRows(ctx, "upsert province facts", "INSERT INTO resident_province ("+provinceCols+")", provinceNCols, provinceUpsertTail, args); err != nil {
			return err
		}
		if err := w.writeRows(ctx, "insert child links", "INSERT INTO resident_child_links ("+linkCols+")", 4, " ON CONFLICT DO NOTHING", links); err != nil {
			return err
		}
		if err := w.refreshScanRows(ctx, ids); err != nil {
			return err
		}
		if err := w.markChanged(ctx, seq, ids); err != nil {
			return err
		}
		return w.saveCursor(ctx, feed, nextCursor)
	})
}

// ApplyCityEnrolments implements store.EnrolmentStore (in a transaction of its own, bulk.go).
func (db *DB) ApplyCityEnrolments(ctx context.Context, feed string, rows []store.CityEnrolment, nextCursor string) error {
	ups, dels, ids := lastWins(rows, func(r *store.CityEnrolment) string { return r.IDNumber }, func(r *store.CityEnrolment) bool { return r.Deleted })
	slices.SortFunc(ups, func(a, b store.CityEnrolment) int { return strings.Compare(a.IDNumber, b.IDNumber) })
	return db.feedTx(ctx, func(w *writer) error {
		seq, err := w.beginMarks(ctx)
		if err != nil {
			return err
		}
		if err := w.deleteIn(ctx, "delete city enrolments", "resident_city", "id_number", dels); err != nil {
			return err
		}
		args := make([]any, 0, len(ups)*cityNCols)
		for _, r := range ups {
			args = append(args, r.IDNumber, r.Pension, r.PensionSince, r.PensionMonthly, r.Medical, r.MedicalYear,
				r.Employment, r.UnemployedSince, r.EmploymentDifficulty, r.UpdatedSeq)
		}
		if err := w.writeRows(ctx, "upsert city enrolments", "INSERT INTO resident_city ("+cityCols+")", cityNCols, cityUpsertTail, args); err != nil {
			return err
		}
		if err := w.refreshScanRows(ctx, ids); err != nil {
			return err
		}
		if err := w.markChanged(ctx, seq, ids); err != nil {
			return err
		}
		return w.saveCursor(ctx, feed, nextCursor)
	})
}

func scanProvince(s scanner) (store.ProvinceFacts, error) {
	var r store.ProvinceFacts
	err := s.Scan(&r.IDNumber, &r.HukouType, &r.HukouVillage, &r.Deceased, &r.DeathDate, &r.DisabilityNumber,
		&r.DisabilityCategory, &r.DisabilityGrade, &r.DisabilityValidUntil, &r.DisabilityStatus, &r.OnlyChildHonour,
		&r.SpouseID, &r.UpdatedSeq)
	return r, wrap("scan province facts", err)
}

func scanCity(s scanner) (store.CityEnrolment, error) {
	var r store.CityEnrolment
	err := s.Scan(&r.IDNumber, &r.Pension, &r.PensionSince, &r.PensionMonthly, &r.Medical, &r.MedicalYear,
		&r.Employment, &r.UnemployedSince, &r.EmploymentDifficulty, &r.UpdatedSeq)
	return r, wrap("scan city enrolment", err)
}

// GetProvinceFacts implements store.ScanDataReader.
func (r reader) GetProvinceFacts(ctx context.Context, idNumber string) (store.ProvinceFacts, error) {
	p, err := scanProvince(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+provinceCols+` FROM resident_province WHERE id_number = ?`), idNumber))
	if err != nil {
		return p, err
	}
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT parent_id, child_id, source FROM resident_child_links WHERE origin = ?
		ORDER BY source, parent_id, child_id`), idNumber)
	if err != nil {
		return p, wrap("read child links", err)
	}
	p.Links, err = scanLinks(rows)
	return p, err
}

func scanLinks(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]store.ChildLink, error) {
	defer rows.Close()
	var out []store.ChildLink
	for rows.Next() {
		var l store.ChildLink
		if err := rows.Scan(&l.ParentID, &l.ChildID, &l.Source); err != nil {
			return nil, wrap("scan child link", err)
		}
		out = append(out, l)
	}
	return out, wrap("read child links", rows.Err())
}

// GetCityEnrolment implements store.ScanDataReader.
func (r reader) GetCityEnrolment(ctx context.Context, idNumber string) (store.CityEnrolment, error) {
	return scanCity(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+cityCols+` FROM resident_city WHERE id_number = ?`), idNumber))
}

// scanResidentCols are the scan_residents columns GetScanResident reads, in scan order.
const scanResidentCols = "id_number, name, sex, birth_date, town, village, household_id, relation, hukou_type, deceased, deceased_source, " +
	"death_date, dibao, tekun, veteran, in_school, collective_member, land_mu, homestead_m2, house_grade, " +
	"roll_disability_category, roll_disability_grade, disability_number, disability_category, disability_grade, " +
	"disability_valid_until, disability_status, only_child_honour, spouse_id, pension, pension_since, pension_monthly, " +
	"medical, medical_year, employment, unemployed_since, employment_difficulty, province_synced, city_synced"

// scanResidentDest returns where a row of scanResidentCols is scanned into s, then extra.
func scanResidentDest(s *store.ScanResident, extra ...any) []any {
	p, c := &s.Province, &s.City
	return append([]any{
		&s.IDNumber, &s.Name, &s.Sex, &s.BirthDate, &s.Town, &s.Village, &s.HouseholdID, &s.Relation, &s.HukouType,
		&s.Deceased, &s.DeceasedSource, &p.DeathDate, &s.Dibao, &s.Tekun, &s.Veteran, &s.InSchool, &s.CollectiveMember,
		&s.LandMu, &s.HomesteadM2, &s.HouseGrade, &s.DisabilityCategory, &s.DisabilityGrade, &p.DisabilityNumber,
		&p.DisabilityCategory, &p.DisabilityGrade, &p.DisabilityValidUntil, &p.DisabilityStatus, &p.OnlyChildHonour,
		&p.SpouseID, &c.Pension, &c.PensionSince, &c.PensionMonthly, &c.Medical, &c.MedicalYear, &c.Employment,
		&c.UnemployedSince, &c.EmploymentDifficulty, &s.ProvinceSynced, &s.CitySynced,
	}, extra...)
}

// completeScanResident sets what a scanned row implies: the platform records' ID numbers and
// the province's word on a death.
func completeScanResident(s *store.ScanResident) {
	if s.ProvinceSynced {
		s.Province.IDNumber = s.IDNumber
		s.Province.Deceased = s.DeceasedSource == "province" || s.DeceasedSource == "both"
	}
	if s.CitySynced {
		s.City.IDNumber = s.IDNumber
	}
}

// GetScanResident implements store.ScanDataReader.
func (r reader) GetScanResident(ctx context.Context, idNumber string) (store.ScanResident, error) {
	var s store.ScanResident
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+scanResidentCols+` FROM scan_residents WHERE id_number = ?`), idNumber).Scan(scanResidentDest(&s)...)
	if err != nil {
		return s, wrap("read scan resident", err)
	}
	completeScanResident(&s)
	return s, nil
}

// ChildrenOf implements store.ScanDataReader.
func (r reader) ChildrenOf(ctx context.Context, parentID string) ([]store.ChildLink, error) {
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT parent_id, child_id, source FROM child_links WHERE parent_id = ?
		ORDER BY child_id, source`), parentID)
	if err != nil {
		return nil, wrap("read child links", err)
	}
	return scanLinks(rows)
}

// CountFeeds implements store.ScanDataReader.
func (r reader) CountFeeds(ctx context.Context) (store.FeedCounts, error) {
	var c store.FeedCounts
	err := r.q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM residents), (SELECT COUNT(*) FROM resident_province),
		(SELECT COUNT(*) FROM resident_city), (SELECT COUNT(*) FROM resident_child_links)`).Scan(&c.Residents, &c.Province, &c.City, &c.ChildLinks)
	return c, wrap("count feeds", err)
}

// EachScanResident implements store.ScanBulkReader.
func (r reader) EachScanResident(ctx context.Context, division string, fn func(*store.ScanResident, []string) error) error {
	cond, args := r.divisionFilter(division)
	each := func(s *store.ScanResident, enrolled []string, _ bool) error { return fn(s, enrolled) }
	if r.d.ScanTable {
		split, err := r.halfSplit(ctx, division)
		if err != nil {
			return err
		}
		return r.scanTableRows(ctx, "read scan residents", `SELECT `+scanResidentCols+`, rolls FROM scan_residents WHERE `+cond+rangeMark+` ORDER BY id_number`, args, 0, split,
			func(s *store.ScanResident, enrolled []string, _ []bool) error { return fn(s, enrolled) })
	}
	src, eargs := r.divisionRolls(division) // the division's rolls only (on PostgreSQL from its partition)
	enrolled, err := r.enrolments(ctx, `SELECT id_number, item FROM `+src+` er ORDER BY id_number, item`, eargs...)
	if err != nil {
		return err
	}
	return r.eachScanRow(ctx, `SELECT `+scanResidentCols+`, '', FALSE FROM scan_residents WHERE `+cond+` ORDER BY id_number`, args, enrolled, each)
}

// eachScanRow runs query, which selects scanResidentCols, the rolls (",a,b,"; an empty
// string when enrolled is given: the rolls by ID number) and a flag, and calls fn for each
// row with its enrolments, sorted.
func (r reader) eachScanRow(ctx context.Context, query string, args []any, enrolled map[string][]string, fn func(*store.ScanResident, []string, bool) error) error {
	rows, err := r.q.QueryContext(ctx, r.d.SQL(query), args...)
	if err != nil {
		return wrap("read scan residents", err)
	}
	defer rows.Close()
	var s store.ScanResident
	var rolls string
	var flag bool
	dest := scanResidentDest(&s, &rolls, &flag)
	for rows.Next() {
		s, flag = store.ScanResident{}, false
		if err := rows.Scan(dest...); err != nil {
			return wrap("scan scan resident", err)
		}
		completeScanResident(&s)
		items := splitRolls(rolls)
		if enrolled != nil {
			items = enrolled[s.IDNumber]
		}
		if err := fn(&s, items, flag); err != nil {
			return err
		}
	}
	return wrap("read scan residents", rows.Err())
}

// AllChildLinks implements store.ScanBulkReader.
func (r reader) AllChildLinks(ctx context.Context) ([]store.ChildLink, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT parent_id, child_id, source FROM child_links ORDER BY parent_id, child_id, source`)
	if err != nil {
		return nil, wrap("read child links", err)
	}
	return scanLinks(rows)
}

// FilterScanResidents implements store.ScanBulkReader.
func (r reader) FilterScanResidents(ctx context.Context, division, where string) ([]string, []string, error) {
	cond, args := r.divisionFilter(division)
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT id_number, village FROM scan_residents WHERE `+cond+` AND (`+where+`) ORDER BY id_number`), args...)
	if err != nil {
		return nil, nil, wrap("filter scan residents", err)
	}
	defer rows.Close()
	var ids, villages []string
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, nil, wrap("filter scan residents", err)
		}
		ids, villages = append(ids, id), append(villages, v)
	}
	return ids, villages, wrap("filter scan residents", rows.Err())
}

// enrolments reads (id_number, item) rows of query, ordered by ID number, into each
// resident's items.
func (r reader) enrolments(ctx context.Context, query string, args ...any) (map[string][]string, error) {
	enrolled := map[string][]string{}
	rows, err := r.q.QueryContext(ctx, r.d.SQL(query), args...)
	if err != nil {
		return nil, wrap("read enrolments", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, item string
		if err := rows.Scan(&id, &item); err != nil {
			return nil, wrap("scan enrolment", err)
		}
		enrolled[id] = append(enrolled[id], item)
	}
	return enrolled, wrap("read enrolments", rows.Err())
}
