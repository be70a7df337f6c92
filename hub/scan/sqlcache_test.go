package scan_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"sanmian/hub/policy"
	"sanmian/hub/scan"
	"sanmian/hub/store"
)

// savesCounted is the store with its saves of compiled SQL counted.
type savesCounted struct {
	store.Store
	saves, saved int
}

func (s *savesCounted) SaveCompiledSQL(ctx context.Context, sql map[string]string) error {
	s.saves, s.saved = s.saves+1, s.saved+len(sql)
	return s.Store.SaveCompiledSQL(ctx, sql)
}

// TestScanKeepsCompiledSQL: a scan keeps the items' compiled SQL in the store; the next scan
// of the same bundle and date by a new engine (another process, as each `hub scan` is)
// compiles nothing and finds the same; another date compiles again; a bundle that differs
// (the elderly allowance from 75) reads none of it and finds its own candidates.
func TestScanKeepsCompiledSQL(t *testing.T) {
	age75OnEachBackend(t, func(t *testing.T, dialect string, st store.Store, _, cand *policy.Engine, at time.Time) {
		cs := &savesCounted{Store: st}
		run := func(eng *policy.Engine, at time.Time) *scan.Report {
			t.Helper()
			rep, err := (&scan.Runner{Engine: eng, Store: st, SQLCache: cs}).Run(t.Context(), scan.Options{At: at, Dialect: dialect})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		first := run(engine(t), at)
		if cs.saves != 1 || cs.saved < len(compiledItems) {
			t.Fatalf("the first scan saved %d queries in %d saves, want every item's in one", cs.saved, cs.saves)
		}
		n := cs.saved
		again := run(engine(t), at)
		if cs.saves != 1 {
			t.Fatalf("a new engine's scan of the same date compiled and saved %d queries", cs.saved-n)
		}
		if !reflect.DeepEqual(again.Items, first.Items) {
			t.Fatal("the scan from the kept SQL found otherwise than the scan that compiled it")
		}
		for _, code := range compiledItems {
			if _, ev := candidates(again, code); ev != "sql" {
				t.Errorf("%s evaluated %q from the kept SQL, want sql", code, ev)
			}
		}
		run(engine(t), at.AddDate(0, 0, 1))
		if cs.saves != 2 || cs.saved != 2*n {
			t.Fatalf("the next day's scan saved %d queries in %d saves, want %d in one", cs.saved-n, cs.saves-1, n)
		}
		other := run(cand, at)
		if cs.saves != 3 {
			t.Fatal("the candidate bundle's scan compiled nothing: it read the live bundle's SQL")
		}
		live, _ := candidates(first, "elderly_allowance")
		from75, _ := candidates(other, "elderly_allowance")
		if len(from75) <= len(live) {
			t.Fatalf("the elderly allowance from 75 has %d candidates, from 80 %d: want more", len(from75), len(live))
		}
	})
}
