package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// Change tracking for delta scans (store.ScanDelta).

// beginMarks returns the change sequence this transaction marks with, 0 when tracking is off.
// On PostgreSQL the tracking flag is read FOR SHARE, so a scan turning tracking on waits for
// the feed transactions that read it off; the sequence row's lock orders the marking
// transactions' commits by their sequence.
func (w *writer) beginMarks(ctx context.Context) (int64, error) {
	q := `SELECT value FROM scan_state WHERE name = 'tracking'`
	if w.d.ForUpdate != "" {
		q += " FOR SHARE"
	}
	var on int64
	if err := w.q.QueryRowContext(ctx, q).Scan(&on); err != nil {
		return 0, wrap("read scan tracking", err)
	}
	if on == 0 {
		return 0, nil
	}
	var seq int64
	err := w.q.QueryRowContext(ctx, `UPDATE scan_state SET value = value + 1 WHERE name = 'change_seq' RETURNING value`).Scan(&seq)
	return seq, wrap("next change sequence", err)
}

// idSet returns the SQL set membership of a column in ids ("IN (?, ...)" or "= ANY(?)") and
// its arguments.
func (w *writer) idSet(ids []string) (string, []any) { return valueSet(w.d, ids, "text") }

// valueSet returns the SQL set membership of a column in vals and its arguments: one array of
// the PostgreSQL type pgType where the dialect binds arrays, else a list of placeholders.
func valueSet[T string | int64](d *Dialect, vals []T, pgType string) (string, []any) {
	if d.ArrayBind {
		return " = ANY(?::" + pgType + "[])", []any{vals}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return " IN " + placeholders(len(vals)), args
}

// refreshScanRows rebuilds the scan_residents rows of ids from scan_source where
// scan_residents is a table (Dialect.ScanTable; a view is always current). Every page a feed
// applies calls it after its writes, in the same transaction: a row is the resident's own
// district, province and city records and rolls, so the residents a page touches are the rows
// it changes.
func (w *writer) refreshScanRows(ctx context.Context, ids []string) error {
	if !w.d.ScanTable || len(ids) == 0 {
		return nil
	}
	// A first load rebuilds the whole table once at its end (restoreIndexes) instead: the
	// three feeds touch every resident three times, page by page.
	if deferred, err := scanRowsDeferred(ctx, w.q); err != nil || deferred {
		return wrap("refresh scan rows", err)
	}
	for len(ids) > 0 {
		n := min(len(ids), 5000)
		set, args := w.idSet(ids[:n])
		ids = ids[n:]
		if _, err := w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM scan_residents WHERE id_number`+set), args...); err != nil {
			return wrap("refresh scan rows", err)
		}
		if _, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO scan_residents SELECT * FROM scan_source WHERE id_number`+set), args...); err != nil {
			return wrap("refresh scan rows", err)
		}
	}
	return nil
}

