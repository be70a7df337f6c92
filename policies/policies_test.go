package policies_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"sanmian/policies"
)

// minCoverage is the line coverage the Rego tests must reach on the policy files.
const minCoverage = 90.0

// TestRego runs every Rego test of the bundle (as `opa test` does) and checks the line
// coverage of the policy files (tests excluded).
func TestRego(t *testing.T) {
	ctx := t.Context()
	loader, err := bundle.NewFSLoader(policies.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.NewCustomReader(loader).WithRegoVersion(ast.RegoV1).WithSkipBundleVerification(true).Read()
	if err != nil {
		t.Fatalf("read bundle: %v", err)
	}
	modules := b.ParsedModules("sanmian")
	store := inmem.NewFromObject(b.Data)
	cov := cover.New()
	runner := tester.NewRunner().
		SetStore(store).
		SetCoverageQueryTracer(cov).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1)
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Abort(ctx, txn)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		t.Fatalf("run tests: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		if r.Error != nil {
			t.Errorf("%s.%s: error: %v", r.Package, r.Name, r.Error)
		} else if r.Fail {
			t.Errorf("%s.%s: FAIL", r.Package, r.Name)
		}
	}
	if n < 150 {
		t.Errorf("ran %d Rego tests, want at least 150", n)
	}
	policyOnly := map[string]*ast.Module{}
	for name, m := range modules {
		if !strings.HasSuffix(name, "_test.rego") {
			policyOnly[name] = m
		}
	}
	report := cov.Report(policyOnly)
	covered, total := report.CoveredLines, report.CoveredLines+report.NotCoveredLines
	for name, f := range report.Files {
		for _, r := range f.NotCovered {
			t.Logf("not covered: %s:%d-%d", name, r.Start.Row, r.End.Row)
		}
	}
	if total == 0 {
		t.Fatal("no coverage recorded")
	}
	pct := 100 * float64(covered) / float64(total)
	t.Logf("%d Rego tests; policy line coverage %.1f%% (%d/%d lines)", n, pct, covered, total)
	if pct < minCoverage {
		t.Errorf("coverage %.1f%% < %.0f%%", pct, minCoverage)
	}
}

// TestBundleFiles checks the embedded tree holds the manifest, the data and the policies.
func TestBundleFiles(t *testing.T) {
	for _, name := range []string{".manifest", "data.yaml", "eligibility.rego", "access.rego", "scan.rego", "lib.rego"} {
		if _, err := fs.Stat(policies.Bundle, name); err != nil {
			t.Errorf("embedded bundle lacks %s: %v", name, err)
		}
	}
}
