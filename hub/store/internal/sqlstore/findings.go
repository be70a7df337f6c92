package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sanmian/hub/store"
)

const findingCols = "kind, item, id_number, village, reasons, rule, evidence, sources, scanned_at"

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ReplaceScanFindings implements store.ScanResults, by replaceFindings.
func (db *DB) ReplaceScanFindings(ctx context.Context, item, division string, findings []store.ScanFinding) error {
	if item == "" || !digits(division) {
		return fmt.Errorf("%w: scan findings need an item and a digit division prefix", store.ErrInvalid)
	}
	rows := make([][]any, 0, len(findings))
	for _, f := range findings {
		if f.Item != item || !strings.HasPrefix(f.Village, division) || (f.Kind != store.FindingCandidate && f.Kind != store.FindingAlert) || f.IDNumber == "" {
			return fmt.Errorf("%w: finding %s/%s outside item %s, division %q", store.ErrInvalid, f.Kind, f.Item, item, division)
		}
		rows = append(rows, findingRow(f))
	}
	return db.Tx(ctx, func(t store.Txn) error {
		// Both kinds named: the item's rows are then a range of the (kind, item, village) index;
		// by item alone every item's replacement read the whole table (23 times the district's
		// findings for a full scan).
		return t.(*writer).replaceFindings(ctx, []findingSel{{`kind IN (?, ?) AND item = ? AND village LIKE ?`,
			[]any{store.FindingCandidate, store.FindingAlert, item, division + "%"}}}, rows)
	})
}

// findingRow is f's values of findingCols.
func findingRow(f store.ScanFinding) []any {
	return []any{f.Kind, f.Item, f.IDNumber, f.Village, jsonList(f.Reasons), f.Rule, jsonList(f.Evidence), jsonList(f.Sources), f.At}
}

// findingSel is a condition on scan_findings and its arguments.
type findingSel struct {
	where string
	args  []any
}