// markChanged marks ids, the members of their households and the parents linked to them
// (as the tables stand now) with seq; nothing when seq is 0 (tracking off). The feeds call
// it before and after applying a page, so both the old and the new households and links are
// marked.
func (w *writer) markChanged(ctx context.Context, seq int64, ids []string) error {
	if seq == 0 || len(ids) == 0 {
		return nil
	}
	const upsert = " ON CONFLICT (id_number) DO UPDATE SET seq = excluded.seq"
	for len(ids) > 0 {
		n := min(len(ids), 5000)
		part := ids[:n]
		ids = ids[n:]
		if w.d.ArrayBind {
			if _, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO scan_changes (id_number, seq) SELECT DISTINCT u.id, ?::bigint FROM unnest(?::text[]) AS u(id)`+upsert), seq, part); err != nil {
				return wrap("mark changes", err)
			}
		} else {
			args := make([]any, 0, 2*n)
			for _, id := range part {
				args = append(args, id, seq)
			}
			if err := w.execEach(ctx, "mark changes", `INSERT INTO scan_changes (id_number, seq) VALUES (?, ?)`+upsert, 2, args); err != nil {
				return err
			}
		}
		set, a := w.idSet(part)
		args := append([]any{seq}, a...)
		args = append(args, a...)
		args = append(args, a...)
		cast := "?"
		if w.d.ArrayBind {
			cast = "?::bigint"
		}
		q := `INSERT INTO scan_changes (id_number, seq) SELECT rel.id, ` + cast + ` FROM (
			SELECT m.id_number AS id FROM residents r JOIN residents m ON m.household_id = r.household_id
			WHERE r.household_id <> '' AND r.id_number` + set + `
			UNION SELECT parent_id FROM resident_child_links WHERE child_id` + set + `
			UNION SELECT parent_id FROM resident_child_links WHERE origin` + set + `) AS rel WHERE TRUE` + upsert
		if _, err := w.q.ExecContext(ctx, w.d.SQL(q), args...); err != nil {
			return wrap("mark related changes", err)
		}
	}
	return nil
}

// BeginScanTracking implements store.ScanDelta.
func (db *DB) BeginScanTracking(ctx context.Context) (int64, error) {
	var seq int64
	err := db.feedTx(ctx, func(w *writer) error {
		if _, err := w.q.ExecContext(ctx, `UPDATE scan_state SET value = 1 WHERE name = 'tracking'`); err != nil {
			return wrap("turn scan tracking on", err)
		}
		return wrap("read change sequence", w.q.QueryRowContext(ctx, `SELECT value FROM scan_state WHERE name = 'change_seq'`).Scan(&seq))
	})
	return seq, err
}

// ScanBaseline implements store.ScanDelta.
func (r reader) ScanBaseline(ctx context.Context) (int64, bool, error) {
	var seq int64
	if err := r.q.QueryRowContext(ctx, `SELECT value FROM scan_state WHERE name = 'baseline'`).Scan(&seq); err != nil {
		return 0, false, wrap("read scan baseline", err)
	}
	return seq, seq >= 0, nil
}

// SetScanBaseline implements store.ScanDelta.
func (db *DB) SetScanBaseline(ctx context.Context, seq int64) error {
	if seq < 0 {
		return fmt.Errorf("%w: scan baseline %d", store.ErrInvalid, seq)
	}
	return db.Tx(ctx, func(t store.Txn) error {
		_, err := t.(*writer).q.ExecContext(ctx, db.d.SQL(`UPDATE scan_state SET value = ? WHERE name = 'baseline'`), seq)
		return wrap("save scan baseline", err)
	})
}

// ChangedSince implements store.ScanDelta.
func (r reader) ChangedSince(ctx context.Context, seq int64) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT id_number FROM scan_changes WHERE seq > ? ORDER BY id_number`), seq)
	if err != nil {
		return nil, wrap("read changes", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("read changes", err)
		}
		out = append(out, id)
	}
	return out, wrap("read changes", rows.Err())
}

// contextCTE defines ch (the residents named by the query chosen that are on the roll, and
// when division is set (a LIKE pattern, the last parameter) in it) and ld (ch, the other
// members of their households, the children linked to them, wherever these live): what
// rebuilding ch's evidence reads. The context is not kept to the division: a live decision
// reads a resident's household and children wherever they live, and so must a scan of a
// village.
func contextCTE(chosen string, division bool) string {
	if division {
		chosen = `SELECT c.id FROM (` + chosen + `) c JOIN residents dv ON dv.id_number = c.id WHERE dv.village LIKE ?`
	}
	return `WITH ch AS (` + chosen + `),
ld AS (SELECT id FROM ch
	UNION SELECT m.id_number FROM ch JOIN residents r ON r.id_number = ch.id
		JOIN residents m ON m.household_id = r.household_id WHERE r.household_id <> ''
	UNION SELECT l.child_id FROM ch JOIN resident_child_links l ON l.parent_id = ch.id) `
}

