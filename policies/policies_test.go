package policies_test

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"sanmian/hub/policy/irvm"
	"sanmian/policies"
)

// minCoverage is the line coverage the Rego tests must reach on the policy files.
const minCoverage = 90.0

// readBundle reads the embedded bundle, tests included.
func readBundle(t *testing.T) bundle.Bundle {
	t.Helper()
	loader, err := bundle.NewFSLoader(policies.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.NewCustomReader(loader).WithRegoVersion(ast.RegoV1).WithSkipBundleVerification(true).Read()
	if err != nil {
		t.Fatalf("read bundle: %v", err)
	}
	return b
}

// TestRego runs every Rego test of the bundle (as `opa test` does) and checks the line
// coverage of the policy files (tests excluded).
func TestRego(t *testing.T) {
	ctx := t.Context()
	b := readBundle(t)
	modules := b.ParsedModules("sanmian")
	store := inmem.NewFromObject(b.Data)
	cov := cover.New()
	runner := tester.NewRunner().
		SetStore(store).
		SetCoverageQueryTracer(cov).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		SetTimeout(2 * time.Minute) // per Rego test; the default 5 s is too short under -race
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

// TestRegoOnIRVM runs every Rego test of the bundle a second time on the evaluator the hub
// uses for decisions (package irvm, OPA's planned form of each query), so that the Rego
// tests speak for that evaluator as well as for topdown. A test irvm cannot plan fails.
func TestRegoOnIRVM(t *testing.T) {
	ctx := t.Context()
	b := readBundle(t)
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	compiler.Compile(b.ParsedModules("sanmian"))
	if compiler.Failed() {
		t.Fatal(compiler.Errors)
	}
	store := inmem.NewFromObject(b.Data)
	data, err := ast.InterfaceToValue(b.Data)
	if err != nil {
		t.Fatal(err)
	}
	n, passed := 0, 0
	for _, m := range compiler.Modules {
		for _, r := range m.Rules {
			name := r.Head.Name.String()
			if !strings.HasPrefix(name, "test_") {
				continue
			}
			n++
			q := m.Package.Path.String() + "." + name
			p, err := irvm.Compile(ctx, compiler, store, q)
			if err != nil {
				t.Errorf("%s: %v", q, err)
				continue
			}
			v, err := p.Eval(ctx, nil, data, irvm.Options{})
			if err != nil {
				t.Errorf("%s: %v", q, err)
			} else if v == nil || v.Compare(ast.Boolean(true)) != 0 {
				t.Errorf("%s: got %v, want true", q, v)
			} else {
				passed++
			}
		}
	}
	if n < 150 {
		t.Errorf("ran %d Rego tests, want at least 150", n)
	}
	t.Logf("%d of %d Rego tests passed on irvm", passed, n)
}
