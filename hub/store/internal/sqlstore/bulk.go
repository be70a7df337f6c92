package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// The bulk path of the feed syncs.
//
// A feed page is applied in a transaction of its own (feedTx), outside group commit: inside a
// group's savepoint SQLite copies every page a statement changes into the sub-journal, which
// for a 5,000-row page is most of the B-tree it touches. On SQLite the rows are written by one
// prepared single-row statement each (execEach): a multi-row INSERT may fail halfway, so
// SQLite opens a statement journal for it and copies the pages it changes once more, and
// parses the long statement anew every time. On a first load (BeginBulkLoad) the secondary
// indexes of the synced tables are dropped and built once at the end, and commits are
// synchronous=NORMAL (WAL: crash-safe, the last commits may be lost on power failure, and the
// cursor is in the same transaction as its rows, so a lost commit is synced again).

// syncedTables are the tables the feeds write, whose secondary indexes a bulk load defers.
var syncedTables = []string{"residents", "resident_enrolments", "resident_other_rolls", "resident_province", "resident_city", "resident_child_links", "scan_residents"}

// keptIndexes are the indexes the sync's own statements need (a resident's new backflow
// record replaces the links its previous record stated, found by origin): kept during a bulk
// load.
var keptIndexes = []string{"resident_child_links_origin"}

// feedTx runs fn in a plain transaction (never a group-commit savepoint).
func (db *DB) feedTx(ctx context.Context, fn func(w *writer) error) error {
	return db.plainTx(ctx, func(t store.Txn) error { return fn(t.(*writer)) })
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// execEach runs query (a single-row statement of width parameters) once per row of args:
// prepared once, on the transaction's connection. Without array binding (PostgreSQL binds
// arrays instead), this is the bulk write path of the feeds.
func (w *writer) execEach(ctx context.Context, what, query string, width int, args []any) error {
	if len(args) == 0 {
		return nil
	}
	p, ok := w.q.(preparer)
	if !ok {
		return fmt.Errorf("store: %s: the transaction cannot prepare statements", what)
	}
	st, err := p.PrepareContext(ctx, w.d.SQL(query))
	if err != nil {
		return wrap(what, err)
	}
	defer st.Close()
	// The driver watches a cancellable context with a goroutine per statement execution;
	// per row that costs more than the insert. Cancellation is checked every 1,024 rows
	// instead (the transaction itself still ends with ctx).
	ectx := context.WithoutCancel(ctx)
	for n := 0; len(args) > 0; n++ {
		if n%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return wrap(what, err)
			}
		}
		if _, err := st.ExecContext(ectx, args[:width]...); err != nil {
			return wrap(what, err)
		}
		args = args[width:]
	}
	return nil
}

// writeRows writes rows of width values: one prepared statement per row on SQLite, multi-row
// statements otherwise.
func (w *writer) writeRows(ctx context.Context, what, prefix string, width int, tail string, args []any) error {
	if w.d.GroupCommit {
		return w.execEach(ctx, what, prefix+" VALUES "+placeholders(width)+tail, width, args)
	}
	return w.insertRows(ctx, what, prefix, width, tail, args)
}

