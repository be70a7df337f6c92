package sqlstore

import (
	"context"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// snapshotChunk is the most residents one multi-row upsert carries (bounded by MaxParams);
// arrayChunk the most one array-bound upsert carries.
const (
	snapshotChunk = 500
	arrayChunk    = 10000
)

var residentUpsertTail = func() string {
	cols := strings.Split(residentCols, ", ")
	set := make([]string, 0, len(cols)-1)
	for _, c := range cols[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return " ON CONFLICT (id_number) DO UPDATE SET " + strings.Join(set, ", ")
}()

// rowsSQL returns "prefix VALUES (?, ...), (?, ...)" for n rows of width placeholders, then tail.
func rowsSQL(prefix string, n, width int, tail string) string {
	one := placeholders(width)
	var b strings.Builder
	b.Grow(len(prefix) + n*(len(one)+2) + len(tail) + 8)
	b.WriteString(prefix)
	b.WriteString(" VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	b.WriteString(tail)
	return b.String()
}

// lastChanges reduces a batch to its effect: the last row of each ID number (one statement
// may not touch a row twice), split into rows to upsert and ID numbers to delete. A row only
// touches its own resident's row and enrolments, so changes to different residents commute
// and applying each resident's last change, in any order, equals applying the batch in order.
func lastChanges(rows []store.Resident) (upserts []store.Resident, deletes []string) {
	seen := make(map[string]int, len(rows))
	out := make([]store.Resident, 0, len(rows))
	for _, r := range rows {
		if i, ok := seen[r.IDNumber]; ok {
			out[i] = r
			continue
		}
		seen[r.IDNumber] = len(out)
		out = append(out, r)
	}
	upserts = out[:0] // filtered in place: the write index never passes the read index
	for _, r := range out {
		if r.Deleted {
			deletes = append(deletes, r.IDNumber)
			continue
		}
		upserts = append(upserts, r)
	}
	return upserts, deletes
}

// ApplySnapshot implements store.Store: the page's last change per resident, upserts in
// ID-number order (SQLite: a prepared single-row upsert each; PostgreSQL: unnest arrays in
// chunks), enrolments replaced per row, deletes in one statement per chunk of ID numbers
// (enrolments go with them: ON DELETE CASCADE), the changes marked for delta scans, and the
// cursor, all in one transaction of its own (bulk.go).
func (db *DB) ApplySnapshot(ctx context.Context, feed string, rows []store.Resident, nextCursor string) error {
	rows, deletes := lastChanges(rows)
	slices.SortFunc(rows, func(a, b store.Resident) int { return strings.Compare(a.IDNumber, b.IDNumber) })
	ids := make([]string, 0, len(rows)+len(deletes))
	for _, r := range rows {
		ids = append(ids, r.IDNumber)
	}
	ids = append(ids, deletes...)
	chunk := min(snapshotChunk, db.d.MaxParams/residentNCols)
	if db.d.ArrayBind {
		chunk = arrayChunk
	}
	return db.feedTx(ctx, func(w *writer) error {
		seq, err := w.beginMarks(ctx)
		if err != nil {
			return err
		}
		if err := w.markChanged(ctx, seq, ids); err != nil { // the households and links before
			return err
		}
		for len(rows) > 0 {
			n := min(chunk, len(rows))
			if err := w.upsertResidents(ctx, rows[:n]); err != nil {
				return err
			}
			rows = rows[n:]
		}
		if err := w.deleteResidents(ctx, deletes); err != nil {
			return err
		}
		if err := w.refreshScanRows(ctx, ids); err != nil {
			return err
		}
		if err := w.markChanged(ctx, seq, ids); err != nil { // and after
			return err
		}
		return w.saveCursor(ctx, feed, nextCursor)
	})
}

// townOf is the town (9-digit prefix) of a village code, "" for a shorter code.
func townOf(village string) string {
	if len(village) < 9 {
		return ""
	}
	return village[:9]
}

// deleteResidents removes the residents with these ID numbers, their enrolments and other
// villages' roll entries (by
// cascade on SQLite; explicitly on PostgreSQL, whose partitioned roll cannot be the target
// of a foreign key on id_number alone); ID numbers not in the snapshot are ignored.
func (w *writer) deleteResidents(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if w.d.ArrayBind {
		if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM resident_enrolments WHERE id_number = ANY(?::text[])"), ids); err != nil {
			return wrap("delete enrolments", err)
		}
		if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM resident_other_rolls WHERE id_number = ANY(?::text[])"), ids); err != nil {
			return wrap("delete other rolls", err)
		}
		_, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM residents WHERE id_number = ANY(?::text[])"), ids)
		return wrap("delete residents", err)
	}
	for len(ids) > 0 {
		n := min(len(ids), w.d.MaxParams)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM residents WHERE id_number IN "+placeholders(n)), args...); err != nil {
			return wrap("delete residents", err)
		}
		ids = ids[n:]
	}
	return nil
}

