package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/policy"
	"sanmian/hub/scan"
)

// runScan runs the proactive worklists and supervision alerts over the synced district.
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scan", stderr)
	cf := addConfigFlags(fs)
	item := fs.String("item", "", "one proactive item code (default: every proactive item)")
	division := fs.String("division", "", "division code: town (9 digits) or village (12 digits); default the whole district")
	at := fs.String("at", "", "scan date YYYY-MM-DD (default: today in Asia/Shanghai)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	verify := fs.Bool("verify", false, "compare every item with per-resident decisions; exit 1 on any difference")
	delta := fs.Bool("delta", false, "rescan only the residents whose facts changed since the last saved scan of every item (a full scan when there is none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{Code: 2, Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	when, err := scanWhen(*at, *division)
	if err != nil {
		return err
	}
	cfg, st, err := cf.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	popts, err := cfg.Policy.Options()
	if err != nil {
		return &exitError{Code: 2, Err: err}
	}
	eng, err := policy.New(ctx, popts...)
	if err != nil {
		return err
	}
	dialect := "sqlite"
	if st.Backend() == "postgres" {
		dialect = "postgresql"
	}
	r := &scan.Runner{Engine: eng, Store: st, SQLCache: st}
	rep, err := r.Run(ctx, scan.Options{Item: *item, Division: *division, At: when, Verify: *verify, Dialect: dialect, Progress: stderr, Reasons: true, Delta: *delta})
	if errors.Is(err, scan.ErrUnknownItem) {
		return &exitError{Code: 2, Err: err}
	}
	if err != nil && !errors.Is(err, scan.ErrDifferences) {
		return err
	}
	// The latest results are what GET /v1/worklists and /v1/alerts show (not when the
	// verification found the compiled results wrong).
	if err == nil {
		ts := time.Now()
		if e := scan.Save(ctx, st, *division, rep); e != nil {
			return e
		}
		var entries, alerts int
		for _, it := range rep.Items {
			entries, alerts = entries+it.Candidates, alerts+it.Alerts
		}
		fmt.Fprintf(stderr, "saved %d worklist entries and %d alerts as the latest findings (%s)\n", entries, alerts, time.Since(ts).Round(time.Millisecond))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if e := enc.Encode(rep); e != nil {
			return e
		}
	} else {
		printReport(stdout, rep, *item != "")
	}
	for _, d := range rep.Differences {
		fmt.Fprintf(stderr, "difference: %s %s: scan says %s, decision says %s\n", d.Item, d.ID, d.Scan, d.Decision)
	}
	if err != nil {
		return &exitError{Code: 1, Err: err}
	}
	return nil
}

func isDigitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// printReport prints per item the candidates per village (each candidate with reasons when
// one item is scanned) and every alert with its rule, evidence and sources.
func printReport(w io.Writer, rep *scan.Report, listCandidates bool) {
	fmt.Fprintf(w, "scan 主动服务/监督预警 at %s: %d residents, %d ms\n", rep.At, rep.Residents, rep.ElapsedMS)
	if rep.Delta != nil {
		fmt.Fprintf(w, "delta 增量: %d residents marked changed since change %d (their households and linked children as context)\n", rep.Delta.Changed, rep.Delta.Since)
	}
	for _, it := range rep.Items {
		cross := ""
		if it.Conflicts > 0 || it.Doubles > 0 {
			cross = fmt.Sprintf(" (%d cross-item conflicts, %d double enrolments)", it.Conflicts, it.Doubles)
		}
		fmt.Fprintf(w, "\n%s: %d candidates, %d alerts%s (evaluated: %s)\n", it.Item, it.Candidates, it.Alerts, cross, it.Evaluated)
		perVillage := map[string]int{}
		var villages []string
		for _, e := range it.Worklist {
			if perVillage[e.Village] == 0 {
				villages = append(villages, e.Village)
			}
			perVillage[e.Village]++
		}
		sort.Strings(villages)
		for _, v := range villages {
			fmt.Fprintf(w, "  village %s: %d candidates\n", v, perVillage[v])
			if listCandidates {
				for _, e := range it.Worklist {
					if e.Village == v {
						fmt.Fprintf(w, "    %s  %s\n", e.ID, strings.Join(e.Reasons, ","))
					}
				}
			}
		}
		for _, a := range it.AlertList {
			fmt.Fprintf(w, "  ALERT %s village %s: %s; rule %s; evidence %s; source %s\n", a.ID, a.Village,
				strings.Join(a.Reasons, ","), a.Rule, strings.Join(a.Evidence, ","), strings.Join(a.Sources, ","))
		}
	}
	if rep.Verified {
		fmt.Fprintln(w, "\nverified: every item agrees with per-resident decisions on the same facts")
	}
}

// scanWhen checks the --at and --division flags of a scan or what-if: the scan time (noon of
// the --at date in China Standard Time, now without it) or an exit-2 error naming the flag.
func scanWhen(at, divisionCode string) (time.Time, error) {
	when := time.Now()
	if at != "" {
		t, err := time.ParseInLocation(time.DateOnly, at, division.Zone)
		if err != nil {
			return time.Time{}, &exitError{Code: 2, Err: fmt.Errorf("--at %q: want YYYY-MM-DD", at)}
		}
		when = t.Add(12 * time.Hour)
	}
	if d := divisionCode; d != "" && (!isDigitsOnly(d) || (len(d) != 6 && len(d) != 9 && len(d) != 12)) {
		return time.Time{}, &exitError{Code: 2, Err: fmt.Errorf("--division %q: want a 6-, 9- or 12-digit division code", d)}
	}
	return when, nil
}
