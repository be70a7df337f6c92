package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"golang.org/x/sync/errgroup"

	"sanmian/hub/policy"
	"sanmian/hub/scan"
	"sanmian/hub/store"
)

// runWhatIf evaluates a candidate policy bundle against the synced district with the district
// scan, beside the live bundle, and prints who would gain and who would lose eligibility.
// The candidate is never activated and nothing is saved.
func runWhatIf(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("whatif", stderr)
	cf := addConfigFlags(fs)
	bundlePath := fs.String("bundle", "", "candidate policy bundle: a bundle directory or a bundle .tar.gz (required)")
	item := fs.String("item", "", "one proactive item code (default: every proactive item)")
	division := fs.String("division", "", "division code: town (9 digits) or village (12 digits); default the whole district")
	at := fs.String("at", "", "scan date YYYY-MM-DD (default: today in Asia/Shanghai)")
	asJSON := fs.Bool("json", false, "print the report as JSON (summary, per item, per village and every change, IDs masked)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{Code: 2, Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *bundlePath == "" {
		return &exitError{Code: 2, Err: errors.New("--bundle is required: a bundle directory or a bundle .tar.gz")}
	}
	when, err := scanWhen(*at, *division)
	if err != nil {
		return err
	}
	src, err := policy.FromPath(*bundlePath)
	if err != nil {
		return &exitError{Code: 2, Err: fmt.Errorf("--bundle: %w", err)}
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
	copts, err := cfg.Policy.CandidateOptions()
	if err != nil {
		return &exitError{Code: 2, Err: err}
	}
	// Both bundles load at once: each is checked (its Rego tests, the differential corpus)
	// on a processor of its own.
	fmt.Fprintf(stderr, "loading the live and the candidate bundle %s\n", *bundlePath)
	var live, cand *policy.Engine
	var g errgroup.Group
	g.Go(func() (err error) {
		live, err = policy.New(ctx, popts...)
		return err
	})
	cand, cerr := policy.New(ctx, append(copts, src)...)
	if err := g.Wait(); err != nil {
		return err
	}
	if cerr != nil {
		return &exitError{Code: 2, Err: fmt.Errorf("candidate bundle refused: %w", cerr)}
	}
	dialect := "sqlite"
	if st.Backend() == "postgres" {
		dialect = "postgresql"
	}
	r := &scan.Runner{Engine: live, Store: st, SQLCache: st}
	rep, err := r.WhatIf(ctx, cand, scan.Options{Item: *item, Division: *division, At: when, Dialect: dialect, Progress: stderr})
	if errors.Is(err, scan.ErrUnknownItem) {
		return &exitError{Code: 2, Err: err}
	}
	if err != nil {
		return err
	}
	// Who ran which candidate against which live revision goes into the audit chain, as for
	// the API.
	operator := "unknown"
	if u, err := user.Current(); err == nil {
		operator = u.Username
	}
	sum := sha256.Sum256(candBytes(*bundlePath))
	details, _ := json.Marshal(map[string]any{"operation": "whatif", "via": "cli", "live_revision": rep.LiveRevision,
		"candidate_revision": rep.CandidateRevision, "candidate_digest": "sha256:" + hex.EncodeToString(sum[:]), "at": rep.At,
		"item": *item, "division": *division, "gains": rep.Gains, "losses": rep.Losses, "cleared": rep.Cleared})
	if err := st.AppendAudit(ctx, &store.AuditEntry{ActorSub: "cli:" + operator, ActorRole: "system", Action: store.AuditPolicy,
		Item: *item, Details: details}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printWhatIf(stdout, rep)
	return nil
}

// printWhatIf prints the per-item and per-village tables and every change with its reasons.
func printWhatIf(w io.Writer, rep *scan.WhatIfReport) {
	fmt.Fprintf(w, "what-if 政策试算 at %s: live %s → candidate %s, %d residents, %d ms\n", rep.At, rep.LiveRevision, rep.CandidateRevision, rep.Residents, rep.ElapsedMS)
	fmt.Fprintf(w, "gains %d, losses %d, alerts cleared %d\n\n", rep.Gains, rep.Losses, rep.Cleared)
	fmt.Fprintf(w, "%-40s %8s %8s %8s %8s %8s %8s %8s\n", "item", "live", "cand.", "gains", "losses", "cleared", "alerts", "alerts'")
	for _, it := range rep.Items {
		fmt.Fprintf(w, "%-40s %8d %8d %8d %8d %8d %8d %8d\n", it.Item, it.LiveCandidates, it.CandidateCandidates, it.Gains, it.Losses, it.Cleared, it.LiveAlerts, it.CandidateAlerts)
	}
	if len(rep.Villages) > 0 {
		fmt.Fprintf(w, "\n%-14s %-40s %8s %8s %8s\n", "village", "item", "gains", "losses", "cleared")
		for _, v := range rep.Villages {
			fmt.Fprintf(w, "%-14s %-40s %8d %8d %8d\n", v.Village, v.Item, v.Gains, v.Losses, v.Cleared)
		}
	}
	if len(rep.Changes) > 0 {
		fmt.Fprintln(w)
		for _, c := range rep.Changes {
			on := ""
			if c.Enrolled {
				on = " (enrolled)"
			}
			fmt.Fprintf(w, "%-7s %s %s village %s%s: %s; rule %s\n", c.Change, c.Item, c.ID, c.Village, on, strings.Join(c.Reasons, ","), c.Rule)
		}
	}
}

// candBytes is the candidate's content for its digest: the tarball file, or nothing for a
// directory (whose revision the report names).
func candBytes(path string) []byte {
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return nil
	}
	b, _ := os.ReadFile(path)
	return b
}
