package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"sanmian/hub/store"
)

// townLen is the length of a town's division code, the partition key of residents on
// PostgreSQL.
const townLen = 9

// divisionFilter is the condition selecting division on the scan_residents view: the village
// prefix, and for a town or finer the town itself, so that PostgreSQL reads one partition. On
// SQLite the prefix is a range of the village index (LIKE, case-insensitive there, cannot use
// it): from the prefix up to the prefix with its last byte incremented, in SQLite's bytewise
// text order.
func (r reader) divisionFilter(division string) (string, []any) {
	return r.divisionOf("scan_residents", division)
}

// divisionOf is divisionFilter on the table or view alias (residents or scan_residents).
func (r reader) divisionOf(alias, division string) (string, []any) {
	if division != "" && r.d.Name != "postgres" && division[len(division)-1] < 0xff {
		upper := division[:len(division)-1] + string([]byte{division[len(division)-1] + 1})
		return alias + ".village >= ? AND " + alias + ".village < ?", []any{division, upper}
	}
	if len(division) >= townLen {
		return alias + ".town = ? AND " + alias + ".village LIKE ?", []any{division[:townLen], division + "%"}
	}
	return alias + ".village LIKE ?", []any{division + "%"}
}

// splitRolls returns the items of a comma-separated roll (',a,b,' or 'a,b'), sorted.
func splitRolls(rolls string) []string {
	if rolls = strings.Trim(rolls, ","); rolls == "" {
		return nil
	}
	items := strings.Split(rolls, ",")
	slices.Sort(items)
	return items
}

