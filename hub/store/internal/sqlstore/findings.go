package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
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

// ReplaceScanFindings implements store.ScanResults.
func (db *DB) ReplaceScanFindings(ctx context.Context, item, division string, findings []store.ScanFinding) error {
	if item == "" || !digits(division) {
		return fmt.Errorf("%w: scan findings need an item and a digit division prefix", store.ErrInvalid)
	}
	args := make([]any, 0, len(findings)*9)
	for _, f := range findings {
		if f.Item != item || !strings.HasPrefix(f.Village, division) || (f.Kind != store.FindingCandidate && f.Kind != store.FindingAlert) || f.IDNumber == "" {
			return fmt.Errorf("%w: finding %s/%s outside item %s, division %q", store.ErrInvalid, f.Kind, f.Item, item, division)
		}
		args = append(args, f.Kind, f.Item, f.IDNumber, f.Village, jsonList(f.Reasons), f.Rule, jsonList(f.Evidence), jsonList(f.Sources), f.At)
	}
	return db.Tx(ctx, func(t store.Txn) error {
		w := t.(*writer)
		// Both kinds named: the item's rows are then a range of the (kind, item, village) index;
		// by item alone every item's replacement read the whole table (23 times the district's
		// findings for a full scan).
		if _, err := w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM scan_findings WHERE kind IN (?, ?) AND item = ? AND village LIKE ?`),
			store.FindingCandidate, store.FindingAlert, item, division+"%"); err != nil {
			return wrap("replace scan findings", err)
		}
		return w.writeRows(ctx, "insert scan findings", "INSERT INTO scan_findings ("+findingCols+")", 9, "", args)
	})
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
