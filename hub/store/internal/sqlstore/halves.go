package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// The whole district's scan-table reads (the scan's compiled pass and its load of every row)
// are one long ordered query each: on SQLite one connection runs it on one core while the
// other waits. Read in two halves of the ID-number range at once, on two connections of the
// reader pool, they take both cores; the rows still reach the caller in ID order (the first
// half's as they are read, the second half's after them, kept in memory meanwhile).

// rangeMark is where an ordered scan-table query takes its ID-range condition: the end of
// its WHERE clause (so the bound is its last argument).
const rangeMark = "/*id range*/"

// halvesMinRows is the district size from which a whole-district read is split.
const halvesMinRows = 50_000

// halfSplit returns the ID number that splits a whole-district scan-table read in two halves
// (the median of the synced residents), or "" when the read should not be split: not the
// whole district, not SQLite's scan table, not the reader pool (a transaction runs one query
// at a time), or a small district.
func (r reader) halfSplit(ctx context.Context, division string) (string, error) {
	if !r.pool() || !r.d.ScanTable || division != "" {
		return "", nil
	}
	var n int
	if err := r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM residents`).Scan(&n); err != nil {
		return "", wrap("split the scan read", err)
	}
	if n < halvesMinRows {
		return "", nil
	}
	var split string
	err := r.q.QueryRowContext(ctx, `SELECT id_number FROM residents ORDER BY id_number LIMIT 1 OFFSET ?`, n/2).Scan(&split)
	if err == sql.ErrNoRows { // emptied meanwhile
		return "", nil
	}
	return split, wrap("split the scan read", err)
}

// pool reports whether r reads through the reader pool (which may run queries at once), not a
// transaction.
func (r reader) pool() bool {
	switch r.q.(type) {
	case *sql.DB, *stmtCache:
		return true
	}
	return false
}

// scanTableRows runs q (an ordered scan-table query holding rangeMark) and calls fn for each
// row in ID order: scanResidentCols, the rolls (",a,b,") and nvals booleans. With a split
// (halfSplit) it reads the two halves at once.
func (r reader) scanTableRows(ctx context.Context, what, q string, args []any, nvals int, split string, fn func(*store.ScanResident, []string, []bool) error) error {
	if split == "" {
		return r.scanRows(ctx, what, strings.Replace(q, rangeMark, "", 1), args, nvals, fn)
	}
	type row struct {
		s     store.ScanResident
		items []string
		vals  []bool
	}
	var second []row
	var secondErr error
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		secondErr = r.scanRows(hctx, what, strings.Replace(q, rangeMark, " AND scan_residents.id_number >= ?", 1), append(slices.Clip(args), split), nvals,
			func(s *store.ScanResident, items []string, vals []bool) error {
				second = append(second, row{s: *s, items: items, vals: slices.Clone(vals)})
				return nil
			})
	}()
	// The first half on the caller's goroutine: fn is called where the caller runs.
	err := r.scanRows(ctx, what, strings.Replace(q, rangeMark, " AND scan_residents.id_number < ?", 1), append(slices.Clip(args), split), nvals, fn)
	if err != nil {
		cancel()
	}
	<-done
	if err != nil {
		return err
	}
	if secondErr != nil {
		return secondErr
	}
	for i := range second {
		if err := fn(&second[i].s, second[i].items, second[i].vals); err != nil {
			return err
		}
		second[i] = row{} // let the collector have it
	}
	return nil
}

// scanRows runs one ordered query of scan rows (scanResidentCols, the rolls as ",a,b,", nvals
// booleans) and calls fn for each row; the row and the values passed are reused.
func (r reader) scanRows(ctx context.Context, what, q string, args []any, nvals int, fn func(*store.ScanResident, []string, []bool) error) error {
	rows, err := r.q.QueryContext(ctx, r.d.SQL(q), args...)
	if err != nil {
		return wrap(what, err)
	}
	defer rows.Close()
	var s store.ScanResident
	var rolls string
	vals := make([]bool, nvals)
	dest := scanResidentDest(&s, &rolls)
	for k := range vals {
		dest = append(dest, &vals[k])
	}
	for rows.Next() {
		s = store.ScanResident{}
		if err := rows.Scan(dest...); err != nil {
			return wrap(what, err)
		}
		completeScanResident(&s)
		if err := fn(&s, splitRolls(rolls), vals); err != nil {
			return err
		}
	}
	return wrap(what, rows.Err())
}
