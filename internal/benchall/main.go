// Command benchall runs the hub's headline benchmarks in one run and prints one Markdown table
// with the machine it ran on: the district scan (compiled and per resident), the decision,
// application creation (warm, and cold with simulated platform latency), permit verification
// against bare Ed25519, GraphQL against REST, and the peak memory of each run. Each package's
// test binary is built once and run from its package directory, as `go test` would.
//
//	make bench-all                       # 100,000 residents for the scans
//	make bench-all RESIDENTS=1075784     # the whole district
//	go run ./internal/benchall -quick    # small sizes, to check the harness itself
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A bench is one benchmark run: the package, the -bench pattern and -benchtime, and the rows
// of the table it fills (a row per sub-benchmark and metric).
type bench struct {
	pkg, pattern, benchtime string
	env                     []string
	rows                    []row
}

// A row picks one sub-benchmark (by the suffix of its name) and the metrics shown.
type row struct {
	what    string   // the table's first column
	name    string   // benchmark name, without the -GOMAXPROCS suffix
	metrics []string // units shown, in order ("ns/op", "scan-ms", ...)
}

func plan(residents int, quick bool) []bench {
	n := strconv.Itoa(residents)
	warm, cold, gql, dec := "2000x", "1000x", "2000x", "20000x"
	if quick {
		warm, cold, gql, dec = "100x", "100x", "100x", "1000x"
	}
	return []bench{
		{pkg: "./hub/scan", pattern: "^BenchmarkDistrictScan$", benchtime: "3x", env: []string{"SANMIAN_BENCH_RESIDENTS=" + n}, rows: []row{
			{"district scan, compiled, SQLite (" + n + " residents)", "BenchmarkDistrictScan/sqlite/compiled", []string{"scan-ms", "residents"}},
			{"district scan, compiled, PostgreSQL (" + n + " residents)", "BenchmarkDistrictScan/postgres/compiled", []string{"scan-ms", "residents"}},
			{"district scan, per resident, SQLite (one town; district extrapolated)", "BenchmarkDistrictScan/sqlite/per_resident", []string{"us/resident", "district-s"}},
		}},
		{pkg: "./hub/scan", pattern: "^BenchmarkDeltaScan$", benchtime: "3x", env: []string{"SANMIAN_BENCH_RESIDENTS=" + n}, rows: []row{
			{"delta scan after 1,000 changes, every item, SQLite (" + n + " residents)", "BenchmarkDeltaScan/all_items", []string{"ns/op", "cpu-ms/op", "residents/op"}},
			{"delta scan after 1,000 changes, elderly allowance, SQLite", "BenchmarkDeltaScan/elderly_allowance", []string{"ns/op", "cpu-ms/op", "residents/op"}},
		}},
		{pkg: "./hub/policy", pattern: "^BenchmarkDecide$", benchtime: dec, rows: []row{
			{"one decision, evidence in hand (elderly allowance, irvm)", "BenchmarkDecide/irvm/elderly_allowance", []string{"ns/op", "allocs/op"}},
			{"one decision, evidence in hand (family-planning reward, irvm)", "BenchmarkDecide/irvm/rural_family_planning_reward", []string{"ns/op", "allocs/op"}},
		}},
		{pkg: "./hub/app", pattern: "^BenchmarkCreateApplicationWarm$/^clients=(1|16)$", benchtime: warm, rows: []row{
			{"application creation, warm evidence, 1 client", "BenchmarkCreateApplicationWarm/clients=1", []string{"creations/s", "p50-ms", "p99-ms"}},
			{"application creation, warm evidence, 16 clients", "BenchmarkCreateApplicationWarm/clients=16", []string{"creations/s", "p50-ms", "p99-ms"}},
		}},
		{pkg: "./hub/app", pattern: "^BenchmarkCreateApplicationCold$/^snapshot=true$/^clients=100/interval=1s$", benchtime: cold, rows: []row{
			{"application creation, cold, platforms 40/30/15 ms, 100 clients at 100/s", "BenchmarkCreateApplicationCold/snapshot=true/clients=100/interval=1s", []string{"creations/s", "p50-ms", "p99-ms"}},
		}},
		{pkg: "./hub/seal", pattern: "^BenchmarkVerifyPermit$", benchtime: "20000x", rows: []row{
			{"permit verification offline (seal.Verify)", "BenchmarkVerifyPermit/seal.Verify", []string{"ns/op"}},
			{"bare crypto/ed25519 verification of the same signature", "BenchmarkVerifyPermit/bare_ed25519", []string{"ns/op"}},
		}},
		{pkg: "./hub/app", pattern: "^BenchmarkDoors$", benchtime: gql, rows: []row{
			{"person lookup, GraphQL", "BenchmarkDoors/person/graphql", []string{"ns/op", "cpu-ns/op"}},
			{"person lookup, REST equivalent", "BenchmarkDoors/person/rest_equivalent", []string{"ns/op", "cpu-ns/op"}},
			{"application read, GraphQL", "BenchmarkDoors/application/graphql", []string{"ns/op", "cpu-ns/op"}},
			{"application read, REST", "BenchmarkDoors/application/rest", []string{"ns/op", "cpu-ns/op"}},
		}},
	}
}

