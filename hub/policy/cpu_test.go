package policy

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDecideCPU compares the CPU time per decision (process user+system time, so garbage
// collection on other threads counts) of several bundles, item by item, interleaved. On a
// shared machine wall-clock benchmarks swing with the load; CPU time much less. It runs only
// when SANMIAN_CPU_BUNDLES lists the bundles as name=directory pairs separated by commas
// (an empty directory means the embedded bundle), e.g. before=<dir>,after=
// Optional: SANMIAN_CPU_ITEMS (comma-separated item codes; default every item). It is a
// benchmark (run once, whatever b.N) so that it never counts as a skipped test:
//
//	SANMIAN_CPU_BUNDLES=before=<dir>,after= go test -run '^$' -bench DecideCPU -benchtime 1x ./hub/policy/
func BenchmarkDecideCPU(t *testing.B) {
	spec := os.Getenv("SANMIAN_CPU_BUNDLES")
	if spec == "" {
		t.Skip("SANMIAN_CPU_BUNDLES not set")
	}
	type variant struct {
		name string
		e    *Engine
	}
	var vs []variant
	for _, p := range strings.Split(spec, ",") {
		name, dir, _ := strings.Cut(p, "=")
		var opts []Option
		if dir != "" {
			opts = append(opts, FromDir(dir))
		}
		vs = append(vs, variant{name, newEngine(t, opts...)})
	}
	var items []string
	if s := os.Getenv("SANMIAN_CPU_ITEMS"); s != "" {
		items = strings.Split(s, ",")
	} else {
		for _, it := range vs[0].e.Items() {
			items = append(items, it.Code)
		}
	}
	const rounds, n = 3, 700
	ctx, ev := t.Context(), elder()
	res := map[string][]float64{}
	for range rounds {
		for _, item := range items {
			for _, v := range vs {
				for range 50 {
					_, _ = v.e.Decide(ctx, item, ev, decisionTime)
				}
				runtime.GC()
				c0 := processCPU()
				for range n {
					if _, err := v.e.Decide(ctx, item, ev, decisionTime); err != nil {
						t.Fatal(err)
					}
				}
				res[item+" "+v.name] = append(res[item+" "+v.name], float64((processCPU()-c0).Microseconds())/n)
			}
		}
	}
	for _, item := range items {
		line := fmt.Sprintf("%-36s", item)
		for _, v := range vs {
			x := res[item+" "+v.name]
			slices.Sort(x)
			line += fmt.Sprintf(" %s %6.1f µs", v.name, x[len(x)/2])
		}
		t.Log(line)
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