// divisionRolls is the source of the enrolments (id_number, item) of division's residents:
// the table itself for the district ("").
func (r reader) divisionRolls(division string) (string, []any) {
	if division == "" {
		return "resident_enrolments", nil
	}
	cond, args := r.divisionOf("residents", division)
	return `(SELECT e.id_number, e.item FROM resident_enrolments e JOIN residents ON residents.id_number = e.id_number
		WHERE ` + cond + `)`, args
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
	cond, args := r.divisionFilter(scope.Division)
	if scope.Delta {
		cond, args = cond+" AND "+store.ChangedAfterSQL, append(args, scope.ChangedAfter)
	}
	// How each row's roll is read. A pass over the whole district aggregates every roll once
	// and joins it (PostgreSQL hashes both; SQLite reads the aggregate in key order), a
	// string test per item instead of an index probe per item and row; on SQLite a town's or
	// a village's pass aggregates that division's rolls the same way (probing per item and
	// row took 14 s for a town of 145,106 residents). A delta pass reads only its rows' rolls:
	// SQLite probes the roll per item (a primary-key lookup, only for the rows the cheap test
	// leaves); PostgreSQL reads each row's roll once, for a delta and for a division (from its
	// partition: a lateral aggregate; it plans a correlated EXISTS per item as a subplan run
	// for every row).
	// Where scan_residents is a table (SQLite) each row carries its rolls: a string test, no
	// join and no probe.
	pg := r.d.Name == "postgres"
	agg := !scope.Delta && (scope.Division == "" || !pg) && !r.d.ScanTable
	from, fromArgs, err := r.derivedFrom(scope, filters, exprs)
	if err != nil {
		return err
	}
	rolls := `COALESCE((SELECT group_concat(e.item, ',') FROM resident_enrolments e WHERE e.id_number = scan_residents.id_number), '')`
	// Aggregated, each row's rolls of the filters' items are also a bit mask (filter k is bit
	// k; a roll entry is unique per resident and item, so the sum is the mask).
	mask := agg && len(filters) <= 62
	switch {
	case r.d.ScanTable:
		rolls = `scan_residents.rolls`
	case agg:
		concat := `group_concat(item, ',')`
		if pg {
			concat = `string_agg(item, ',')`
		}
		bits := `0`
		if mask {
			var when []string
			for k, f := range filters {
				when = append(when, `WHEN '`+strings.ReplaceAll(f.Item, "'", "''")+`' THEN `+strconv.FormatInt(int64(1)<<k, 10))
			}
			bits = `CAST(SUM(CASE item ` + strings.Join(when, " ") + ` ELSE 0 END) AS BIGINT)`
		}
		src, srcArgs := r.divisionRolls(scope.Division)
		fromArgs = append(fromArgs, srcArgs...)
		from += ` LEFT JOIN (SELECT id_number, ',' || ` + concat + ` || ',' AS items, ` + bits + ` AS mask
			FROM ` + src + ` GROUP BY id_number) er ON er.id_number = scan_residents.id_number`
		rolls = `COALESCE(er.items, '')`
	case pg:
		from += ` LEFT JOIN LATERAL (SELECT ',' || string_agg(e.item, ',' ORDER BY e.item) || ',' AS items
			FROM resident_enrolments e WHERE e.id_number = scan_residents.id_number) er ON TRUE`
		rolls = `COALESCE(trim(BOTH ',' FROM er.items), '')`
	}
	var sel []string
	var selArgs []any
	for k, f := range filters {
		on := `EXISTS (SELECT 1 FROM resident_enrolments e WHERE e.id_number = scan_residents.id_number AND e.item = ?)`
		item := any(f.Item)
		switch {
		case r.d.ScanTable:
			on, item = `instr(scan_residents.rolls, ?) > 0`, ","+f.Item+","
		case mask:
			on, item = `(COALESCE(er.mask, 0) & ?) <> 0`, int64(1)<<k
		case pg:
			on, item = `COALESCE(strpos(er.items, ?), 0) > 0`, ","+f.Item+","
		case agg:
			on, item = `COALESCE(instr(er.items, ?), 0) > 0`, ","+f.Item+","
		}
		if pg || agg || r.d.ScanTable {
			// The roll is a string test here, cheaper than the criteria: it goes first.
			sel = append(sel, `(NOT `+on+` AND (`+f.Eligible+`))`)
		} else {
			sel = append(sel, `((`+f.Eligible+`) AND NOT `+on+`)`)
		}
		selArgs = append(selArgs, item)
		if f.Keeps == "" {
			continue // a screen: no supervision rows
		}
		if pg || agg || r.d.ScanTable {
			sel = append(sel, `(`+on+` AND NOT (`+f.Keeps+`))`)
		} else {
			sel = append(sel, `(NOT (`+f.Keeps+`) AND `+on+`)`)
		}
		selArgs = append(selArgs, item)
	}
	cols := scanResidentCols
	cols = "scan_residents." + strings.ReplaceAll(cols, ", ", ", scan_residents.")
	cols += `, ` + rolls
	for _, x := range exprs {
		cols += `, (` + x + `)`
	}
	if r.d.ScanTable {
		split := ""
		if !scope.Delta {
			var err error
			if split, err = r.halfSplit(ctx, scope.Division); err != nil {
				return err
			}
		}
		q := `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + cond + ` AND (` + strings.Join(sel, " OR ") + `)` + rangeMark + ` ORDER BY scan_residents.id_number`
		return r.scanTableRows(ctx, "scan pass", q, append(append(fromArgs, args...), selArgs...), len(exprs), split, fn)
	}
	q := `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + cond + ` AND (` + strings.Join(sel, " OR ") + `) ORDER BY scan_residents.id_number`
	return r.scanRows(ctx, "scan pass", q, append(append(fromArgs, args...), selArgs...), len(exprs), fn)
}

// CountScanResidents implements store.ScanBulkReader.
// The view has one row per row of residents (its joins are on the other tables' keys), so the
// table is counted: counting the view makes SQLite read every joined row (5 s on the whole
// district, against milliseconds).
func (r reader) CountScanResidents(ctx context.Context, division string) (int, error) {
	cond, args := r.divisionOf("residents", division)
	var n int
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT COUNT(*) FROM residents WHERE `+cond), args...).Scan(&n)
	return n, wrap("count scan residents", err)
}

// passWorkMem is the PostgreSQL work_mem of a whole-district pass: the hash aggregate of the
// rolls fits in memory instead of spilling to disk in batches (BENCHMARKS.md).
const passWorkMem = "64MB"

// ScanPass implements store.ScanBulkReader. On PostgreSQL a whole-district pass runs in a
// read-only snapshot with its own work_mem (SET LOCAL: this transaction only).
func (db *DB) ScanPass(ctx context.Context, scope store.PassScope, filters []store.ItemFilter, exprs []string, fn func(*store.ScanResident, []string, []bool) error) error {
	if db.d.Name != "postgres" || scope.Division != "" || scope.Delta || len(filters) == 0 {
		return db.reader.ScanPass(ctx, scope, filters, exprs, fn)
	}
	return db.snapshot(ctx, func(q queryer) error {
		if _, err := q.ExecContext(ctx, "SET LOCAL work_mem = '"+passWorkMem+"'"); err != nil {
			return wrap("scan pass", err)
		}
		return reader{q: q, d: db.d, key: db.subjectKey}.ScanPass(ctx, scope, filters, exprs, fn)
	})
}

// OtherRolls implements store.ScanBulkReader. The table is small (rolls a moved household's
// old village never updated), so it drives the join: one lookup of the resident and of their
// own enrolment per entry.
func (r reader) OtherRolls(ctx context.Context, division string) ([]store.OtherRoll, error) {
	cond, args := r.divisionOf("residents", division)
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT o.id_number, o.item, o.village, residents.village,
		EXISTS (SELECT 1 FROM resident_enrolments e WHERE e.id_number = o.id_number AND e.item = o.item)
		FROM resident_other_rolls o JOIN residents ON residents.id_number = o.id_number
		WHERE `+cond+` ORDER BY o.id_number, o.item, o.village`), args...)
	if err != nil {
		return nil, wrap("read other rolls", err)
	}
	defer rows.Close()
	var out []store.OtherRoll
	for rows.Next() {
		var o store.OtherRoll
		if err := rows.Scan(&o.IDNumber, &o.Item, &o.Village, &o.HomeVillage, &o.HomeEnrolled); err != nil {
			return nil, wrap("read other rolls", err)
		}
		out = append(out, o)
	}
	return out, wrap("read other rolls", rows.Err())
}