// result is one benchmark line: its metrics by unit.
type result map[string]float64

// parse reads `go test -bench` output and returns the results by benchmark name (the
// -GOMAXPROCS suffix removed).
func parse(r io.Reader) (map[string]result, error) {
	out := map[string]result{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		res := result{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: metric %q: %w", name, f[i], err)
			}
			res[f[i+1]] = v
		}
		out[name] = res
	}
	return out, sc.Err()
}

// run builds (once per package) and runs one bench; it returns the results, the peak resident
// set size of the test process in bytes and the wall time.
func run(ctx context.Context, b bench, bin string, log io.Writer) (map[string]result, int64, time.Duration, error) {
	args := []string{"-test.run", "^$", "-test.bench", b.pattern, "-test.benchtime", b.benchtime, "-test.benchmem", "-test.timeout", "120m"}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = b.pkg
	cmd.Env = append(os.Environ(), b.env...)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = log
	t := time.Now()
	err := cmd.Run()
	wall := time.Since(t)
	var rss int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss * 1024 // kilobytes on Linux
		}
	}
	if err != nil {
		return nil, rss, wall, fmt.Errorf("%s %s: %w", b.pkg, b.pattern, err)
	}
	res, err := parse(&out)
	return res, rss, wall, err
}

func format(v float64, unit string) string {
	switch {
	case unit == "ns/op" && v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case unit == "ns/op":
		return fmt.Sprintf("%.1f µs", v/1e3)
	case unit == "cpu-ns/op":
		return fmt.Sprintf("%.1f µs CPU", v/1e3)
	case unit == "residents" || unit == "residents/op" || unit == "allocs/op":
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%s, %d cores%s, %s %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func main() {
	residents := flag.Int("residents", 100000, "residents of the generated district the scans run on (1075784: the whole district)")
	quick := flag.Bool("quick", false, "small sizes and counts, to check the harness")
	verbose := flag.Bool("v", false, "show the benchmarks' own output")
	flag.Parse()
	if *residents <= 0 {
		fmt.Fprintln(os.Stderr, "benchall: -residents must be positive")
		os.Exit(2)
	}
	if *quick && *residents == 100000 {
		*residents = 3000
	}
	if err := mainErr(*residents, *quick, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "benchall:", err)
		os.Exit(1)
	}
}

func mainErr(residents int, quick, verbose bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "benchall")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var log io.Writer = io.Discard
	if verbose {
		log = os.Stderr
	}
	started, load0 := time.Now(), load()
	bins := map[string]string{}
	type line struct {
		what, result string
		rss          int64
	}
	var lines []line
	var failed []string
	for _, b := range plan(residents, quick) {
		bin, ok := bins[b.pkg]
		if !ok {
			bin = filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(b.pkg)+".test")
			fmt.Fprintf(os.Stderr, "building %s\n", b.pkg)
			c := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, b.pkg)
			c.Stdout, c.Stderr = os.Stderr, os.Stderr
			if err := c.Run(); err != nil {
				return fmt.Errorf("build %s: %w", b.pkg, err)
			}
			bins[b.pkg] = bin
		}
		fmt.Fprintf(os.Stderr, "running %s %s (-benchtime %s)\n", b.pkg, b.pattern, b.benchtime)
		res, rss, wall, err := run(ctx, b, bin, log)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		fmt.Fprintf(os.Stderr, "  done in %v, peak RSS %.0f MiB\n", wall.Round(time.Second), float64(rss)/(1<<20))
		for _, r := range b.rows {
			got, ok := res[r.name]
			if !ok { // no PostgreSQL configured, or a mode the benchmark does not have
				lines = append(lines, line{r.what, "not run", rss})
				continue
			}
			var parts []string
			for _, m := range r.metrics {
				if v, ok := got[m]; ok {
					parts = append(parts, format(v, m))
				}
			}
			lines = append(lines, line{r.what, strings.Join(parts, ", "), rss})
		}
	}
	fmt.Printf("Machine: %s. Load average before %s, after %s. %s, %v in all.\n\n",
		machine(), load0, load(), started.UTC().Format("2006-01-02 15:04 UTC"), time.Since(started).Round(time.Second))
	fmt.Println("| measure | result | peak RSS of the run |")
	fmt.Println("|---|---|---|")
	for _, l := range lines {
		fmt.Printf("| %s | %s | %.0f MiB |\n", l.what, l.result, float64(l.rss)/(1<<20))
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}
