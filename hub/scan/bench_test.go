package scan_test

import (
	"os"
	"strconv"
	"testing"

	"sanmian/connectors/sim"
	"sanmian/hub/scan"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

// BenchmarkScanDistrict scans a generated district of SANMIAN_BENCH_RESIDENTS residents
// (default 3000), synced from the simulated platforms, on SQLite and on PostgreSQL: every
// proactive item and every supervision check, compiled where the criteria allow (no reasons,
// no verification: the scan the acceptance measures). It reports the residents and how many
// items the store evaluated.
func BenchmarkScanDistrict(b *testing.B) {
	n := 3000
	if s := os.Getenv("SANMIAN_BENCH_RESIDENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	_, feeds := synctest.Feeds(b, sim.Config{Residents: n, Seed: 5})
	eng := engine(b)
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			if err := hubsync.All(b.Context(), feeds, st, nil); err != nil {
				b.Fatal(err)
			}
			r := &scan.Runner{Engine: eng, Store: st}
			b.ResetTimer()
			for b.Loop() {
				o := scan.Options{At: day("2026-12-06"), Dialect: be.dialect}
				if testing.Verbose() {
					o.Progress = os.Stderr
				}
				rep, err := r.Run(b.Context(), o)
				if err != nil {
					b.Fatal(err)
				}
				sql := 0
				for _, it := range rep.Items {
					if it.Evaluated == "sql" {
						sql++
					}
				}
				b.ReportMetric(float64(rep.Residents), "residents")
				b.ReportMetric(float64(sql), "sql_items")
				b.ReportMetric(float64(len(rep.Items)), "items")
			}
		})
	}
}