// BeginBulkLoad implements store.BulkLoader. Only the SQLite store (one writer, a B-tree per
// index in pure Go) defers its indexes; PostgreSQL loads through unnest with them in place,
// and gathers the planner's statistics at the end (EndBulkLoad), also at the end of the next
// sync when a first load stopped before it did. Not while delta scans track changes:
// marking a page's households needs the indexes.
func (db *DB) BeginBulkLoad(ctx context.Context) (bool, error) {
	var empty bool
	err := db.r.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM residents) AND NOT EXISTS (SELECT 1 FROM resident_province)
		AND NOT EXISTS (SELECT 1 FROM resident_city) AND (SELECT value FROM scan_state WHERE name = 'tracking') = 0`).Scan(&empty)
	if err != nil {
		return false, wrap("check for a first load", err)
	}
	if !db.d.GroupCommit {
		if empty {
			return true, nil
		}
		var analyzed bool
		err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'residents')`).Scan(&analyzed)
		return !analyzed, wrap("check for statistics", err)
	}
	if !empty {
		return false, nil
	}
	err = db.feedTx(ctx, func(w *writer) error {
		rows, err := w.q.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
			AND tbl_name IN ('`+joinQuoted(syncedTables)+`') AND name NOT IN ('`+joinQuoted(keptIndexes)+`') ORDER BY name`)
		if err != nil {
			return wrap("list indexes", err)
		}
		var names, defs []string
		for rows.Next() {
			var n, s string
			if err := rows.Scan(&n, &s); err != nil {
				rows.Close()
				return wrap("list indexes", err)
			}
			names, defs = append(names, n), append(defs, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap("list indexes", err)
		}
		for i, n := range names {
			if _, err := w.q.ExecContext(ctx, `INSERT INTO bulk_load_indexes (name, sql) VALUES (?, ?)`, n, defs[i]); err != nil {
				return wrap("record index", err)
			}
			if _, err := w.q.ExecContext(ctx, `DROP INDEX "`+n+`"`); err != nil {
				return wrap("drop index", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return true, wrap("relax synchronous", err)
	}
	return true, nil
}

func joinQuoted(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += "', '"
		}
		out += v
	}
	return out
}

// EndBulkLoad implements store.BulkLoader. On PostgreSQL it analyzes the synced tables: the
// planner had no statistics of the rows just loaded (autovacuum analyzes them later, and never
// a partitioned table itself), and with none it estimated one row per table: a town's pass
// over 6,020 residents ran correlated nested loops and took 4-10 s (BENCHMARKS.md).
func (db *DB) EndBulkLoad(ctx context.Context) error {
	if !db.d.GroupCommit {
		// Its scan_residents is a view of the others.
		tables := slices.DeleteFunc(slices.Clone(syncedTables), func(t string) bool { return t == "scan_residents" })
		_, err := db.w.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", "))
		return wrap("analyze synced tables", err)
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return wrap("restore synchronous", err)
	}
	return db.restoreIndexes(ctx)
}

// scanIndex is the index of the scan_residents table (Dialect.ScanTable). While a bulk load
// has it dropped, the feeds leave the table to the load's end, which rebuilds it.
const scanIndex = "scan_residents_village"

// scanRowsDeferred reports whether a bulk load has left scan_residents to its end.
func scanRowsDeferred(ctx context.Context, q queryer) (bool, error) {
	var deferred bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bulk_load_indexes WHERE name = '`+scanIndex+`')`).Scan(&deferred)
	return deferred, err
}

// restoreIndexes rebuilds scan_residents if the load deferred it, then creates the indexes a
// bulk load dropped, each in its own transaction with the removal of its record. A crash in
// between leaves the records, and the next open does both again.
func (db *DB) restoreIndexes(ctx context.Context) error {
	if db.d.ScanTable {
		deferred, err := scanRowsDeferred(ctx, db.w)
		if err != nil {
			return wrap("check scan rows", err)
		}
		if deferred {
			err := db.feedTx(ctx, func(w *writer) error {
				if _, err := w.q.ExecContext(ctx, `DELETE FROM scan_residents`); err != nil {
					return wrap("rebuild scan rows", err)
				}
				_, err := w.q.ExecContext(ctx, `INSERT INTO scan_residents SELECT * FROM scan_source ORDER BY id_number`)
				return wrap("rebuild scan rows", err)
			})
			if err != nil {
				return err
			}
		}
	}
	rows, err := db.w.QueryContext(ctx, `SELECT name, sql FROM bulk_load_indexes ORDER BY name`)
	if err != nil {
		return wrap("list dropped indexes", err)
	}
	var names, defs []string
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			rows.Close()
			return wrap("list dropped indexes", err)
		}
		names, defs = append(names, n), append(defs, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("list dropped indexes", err)
	}
	for i, n := range names {
		err := db.feedTx(ctx, func(w *writer) error {
			if _, err := w.q.ExecContext(ctx, defs[i]); err != nil {
				return wrap("create index "+n, err)
			}
			_, err := w.q.ExecContext(ctx, `DELETE FROM bulk_load_indexes WHERE name = ?`, n)
			return wrap("create index "+n, err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
