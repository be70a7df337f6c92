package policy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/policy/irvm"
	"sanmian/policies"
)

// bundleDir copies the embedded bundle (tests included) to a directory with revision in its
// manifest and the extra files added.
func bundleDir(t *testing.T, revision string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, policies.Bundle); err != nil {
		t.Fatal(err)
	}
	setBundle(t, dir, revision, extra)
	return dir
}

// setBundle sets the revision of the bundle in dir and writes the extra files.
func setBundle(t *testing.T, dir, revision string, extra map[string]string) {
	t.Helper()
	manifest := filepath.Join(dir, ".manifest")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	raw = regexp.MustCompile(`"revision": "[^"]*"`).ReplaceAll(raw, []byte(`"revision": "`+revision+`"`))
	if err := os.WriteFile(manifest, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, src := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReloadVetsBundle: a new revision goes live only when its own Rego tests pass on irvm;
// a refused revision is logged with its reason, Reload says why, and the engine keeps
// deciding on the revision it had.
func TestReloadVetsBundle(t *testing.T) {
	tests := []struct {
		name    string
		extra   map[string]string
		refused bool
		reasons []string // in the error and the log
	}{
		{
			name: "failing_and_erroring_rego_tests_refused",
			extra: map[string]string{"zz_refusal_test.rego": `package sanmian.zz_refusal_test

test_elderly_verdict_flipped if {
	data.sanmian.eligibility.decision.eligible == false with input as {"item": "elderly_allowance", "now": "2026-11-26", "evidence": {}}
}

conflict := 1 if input.x
conflict := 2 if input.x

test_conflict if conflict == 1 with input.x as true
`},
			refused: true,
			reasons: []string{"2 of", "sanmian.zz_refusal_test.test_elderly_verdict_flipped", "test_conflict", "eval_conflict_error"},
		},
		{
			// irvm refuses the first test's query (a non-deterministic built-in); it runs
			// on topdown, passes, and the revision goes live.
			name: "test_irvm_cannot_plan_runs_on_topdown",
			extra: map[string]string{"zz_refusal_test.rego": `package sanmian.zz_refusal_test

test_clock_runs if time.now_ns() > 0

test_catalogue_has_items if count(data.sanmian.catalogue.items) > 20
`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			dir := bundleDir(t, "vet-1", nil)
			e := newEngine(t, FromDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			before, err := e.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
			if err != nil {
				t.Fatal(err)
			}
			setBundle(t, dir, "vet-2", tc.extra)
			changed, err := e.Reload(t.Context())
			if !tc.refused {
				if err != nil || !changed || e.Revision() != "vet-2" {
					t.Fatalf("reload: changed %t, %v, revision %q; want vet-2 live", changed, err, e.Revision())
				}
				return
			}
			if !errors.Is(err, ErrBundleRefused) || changed {
				t.Fatalf("reload: changed %t, %v; want ErrBundleRefused", changed, err)
			}
			log := logs.String()
			for _, r := range tc.reasons {
				if !strings.Contains(err.Error(), r) || !strings.Contains(log, r) {
					t.Fatalf("error or log does not say %q:\nerror: %v\nlog: %s", r, err, log)
				}
			}
			if e.Revision() != "vet-1" {
				t.Fatalf("revision %q after a refused bundle, want vet-1", e.Revision())
			}
			if !strings.Contains(log, "policy bundle refused") || !strings.Contains(log, "revision=vet-2") || !strings.Contains(log, "serving=vet-1") {
				t.Fatalf("log does not say which revision was refused and why: %q", log)
			}
			after, err := e.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
			if err != nil || after.Revision != "vet-1" || !bytes.Equal(before.Record.Result, after.Record.Result) {
				t.Fatalf("after the refusal: %v, revision %q", err, after.Revision)
			}
		})
	}
	t.Run("first_load_refused", func(t *testing.T) {
		dir := bundleDir(t, "vet-bad", map[string]string{"zz_refusal_test.rego": "package sanmian.zz_refusal_test\n\ntest_false if false\n"})
		if _, err := New(t.Context(), FromDir(dir)); !errors.Is(err, ErrBundleRefused) {
			t.Fatalf("New: %v; want ErrBundleRefused", err)
		}
		// WithTopdown runs nothing on irvm, so nothing is checked against it.
		if _, err := New(t.Context(), FromDir(dir), WithTopdown()); err != nil {
			t.Fatalf("New WithTopdown: %v", err)
		}
	})
}

// TestPathConflictRefused: a rule at a path the bundle's data also defines is refused on load
// (ast.CheckPathConflicts, as OPA's bundle activation does).
func TestPathConflictRefused(t *testing.T) {
	dir := bundleDir(t, "conflict-1", map[string]string{"conflict.rego": "package sanmian.catalogue\n\nactions := {}\n"})
	_, err := New(t.Context(), FromDir(dir))
	if !errors.Is(err, ErrBundle) || !strings.Contains(err.Error(), "conflicting rule for data path sanmian/catalogue/actions") {
		t.Fatalf("New: %v; want ErrBundle naming the conflict", err)
	}
}

// skewed stands for an irvm that decides differently from topdown: it answers every query
// with an empty object.
type skewed struct{}

func (skewed) Eval(context.Context, ast.Value, ast.Value, irvm.Options) (ast.Value, error) {
	return ast.NewObject(), nil
}

// TestDifferentialCorpusRefuses: the corpus check finds an evaluator that departs from
// topdown on any of the three queries, and passes the bundle as planned.
func TestDifferentialCorpusRefuses(t *testing.T) {
	e := newEngine(t)
	if err := differential(t.Context(), e.state.Load()); err != nil {
		t.Fatalf("embedded bundle: %v", err)
	}
	for _, path := range []string{PathEligibility, PathScan, PathAccess} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			st := *e.state.Load()
			st.planned = map[string]planned{path: skewed{}}
			err := differential(t.Context(), &st)
			if !errors.Is(err, ErrBundleRefused) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v; want ErrBundleRefused for %s", err, path)
			}
		})
	}
}
