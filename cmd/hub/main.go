// Command hub is the Sanmian (三免) hub: the data-integration hub and document-free permit API,
// its simulated data platforms, and the tools around it. Run `hub help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// command is one subcommand: its name, one-line summary and entry point. run returns an
// error for a failure the user should read; exitError carries a specific exit code.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"demo", "everything in one process: simulated platforms, embedded store, demo keys and tokens", runDemo},
	{"serve", "run the hub from a configuration file (production)", runServe},
	{"sim", "run the three simulated data platforms alone", runSim},
	{"token", "mint a caller token with the demo issuer key", runToken},
	{"scan", "proactive scan: worklists per village of residents likely eligible and not enrolled", runScan},
	{"whatif", "policy what-if: who would gain or lose eligibility under a candidate bundle (never activated)", runWhatIf},
	{"verify", "verify a permit offline with a JWKS; exit 0 valid, 1 invalid", runVerify},
	{"audit", "audit log tools: `hub audit verify` checks the hash chain and checkpoints", runAudit},
	{"keys", "sealing keys: `hub keys list`, `rotate --office CODE`, `revoke --kid KID`", runKeys},
}

// exitError makes main exit with Code after printing Err (if any).
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *exitError) Unwrap() error { return e.Err }

// defaultGCPercent is the garbage collector's target for the hub process unless GOGC is set:
// creating an application allocates heavily (policy evaluation, JSON), and at the default 100
// the collector cost about a fifth of the CPU; 400 trades some memory for it (BENCHMARKS.md).
const defaultGCPercent = 400

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT is set: with GOGC=400 a
// large live heap (the simulators' million-resident district under `hub demo`, the feeds'
// pages in flight) would otherwise grow to five times its size; near the limit the collector
// runs as often as it must. SQLite's page cache is outside the Go heap.
const defaultMemoryLimit = 1 << 30

// batchCommands read the synced district into memory (the rows a scan evaluates per resident,
// a what-if's two scans): on the whole district their live heap is some 3 GiB, above the
// server's soft limit, under which the collector would run without pause (measured: the
// per-resident evaluation four times slower). They run with GOGC=batchGCPercent under a soft
// limit of half the machine's memory (batchMemoryLimit): the per-resident evaluation
// allocates heavily, and at GOGC=100 the collector took about a fifth of its time; near the
// limit the collector runs as often as it must (BENCHMARKS.md, "District scan"). Where the
// machine's memory cannot be read they keep Go's defaults (GOGC=100, no soft limit).
var batchCommands = map[string]bool{"scan": true, "whatif": true}

// batchGCPercent is the batch commands' collector target.
const batchGCPercent = 300

// batchMemoryLimit is the batch commands' soft heap limit: half of the machine's memory
// (MemTotal in /proc/meminfo), 0 when it cannot be read.
func batchMemoryLimit() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb <= 0 {
				return 0
			}
			return kb << 10 / 2
		}
	}
	return 0
}

func main() {
	batch := len(os.Args) > 1 && batchCommands[os.Args[1]]
	setGC(batch, os.Getenv("GOGC") != "", os.Getenv("GOMEMLIMIT") != "")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// setGC sets the collector's target and soft limit for a server or a batch command, leaving
// whichever of GOGC and GOMEMLIMIT the environment sets.
func setGC(batch, gogcSet, limitSet bool) {
	if !batch {
		if !gogcSet {
			debug.SetGCPercent(defaultGCPercent)
		}
		if !limitSet {
			debug.SetMemoryLimit(defaultMemoryLimit)
		}
		return
	}
	limit := batchMemoryLimit()
	if limit == 0 && !limitSet {
		return // no bound known: Go's defaults
	}
	if !gogcSet {
		debug.SetGCPercent(batchGCPercent)
	}
	if !limitSet {
		debug.SetMemoryLimit(limit)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			if ee.Err != nil {
				fmt.Fprintf(stderr, "hub %s: %v\n", c.name, ee.Err)
			}
			return ee.Code
		default:
			fmt.Fprintf(stderr, "hub %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "hub: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "hub — Sanmian (三免) data-integration hub and document-free permit API")
	fmt.Fprintln(w, "\nUsage: hub <command> [flags]   (hub <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nStart here: go run ./cmd/hub demo")
}

// newFlagSet returns a flag set that reports errors instead of exiting, printing usage to
// stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hub "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and turns a flag error into exit code 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{Code: 2}
	}
	return nil
}
