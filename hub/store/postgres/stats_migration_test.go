package postgres_test

import (
	"database/sql"
	"io/fs"
	"net/url"
	"slices"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/pressly/goose/v3"

	"sanmian/hub/division"
	"sanmian/hub/store/migrations"
	"sanmian/hub/store/storetest"
)

// TestStatsSummaryBackfill checks that the statistics summaries the migration computes from
// what is already stored equal those the triggers kept while it was written: the store is
// written with the summaries in place, migrated down below them (dropping them) and up again.
func TestStatsSummaryBackfill(t *testing.T) {
	dsn := testDSN(t)
	schema := freshSchema(t, dsn)
	s := openIn(t, dsn, schema)
	if _, err := storetest.GenerateActivity(t.Context(), s, 3000, time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)); err != nil {
		t.Fatal(err)
	}
	kept := storetest.StatsSnapshot(t, s)
	if len(kept) < 100 {
		t.Fatalf("only %d statistics rows", len(kept))
	}

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 11); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'stats%')
		+ (SELECT COUNT(*) FROM pg_proc WHERE pronamespace = $1::regnamespace AND proname LIKE 'stats%')`, schema).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d statistics tables and functions left after migrating down (%v)", left, err)
	}
	if _, err := p.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if backfilled := storetest.StatsSnapshot(t, s); !slices.Equal(kept, backfilled) {
		t.Fatalf("the backfilled summaries differ from the kept ones:\nkept       %d rows %q\nbackfilled %d rows %q",
			len(kept), kept[:min(5, len(kept))], len(backfilled), backfilled[:min(5, len(backfilled))])
	}
}