// EachScanResidentOf implements store.ScanBulkReader. The ID numbers are bound as one
// parameter: a text array on PostgreSQL, a JSON array on SQLite.
func (r reader) EachScanResidentOf(ctx context.Context, division string, ids []string, fn func(*store.ScanResident, []string, bool) error) error {
	if len(ids) == 0 {
		return nil
	}
	if r.d.ArrayBind {
		return r.eachInContext(ctx, `SELECT unnest(?::text[]) AS id`, ids, division, fn)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return r.eachInContext(ctx, `SELECT value AS id FROM json_each(?)`, string(list), division, fn)
}

// eachInContext calls fn for the scan_residents rows of contextCTE(chosen)'s ld, ordered by
// ID number, with whether each is in ch; arg is chosen's one parameter. Without a division
// the roll alone keeps the named (a name not on it has no row).
func (r reader) eachInContext(ctx context.Context, chosen string, arg any, division string, fn func(*store.ScanResident, []string, bool) error) error {
	cte, args := contextCTE(chosen, division != ""), []any{arg}
	if division != "" {
		args = append(args, division+"%")
	}
	const where = ` FROM scan_residents WHERE id_number IN (SELECT id FROM ld) ORDER BY id_number`
	if r.d.ScanTable {
		return r.eachScanRow(ctx, cte+`SELECT `+scanResidentCols+`, rolls, id_number IN (SELECT id FROM ch)`+where, args, nil, fn)
	}
	enrolled, err := r.enrolments(ctx, cte+`SELECT id_number, item FROM resident_enrolments
		WHERE id_number IN (SELECT id FROM ld) ORDER BY id_number, item`, args...)
	if err != nil {
		return err
	}
	return r.eachScanRow(ctx, cte+`SELECT `+scanResidentCols+`, '', id_number IN (SELECT id FROM ch)`+where, args, enrolled, fn)
}

// ChildLinksOf implements store.ScanBulkReader. The parents are bound as a list, not a subquery:
// the planners push a list into the view's branches (each an index search), a subquery not.
func (r reader) ChildLinksOf(ctx context.Context, parents []string) ([]store.ChildLink, error) {
	var out []store.ChildLink
	for len(parents) > 0 {
		n := min(len(parents), 10000)
		var set string
		var args []any
		if r.d.ArrayBind {
			set, args = " = ANY(?::text[])", []any{parents[:n]}
		} else {
			set, args = " IN "+placeholders(n), make([]any, n)
			for i, id := range parents[:n] {
				args[i] = id
			}
		}
		parents = parents[n:]
		rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT parent_id, child_id, source FROM child_links WHERE parent_id`+set+`
			ORDER BY parent_id, child_id, source`), args...)
		if err != nil {
			return nil, wrap("read child links", err)
		}
		ls, err := scanLinks(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// FilterChangedScanResidents implements store.ScanDelta.
func (r reader) FilterChangedScanResidents(ctx context.Context, division, where string, seq int64) ([]string, []string, error) {
	rows, err := r.q.QueryContext(ctx, r.d.SQL(`SELECT id_number, village FROM scan_residents WHERE village LIKE ? AND (`+where+`) AND `+
		store.ChangedAfterSQL+` ORDER BY id_number`), division+"%", seq)
	if err != nil {
		return nil, nil, wrap("filter changed scan residents", err)
	}
	defer rows.Close()
	var ids, villages []string
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, nil, wrap("filter changed scan residents", err)
		}
		ids, villages = append(ids, id), append(villages, v)
	}
	return ids, villages, wrap("filter changed scan residents", rows.Err())
}

// ReplaceScanFindingsOf implements store.ScanDelta, by replaceFindings. One statement per
// 5,000 residents for every item: a statement per item looked the same residents up once per
// item.
func (db *DB) ReplaceScanFindingsOf(ctx context.Context, items []string, division string, ids []string, findings []store.ScanFinding) error {
	if len(items) == 0 || slices.Contains(items, "") || !digits(division) {
		return fmt.Errorf("%w: scan findings need items and a digit division prefix", store.ErrInvalid)
	}
	of := make(map[string]bool, len(ids))
	for _, id := range ids {
		of[id] = true
	}
	rows := make([][]any, 0, len(findings))
	for _, f := range findings {
		if !slices.Contains(items, f.Item) || !strings.HasPrefix(f.Village, division) || (f.Kind != store.FindingCandidate && f.Kind != store.FindingAlert) || !of[f.IDNumber] {
			return fmt.Errorf("%w: finding %s/%s outside items %v, division %q or the residents replaced", store.ErrInvalid, f.Kind, f.Item, items, division)
		}
		rows = append(rows, findingRow(f))
	}
	return db.Tx(ctx, func(t store.Txn) error {
		w := t.(*writer)
		itemSet, itemArgs := w.idSet(items)
		var sel []findingSel
		for part := range slices.Chunk(ids, 5000) {
			set, a := w.idSet(part)
			sel = append(sel, findingSel{`item` + itemSet + ` AND village LIKE ? AND id_number` + set,
				append(append(slices.Clone(itemArgs), division+"%"), a...)})
		}
		return w.replaceFindings(ctx, sel, rows)
	})
}
