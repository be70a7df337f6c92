package main

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkDistrictScan/sqlite/compiled-2         	       3	        18.20 district-s	      5000 residents	     18204 scan-ms	      3641 us/resident
BenchmarkVerifyPermit/bare_ed25519-2        	    2000	    170558 ns/op	       0 B/op	       0 allocs/op
BenchmarkDoors/person/graphql
    graphql_bench_test.go:12: a log line 1 2 3
PASS
`
	res, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("results %v, want 2", res)
	}
	if got := res["BenchmarkDistrictScan/sqlite/compiled"]["scan-ms"]; got != 18204 {
		t.Errorf("scan-ms = %v", got)
	}
	if got := res["BenchmarkVerifyPermit/bare_ed25519"]["ns/op"]; got != 170558 {
		t.Errorf("ns/op = %v", got)
	}
	if _, err := parse(strings.NewReader("BenchmarkX-2 10 abc ns/op\n")); err == nil {
		t.Error("a malformed metric parsed")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{{170558, "ns/op", "170.6 µs"}, {2.5e6, "ns/op", "2.50 ms"}, {5000, "residents", "5000 residents"}, {18204, "scan-ms", "18204 scan-ms"}, {1.5, "p50-ms", "1.50 p50-ms"}} {
		if got := format(c.v, c.unit); got != c.want {
			t.Errorf("format(%v, %s) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}

// TestPlanRowsNameTheirBenchmark: every row of the plan selects a sub-benchmark of its own
// pattern's benchmark, so a renamed benchmark cannot silently drop a row.
func TestPlanRowsNameTheirBenchmark(t *testing.T) {
	for _, b := range plan(1000, true) {
		top := strings.Trim(strings.SplitN(b.pattern, "$", 2)[0], "^")
		for _, r := range b.rows {
			if !strings.HasPrefix(r.name, top+"/") || len(r.metrics) == 0 {
				t.Errorf("row %q: benchmark %q is not under %q or shows no metric", r.what, r.name, top)
			}
		}
	}
}
