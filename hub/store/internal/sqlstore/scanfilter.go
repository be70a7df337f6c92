package sqlstore

import (
	"context"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// townLen is the length of a town's division code, the partition key of residents on
// PostgreSQL.
const townLen = 9

// divisionFilter is the condition selecting division on the scan_residents view: the village
// prefix, and for a town or finer the town itself, so that PostgreSQL reads one partition.
func divisionFilter(division string) (string, []any) {
	if len(division) >= townLen {
		return "scan_residents.town = ? AND scan_residents.village LIKE ?", []any{division[:townLen], division + "%"}
	}
	return "scan_residents.village LIKE ?", []any{division + "%"}
}

// ScanPass implements store.ScanBulkReader. Each filter contributes
//
//	(Eligible AND NOT on the roll) OR (NOT Keeps AND on the roll)
//
// to the row selection, the cheap column test first so that the roll is looked up (an index
// probe) only for the rows the test leaves.
func (r reader) ScanPass(ctx context.Context, scope store.PassScope, filters []store.ItemFilter, exprs []string, fn func(*store.ScanResident, []string, []bool) error) error {
	if len(filters) == 0 {
		return nil
	}
	cond, args := divisionFilter(scope.Division)
	if scope.Delta {
		cond, args = cond+" AND "+store.ChangedAfterSQL, append(args, scope.ChangedAfter)
	}
	// SQLite probes the roll per item (a primary-key lookup, only for the rows the cheap test
	// leaves); PostgreSQL reads each row's roll once (a lateral aggregate: it plans a
	// correlated EXISTS per item as a subplan run for every row).
	pg := r.d.Name == "postgres"
	from := `scan_residents`
	rolls := `COALESCE((SELECT group_concat(e.item, ',') FROM resident_enrolments e WHERE e.id_number = scan_residents.id_number), '')`
	if pg {
		from += ` LEFT JOIN LATERAL (SELECT ',' || string_agg(e.item, ',' ORDER BY e.item) || ',' AS items
			FROM resident_enrolments e WHERE e.id_number = scan_residents.id_number) er ON TRUE`
		rolls = `COALESCE(trim(BOTH ',' FROM er.items), '')`
	}
	var sel []string
	var selArgs []any
	for _, f := range filters {
		on := `EXISTS (SELECT 1 FROM resident_enrolments e WHERE e.id_number = scan_residents.id_number AND e.item = ?)`
		item := any(f.Item)
		if pg {
			on, item = `COALESCE(strpos(er.items, ?), 0) > 0`, ","+f.Item+","
		}
		sel = append(sel, `((`+f.Eligible+`) AND NOT `+on+`)`, `(NOT (`+f.Keeps+`) AND `+on+`)`)
		selArgs = append(selArgs, item, item)
	}
	cols := scanResidentCols
	cols = "scan_residents." + strings.ReplaceAll(cols, ", ", ", scan_residents.")
	cols += `, ` + rolls
	for _, x := range exprs {
		cols += `, (` + x + `)`
	}
	q := `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + cond + ` AND (` + strings.Join(sel, " OR ") + `) ORDER BY scan_residents.id_number`
	rows, err := r.q.QueryContext(ctx, r.d.SQL(q), append(args, selArgs...)...)
	if err != nil {
		return wrap("scan pass", err)
	}
	defer rows.Close()
	var s store.ScanResident
	var enrolled string
	vals := make([]bool, len(exprs))
	dest := make([]any, 0, 40+len(exprs))
	for rows.Next() {
		s = store.ScanResident{}
		p, c := &s.Province, &s.City
		dest = append(dest[:0],
			&s.IDNumber, &s.Name, &s.Sex, &s.BirthDate, &s.Town, &s.Village, &s.HouseholdID, &s.Relation, &s.HukouType,
			&s.Deceased, &s.DeceasedSource, &p.DeathDate, &s.Dibao, &s.Tekun, &s.Veteran, &s.InSchool, &s.CollectiveMember,
			&s.LandMu, &s.HomesteadM2, &s.HouseGrade, &s.DisabilityCategory, &s.DisabilityGrade, &p.DisabilityNumber,
			&p.DisabilityCategory, &p.DisabilityGrade, &p.DisabilityValidUntil, &p.DisabilityStatus, &p.OnlyChildHonour,
			&p.SpouseID, &c.Pension, &c.PensionSince, &c.PensionMonthly, &c.Medical, &c.MedicalYear, &c.Employment,
			&c.UnemployedSince, &c.EmploymentDifficulty, &s.ProvinceSynced, &s.CitySynced, &enrolled)
		for k := range vals {
			dest = append(dest, &vals[k])
		}
		if err := rows.Scan(dest...); err != nil {
			return wrap("scan pass", err)
		}
		if s.ProvinceSynced {
			p.IDNumber = s.IDNumber
			p.Deceased = s.DeceasedSource == "province" || s.DeceasedSource == "both"
		}
		if s.CitySynced {
			c.IDNumber = s.IDNumber
		}
		var items []string
		if enrolled != "" {
			items = strings.Split(enrolled, ",")
			slices.Sort(items)
		}
		if err := fn(&s, items, vals); err != nil {
			return err
		}
	}
	return wrap("scan pass", rows.Err())
}

// CountScanResidents implements store.ScanBulkReader.
func (r reader) CountScanResidents(ctx context.Context, division string) (int, error) {
	cond, args := divisionFilter(division)
	var n int
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT COUNT(*) FROM scan_residents WHERE `+cond), args...).Scan(&n)
	return n, wrap("count scan residents", err)
}
