package sqlite_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"sanmian/hub/store"
	"sanmian/hub/store/migrations"
	"sanmian/hub/store/storetest"
)

// TestStatsSummaryBackfill checks that the statistics summaries the migration computes from
// what is already stored equal those the triggers kept while it was written: the store is
// written with the summaries in place, migrated down below them (dropping them) and up again.
func TestStatsSummaryBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	cst := time.FixedZone("CST", 8*3600)
	q := store.StatsQuery{From: time.Date(2026, 1, 1, 0, 0, 0, 0, cst), To: time.Date(2027, 1, 1, 0, 0, 0, 0, cst)}
	read := func(s store.StatsReader) ([]store.ApplicationStat, []store.ReviewStat, []store.DurationStat) {
		t.Helper()
		a, err := s.ApplicationStats(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.ReviewStats(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.PermitDurations(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(a, func(x, y store.ApplicationStat) int {
			return cmpKeys(x.Village+x.Item+x.Month, y.Village+y.Item+y.Month)
		})
		slices.SortFunc(r, func(x, y store.ReviewStat) int {
			return cmpKeys(x.Village+x.Item+x.Month+x.Level+string(x.Action)+x.Reason, y.Village+y.Item+y.Month+y.Level+string(y.Action)+y.Reason)
		})
		slices.SortFunc(d, func(x, y store.DurationStat) int {
			if c := cmpKeys(x.Village+x.Item+x.Month+x.Level, y.Village+y.Item+y.Month+y.Level); c != 0 {
				return c
			}
			return int(x.Seconds - y.Seconds)
		})
		return a, r, d
	}

	s := openAt(t, path)
	tot, err := storetest.GenerateActivity(t.Context(), s, 3000, q.From)
	if err != nil {
		t.Fatal(err)
	}
	a0, r0, d0 := read(s)
	var n int64
	for _, x := range a0 {
		n += x.Total
	}
	if n != tot.Applications || len(r0) == 0 || len(d0) == 0 {
		t.Fatalf("%d applications counted, want %d; %d review rows, %d duration rows", n, tot.Applications, len(r0), len(d0))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", "file:"+path+"?_time_format=sqlite&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := fs.Sub(migrations.SQLite, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 11); err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'stats_%'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("%d statistics tables and triggers left after migrating down (%v)", tables, err)
	}
	if _, err := p.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	a1, r1, d1 := read(openAt(t, path))
	if !slices.Equal(a0, a1) || !slices.Equal(r0, r1) || !slices.Equal(d0, d1) {
		t.Fatalf("backfilled summaries differ from the kept ones: applications %v, reviews %v, durations %v",
			slices.Equal(a0, a1), slices.Equal(r0, r1), slices.Equal(d0, d1))
	}
}

func cmpKeys(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
