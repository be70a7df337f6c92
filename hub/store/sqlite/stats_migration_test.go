package sqlite_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"sanmian/hub/division"
	"sanmian/hub/store/migrations"
	"sanmian/hub/store/storetest"
)

// TestStatsSummaryBackfill checks that the statistics summaries the migration computes from
// what is already stored equal those the triggers kept while it was written: the store is
// written with the summaries in place, migrated down below them (dropping them) and up again.
func TestStatsSummaryBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := openAt(t, path)
	if _, err := storetest.GenerateActivity(t.Context(), s, 3000, time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)); err != nil {
		t.Fatal(err)
	}
	kept := storetest.StatsSnapshot(t, s)
	if len(kept) < 100 {
		t.Fatalf("only %d statistics rows", len(kept))
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
	var left int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'stats_%'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d statistics tables and triggers left after migrating down (%v)", left, err)
	}
	if _, err := p.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if backfilled := storetest.StatsSnapshot(t, openAt(t, path)); !slices.Equal(kept, backfilled) {
		t.Fatalf("the backfilled summaries differ from the kept ones:\nkept       %d rows %q\nbackfilled %d rows %q",
			len(kept), kept[:min(5, len(kept))], len(backfilled), backfilled[:min(5, len(backfilled))])
	}
}