func (w *writer) upsertResidents(ctx context.Context, rows []store.Resident) error {
	if w.d.ArrayBind {
		return w.upsertResidentsArrays(ctx, rows)
	}
	args := make([]any, 0, len(rows)*residentNCols)
	ids := make([]any, 0, len(rows))
	var enrol, other []any
	for _, r := range rows {
		args = append(args, r.IDNumber, r.Name, r.Sex, r.BirthDate, r.HukouType, r.Village, r.HouseholdID, r.Relation,
			r.Deceased, r.Dibao, r.Tekun, r.DisabilityCategory, r.DisabilityGrade, r.Veteran, r.LandMu, r.UpdatedSeq,
			townOf(r.Village), r.InSchool, r.CollectiveMember, r.HomesteadM2, r.HouseGrade)
		ids = append(ids, r.IDNumber)
		for _, item := range r.Enrolled {
			enrol = append(enrol, r.IDNumber, item)
		}
		for _, e := range r.OtherRolls {
			other = append(other, r.IDNumber, e.Item, e.Village)
		}
	}
	if err := w.writeRows(ctx, "upsert residents", "INSERT INTO residents ("+residentCols+")", residentNCols, residentUpsertTail, args); err != nil {
		return err
	}
	if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM resident_enrolments WHERE id_number IN "+placeholders(len(ids))), ids...); err != nil {
		return wrap("replace enrolments", err)
	}
	if err := w.writeRows(ctx, "insert enrolments", "INSERT INTO resident_enrolments (id_number, item)", 2, " ON CONFLICT DO NOTHING", enrol); err != nil {
		return err
	}
	if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM resident_other_rolls WHERE id_number IN "+placeholders(len(ids))), ids...); err != nil {
		return wrap("replace other rolls", err)
	}
	return w.writeRows(ctx, "insert other rolls", "INSERT INTO resident_other_rolls (id_number, item, village)", 3, " ON CONFLICT DO NOTHING", other)
}

// residentArraySQL inserts residents from one array parameter per column (PostgreSQL unnest):
// one short statement per batch, planned once, instead of thousands of bind parameters. The
// roll is partitioned by town and has no unique key on id_number alone, so the batch's
// residents are deleted first (which also moves a resident between towns).
var residentArraySQL = "INSERT INTO residents (" + residentCols + ") SELECT * FROM unnest(" +
	"?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], " +
	"?::boolean[], ?::boolean[], ?::boolean[], ?::text[], ?::integer[], ?::text[], ?::double precision[], ?::bigint[], " +
	"?::text[], ?::text[], ?::boolean[], ?::double precision[], ?::text[])"

func (w *writer) upsertResidentsArrays(ctx context.Context, rows []store.Resident) error {
	n := len(rows)
	var (
		id, name, sex, birth, hukou, village, household, relation = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		deceased, dibao, tekun                                    = make([]bool, n), make([]bool, n), make([]bool, n)
		category, veteran                                         = make([]string, n), make([]string, n)
		grade                                                     = make([]int32, n)
		land                                                      = make([]float64, n)
		seq                                                       = make([]int64, n)
		enrolID, enrolItem                                        []string
		otherID, otherItem, otherVillage                          []string
		town, school, grade2                                      = make([]string, n), make([]string, n), make([]string, n)
		collective                                                = make([]bool, n)
		homestead                                                 = make([]float64, n)
	)
	for i, r := range rows {
		id[i], name[i], sex[i], birth[i], hukou[i], village[i], household[i], relation[i] = r.IDNumber, r.Name, r.Sex, r.BirthDate, r.HukouType, r.Village, r.HouseholdID, r.Relation
		deceased[i], dibao[i], tekun[i], category[i], grade[i], veteran[i], land[i], seq[i] = r.Deceased, r.Dibao, r.Tekun, r.DisabilityCategory, int32(r.DisabilityGrade), r.Veteran, r.LandMu, r.UpdatedSeq
		town[i], school[i], collective[i], homestead[i], grade2[i] = townOf(r.Village), r.InSchool, r.CollectiveMember, r.HomesteadM2, r.HouseGrade
		for _, item := range r.Enrolled {
			enrolID, enrolItem = append(enrolID, r.IDNumber), append(enrolItem, item)
		}
		for _, e := range r.OtherRolls {
			otherID, otherItem, otherVillage = append(otherID, r.IDNumber), append(otherItem, e.Item), append(otherVillage, e.Village)
		}
	}
	if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM residents WHERE id_number = ANY(?::text[])"), id); err != nil {
		return wrap("replace residents", err)
	}
	if _, err := w.q.ExecContext(ctx, w.d.SQL(residentArraySQL), id, name, sex, birth, hukou, village, household, relation,
		deceased, dibao, tekun, category, grade, veteran, land, seq, town, school, collective, homestead, grade2); err != nil {
		return wrap("upsert residents", err)
	}
	if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM resident_enrolments e USING unnest(?::text[]) AS d(id) WHERE e.id_number = d.id"), id); err != nil {
		return wrap("replace enrolments", err)
	}
	if len(enrolID) > 0 {
		if _, err := w.q.ExecContext(ctx, w.d.SQL("INSERT INTO resident_enrolments (id_number, item) SELECT * FROM unnest(?::text[], ?::text[]) ON CONFLICT DO NOTHING"), enrolID, enrolItem); err != nil {
			return wrap("insert enrolments", err)
		}
	}
	if _, err := w.q.ExecContext(ctx, w.d.SQL("DELETE FROM resident_other_rolls o USING unnest(?::text[]) AS d(id) WHERE o.id_number = d.id"), id); err != nil {
		return wrap("replace other rolls", err)
	}
	if len(otherID) > 0 {
		if _, err := w.q.ExecContext(ctx, w.d.SQL("INSERT INTO resident_other_rolls (id_number, item, village) SELECT * FROM unnest(?::text[], ?::text[], ?::text[]) ON CONFLICT DO NOTHING"), otherID, otherItem, otherVillage); err != nil {
			return wrap("insert other rolls", err)
		}
	}
	return nil
}
