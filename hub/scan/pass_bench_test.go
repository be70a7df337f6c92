package scan

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/division"
	"sanmian/hub/policy"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	"sanmian/hub/store/storetest"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

// BenchmarkCompiledPass times the store's one pass of the compiled items alone (every
// compiled item's worklist and supervision selection, over the whole district), on a
// generated district of SANMIAN_BENCH_RESIDENTS residents (100,000 by default) synced into
// SQLite and, when SANMIAN_TEST_POSTGRES is set, PostgreSQL. Metrics: pass-ms, rows (the rows
// the pass selects), us/resident.
func BenchmarkCompiledPass(b *testing.B) {
	n := 100000
	if s := os.Getenv("SANMIAN_BENCH_RESIDENTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("SANMIAN_BENCH_RESIDENTS=%q: want a positive number", s)
		}
		n = v
	}
	_, feeds := synctest.Feeds(b, sim.Config{Residents: n, Seed: 1})
	eng, err := policy.New(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, division.Zone)
	for _, be := range []struct {
		name, dialect string
		open          func(testing.TB) store.Store
	}{
		{"sqlite", "sqlite", func(tb testing.TB) store.Store {
			st, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "hub.db"))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { st.Close() })
			return st
		}},
		{"postgres", "postgresql", func(tb testing.TB) store.Store { return storetest.OpenPostgres(tb) }},
	} {
		if be.name == "postgres" && os.Getenv("SANMIAN_TEST_POSTGRES") == "" {
			continue
		}
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			if err := hubsync.All(b.Context(), feeds, st, nil); err != nil {
				b.Fatal(err)
			}
			r := &Runner{Engine: eng, Store: st}
			items, err := r.items("")
			if err != nil {
				b.Fatal(err)
			}
			cp, err := r.compileAll(b.Context(), items, Options{At: at, Dialect: be.dialect}, map[string]string{})
			if err != nil {
				b.Fatal(err)
			}
			rows := 0
			for b.Loop() {
				rows = 0
				if err := st.ScanPass(b.Context(), store.PassScope{At: policy.DecisionDate(at), HouseholdMembers: cp.members}, cp.filters, cp.exprs, func(*store.ScanResident, []string, []bool) error {
					rows++
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(per*1000, "pass-ms")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(per*1e6/float64(n), "us/resident")
			b.ReportMetric(0, "ns/op")
		})
	}
}
