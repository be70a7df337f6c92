package sqlstore

import (
	"context"
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

// FilterScanEnrolment implements store.ScanBulkReader.
func (r reader) FilterScanEnrolment(ctx context.Context, division, item, where string, enrolled bool) ([]string, []string, error) {
	cond, args := divisionFilter(division)
	q := `SELECT scan_residents.id_number, scan_residents.village FROM scan_residents WHERE ` + cond +
		` AND (` + where + `) AND NOT EXISTS (SELECT 1 FROM resident_enrolments e WHERE e.item = ? AND e.id_number = scan_residents.id_number)`
	if enrolled {
		q = `SELECT scan_residents.id_number, scan_residents.village FROM scan_residents JOIN resident_enrolments e
			ON e.id_number = scan_residents.id_number AND e.item = ? WHERE ` + cond + ` AND NOT (` + where + `)`
		args = append([]any{item}, args...)
	} else {
		args = append(args, item)
	}
	rows, err := r.q.QueryContext(ctx, r.d.SQL(q+` ORDER BY scan_residents.id_number`), args...)
	if err != nil {
		return nil, nil, wrap("filter scan enrolment", err)
	}
	defer rows.Close()
	var ids, villages []string
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, nil, wrap("filter scan enrolment", err)
		}
		ids, villages = append(ids, id), append(villages, v)
	}
	return ids, villages, wrap("filter scan enrolment", rows.Err())
}

// CountScanResidents implements store.ScanBulkReader.
func (r reader) CountScanResidents(ctx context.Context, division string) (int, error) {
	cond, args := divisionFilter(division)
	var n int
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT COUNT(*) FROM scan_residents WHERE `+cond), args...).Scan(&n)
	return n, wrap("count scan residents", err)
}
