package scan_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/scan"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

// benchResidents is the size of the generated district the scan benchmarks sync and scan:
// SANMIAN_BENCH_RESIDENTS, 100,000 by default (1075784 is the whole district).
func benchResidents(b *testing.B) int {
	n := 100000
	if s := os.Getenv("SANMIAN_BENCH_RESIDENTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("SANMIAN_BENCH_RESIDENTS=%q: want a positive number", s)
		}
		n = v
	}
	return n
}

// BenchmarkDistrictScan syncs a generated district from the simulated platforms into each
// backend (PostgreSQL when SANMIAN_TEST_POSTGRES is set), then times, once per b.N:
//
//   - compiled: every proactive item and every supervision check over the whole district,
//     each item compiled to SQL where its rule compiles (the rest in one bulk Go pass), as
//     `hub scan` runs it;
//   - per_resident: the same scan with every item evaluated per resident in Go, over one
//     town (the whole district would take minutes): reported per resident and extrapolated
//     to the district;
//   - town: the compiled scan of one town, which on PostgreSQL reads that town's partition
//     only: the cost per partition.
//
// Metrics: scan-ms (one scan), residents (scanned), us/resident, district-s (extrapolated
// to the residents synced).
//
//	SANMIAN_BENCH_RESIDENTS=1075784 go test -run '^$' -bench DistrictScan -benchtime 3x -timeout 60m ./hub/scan/
func BenchmarkDistrictScan(b *testing.B) {
	n := benchResidents(b)
	t0 := time.Now()
	p, feeds := synctest.Feeds(b, sim.Config{Residents: n, Seed: 1})
	b.Logf("simulators up with %d residents in %v", n, time.Since(t0).Round(time.Millisecond))
	town := p.Data.Village(&p.Data.Persons[0]).Code[:9]
	eng := engine(b)
	at := day("2026-12-06")
	for _, be := range backends {
		if be.name == "postgres" && os.Getenv("SANMIAN_TEST_POSTGRES") == "" {
			continue
		}
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			t := time.Now()
			if err := hubsync.All(b.Context(), feeds, st, nil); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %d residents synced in %v", be.name, n, time.Since(t).Round(time.Millisecond))
			r := &scan.Runner{Engine: eng, Store: st}
			for _, mode := range []struct {
				name, dialect, division string
			}{{"compiled", be.dialect, ""}, {"per_resident", "", town}, {"town", be.dialect, town}} {
				b.Run(mode.name, func(b *testing.B) {
					benchScan(b, r, scan.Options{At: at, Dialect: mode.dialect, Division: mode.division}, n)
				})
			}
		})
	}
}

func benchScan(b *testing.B, r *scan.Runner, o scan.Options, district int) {
	b.Helper()
	var rep *scan.Report
	var err error
	var progress strings.Builder // the steps' times (the compiled pass, the per-resident items)
	o.Progress = &progress
	for b.Loop() {
		progress.Reset()
		if rep, err = r.Run(b.Context(), o); err != nil {
			b.Fatal(err)
		}
	}
	if rep.Residents == 0 {
		b.Fatalf("scan of %q saw no residents", o.Division)
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(per*1000, "scan-ms")
	b.ReportMetric(float64(rep.Residents), "residents")
	b.ReportMetric(per*1e6/float64(rep.Residents), "us/resident")
	b.ReportMetric(per*float64(district)/float64(rep.Residents), "district-s")
	b.ReportMetric(0, "ns/op")
	how := map[string]int{}
	for _, it := range rep.Items {
		how[evaluatedBy(it.Evaluated)]++
	}
	alerts, candidates := 0, 0
	for _, it := range rep.Items {
		alerts, candidates = alerts+it.Alerts, candidates+it.Candidates
	}
	b.Logf("dialect %q division %q: %d residents, %d items (%v), %d candidates, %d alerts\n%s", o.Dialect, o.Division, rep.Residents, len(rep.Items), how, candidates, alerts, progress.String())
}

// evaluatedBy is "sql" or "go" from an ItemResult's Evaluated ("go: <why>").
func evaluatedBy(s string) string {
	if len(s) >= 2 && s[:2] == "go" {
		return "go"
	}
	return s
}