// replaceFindings replaces the findings sel selects by rows (findingRow's), writing only what
// changed: a new finding equal to a selected one but for the scan date keeps that row (its seq,
// so that a worklist's order, a reader's page token and a candidate's or an alert's id stay put
// across scans, with the new date); the other selected rows are deleted and the other new ones
// inserted. A scan's findings are mostly those it replaces: on the full district, deleting and
// inserting the 2,994 findings of a delta's 3,390 residents took 0.14 s in C SQLite, most of it
// the deletes' three index entries per row.
func (w *writer) replaceFindings(ctx context.Context, sel []findingSel, rows [][]any) error {
	old := map[string][]keptFinding{}
	for _, c := range sel {
		if err := w.keptFindings(ctx, c, old); err != nil {
			return err
		}
	}
	var insert []any
	redate := map[string][]int64{} // scan date -> seqs of the kept rows to date
	for _, r := range rows {
		k := findingKey(r[:8])
		if o := old[k]; len(o) > 0 {
			old[k] = o[1:]
			if at := r[8].(string); o[0].at != at {
				redate[at] = append(redate[at], o[0].seq)
			}
			continue
		}
		insert = append(insert, r...)
	}
	var gone []int64
	for _, o := range old {
		for _, r := range o {
			gone = append(gone, r.seq)
		}
	}
	slices.Sort(gone)
	if err := w.eachSeqSet(gone, func(set string, a []any) error {
		_, err := w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM scan_findings WHERE seq`+set), a...)
		return wrap("replace scan findings", err)
	}); err != nil {
		return err
	}
	for at, seqs := range redate {
		slices.Sort(seqs)
		if err := w.eachSeqSet(seqs, func(set string, a []any) error {
			_, err := w.q.ExecContext(ctx, w.d.SQL(`UPDATE scan_findings SET scanned_at = ? WHERE seq`+set), append([]any{at}, a...)...)
			return wrap("replace scan findings", err)
		}); err != nil {
			return err
		}
	}
	return w.writeRows(ctx, "insert scan findings", "INSERT INTO scan_findings ("+findingCols+")", 9, "", insert)
}

// keptFinding is a stored finding's seq and scan date.
type keptFinding struct {
	seq int64
	at  string
}

// findingKey is a finding's values of findingCols but the scan date (kind, item, id_number,
// village, reasons, rule, evidence, sources), as one comparable string.
func findingKey(cols []any) string {
	var b strings.Builder
	for _, c := range cols {
		b.WriteString(c.(string))
		b.WriteByte(0)
	}
	return b.String()
}

// keptFindings adds the findings c selects to old, by findingKey, in seq order.
func (w *writer) keptFindings(ctx context.Context, c findingSel, old map[string][]keptFinding) error {
	rs, err := w.q.QueryContext(ctx, w.d.SQL(`SELECT seq, `+findingCols+` FROM scan_findings WHERE `+c.where+` ORDER BY seq`), c.args...)
	if err != nil {
		return wrap("replace scan findings", err)
	}
	defer rs.Close()
	var seq int64
	cols := make([]string, 9)
	dest := []any{&seq}
	for i := range cols {
		dest = append(dest, &cols[i])
	}
	key := make([]any, 8)
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return wrap("replace scan findings", err)
		}
		for i := range key {
			key[i] = cols[i]
		}
		k := findingKey(key)
		old[k] = append(old[k], keptFinding{seq: seq, at: cols[8]})
	}
	return wrap("replace scan findings", rs.Err())
}

// eachSeqSet calls fn with a condition on seq (valueSet's) and its arguments for each 5,000
// of seqs.
func (w *writer) eachSeqSet(seqs []int64, fn func(set string, args []any) error) error {
	for part := range slices.Chunk(seqs, 5000) {
		if err := fn(valueSet(w.d, part, "bigint")); err != nil {
			return err
		}
	}
	return nil
}

func scanFindingCols(s scanner, more ...any) (store.ScanFinding, error) {
	var f store.ScanFinding
	var reasons, evidence, sources string
	dest := append([]any{&f.Seq, &f.Kind, &f.Item, &f.IDNumber, &f.Village, &reasons, &f.Rule, &evidence, &sources, &f.At}, more...)
	if err := s.Scan(dest...); err != nil {
		return f, wrap("read scan finding", err)
	}
	for _, l := range []struct {
		raw string
		to  *[]string
	}{{reasons, &f.Reasons}, {evidence, &f.Evidence}, {sources, &f.Sources}} {
		if err := json.Unmarshal([]byte(l.raw), l.to); err != nil {
			return f, wrap("read scan finding", err)
		}
	}
	return f, nil
}

// ListScanFindings implements store.ScanResults.
func (r reader) ListScanFindings(ctx context.Context, f store.FindingFilter, p store.Page) ([]store.ScanFinding, string, error) {
	badResolution := f.Resolution != store.ResolutionAny && (f.Kind != store.FindingAlert ||
		(f.Resolution != store.ResolutionOpen && f.Resolution != store.ResolutionResolved))
	if (f.Kind != store.FindingCandidate && f.Kind != store.FindingAlert) || !digits(f.DivisionPrefix) || badResolution {
		return nil, "", fmt.Errorf("%w: finding filter %+v", store.ErrInvalid, f)
	}
	where, args := []string{"f.kind = ?"}, []any{f.Kind}
	if f.Item != "" {
		where, args = append(where, "f.item = ?"), append(args, f.Item)
	}
	if f.DivisionPrefix != "" {
		where, args = append(where, "f.village LIKE ?"), append(args, f.DivisionPrefix+"%")
	}
	switch f.Resolution {
	case store.ResolutionOpen:
		where = append(where, "r.at IS NULL")
	case store.ResolutionResolved:
		where = append(where, "r.at IS NOT NULL")
	}
	if len(f.Villages) > 0 {
		where = append(where, "f.village IN "+placeholders(len(f.Villages)))
		for _, v := range f.Villages {
			args = append(args, v)
		}
	}
	if p.After != "" {
		after, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil || after < 0 {
			return nil, "", fmt.Errorf("%w: cursor %q", store.ErrInvalid, p.After)
		}
		where, args = append(where, "f.seq > ?"), append(args, after)
	}
	n := limit(p.Limit, 50, 1000)
	q := findingSelect + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY f.seq LIMIT ` + strconv.Itoa(n)
	out, err := collect(ctx, r, q, args, scanFindingFollowUp)
	if err != nil || len(out) < n {
		return out, "", err
	}
	return out, strconv.FormatInt(out[n-1].Seq, 10), nil
}
