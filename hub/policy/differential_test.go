package policy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/evidence"
	"sanmian/hub/policy/irvm"
	"sanmian/policies"
)

// The hub evaluates the bundle's queries with package irvm (OPA's plan of each query, run
// directly); topdown, OPA's own evaluator, is the reference. These tests make both engines
// decide the same cases and require byte-identical results: every item on a few hundred
// generated evidence bundles, with and without callers; the access policy over roles,
// actions and resources; the proactive scan. The Rego tests also run on irvm
// (policies.TestRegoOnIRVM).

// evaluators returns an engine on irvm and one on topdown, and fails when the first does
// not run all three queries on irvm (a silent fallback would make the comparison vacuous).
func evaluators(t testing.TB) (vm, td *Engine) {
	vm, td = newEngine(t), newEngine(t, WithTopdown())
	if n := len(vm.state.Load().planned); n != 3 {
		t.Fatalf("irvm runs %d of the 3 queries", n)
	}
	if n := len(td.state.Load().planned); n != 0 {
		t.Fatalf("WithTopdown: irvm still runs %d queries", n)
	}
	return vm, td
}

// sameDecision decides item on b with both engines (as caller, when not nil) and reports a
// difference in the result or the record's input.
func sameDecision(t testing.TB, vm, td *Engine, item string, b *evidence.Bundle, c *Caller) {
	t.Helper()
	var opts []DecideOption
	if c != nil {
		opts = append(opts, AsCaller(*c))
	}
	x, err1 := vm.Decide(t.Context(), item, b, decisionTime, opts...)
	y, err2 := td.Decide(t.Context(), item, b, decisionTime, opts...)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("%s: irvm error %v, topdown error %v", item, err1, err2)
	}
	if err1 != nil {
		return
	}
	if !bytes.Equal(x.Record.Input, y.Record.Input) {
		t.Fatalf("%s: inputs differ", item)
	}
	if !bytes.Equal(x.Record.Result, y.Record.Result) {
		t.Fatalf("%s on %s:\nirvm    %s\ntopdown %s", item, x.Record.Input, x.Record.Result, y.Record.Result)
	}
}

func TestDifferentialDecisions(t *testing.T) {
	vm, td := evaluators(t)
	r := rand.New(rand.NewPCG(2026, 1126))
	bundles := 120
	if testing.Short() {
		bundles = 20
	}
	outcomes := map[string]int{}
	for i := range bundles {
		b := generated(r)
		for _, it := range vm.Items() {
			c := diffCallers[(i+len(it.Code))%len(diffCallers)]
			sameDecision(t, vm, td, it.Code, b, c)
			d, err := vm.Decide(t.Context(), it.Code, b, decisionTime)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case d.Eligible == nil:
				outcomes["undetermined"]++
			case *d.Eligible:
				outcomes["eligible"]++
			default:
				outcomes["ineligible"]++
			}
		}
		sameScan(t, vm, td, b)
	}
	// The generated cases must reach every verdict often, or the comparison says little.
	for _, k := range []string{"eligible", "ineligible", "undetermined"} {
		if outcomes[k] < bundles {
			t.Errorf("only %d %s decisions in the generated corpus: %v", outcomes[k], k, outcomes)
		}
	}
	t.Logf("%d bundles x %d items, verdicts %v", bundles, len(vm.Items()), outcomes)
}

func sameScan(t testing.TB, vm, td *Engine, b *evidence.Bundle) {
	t.Helper()
	x, err1 := vm.Scan(t.Context(), b, decisionTime)
	y, err2 := td.Scan(t.Context(), b, decisionTime)
	if err1 != nil || err2 != nil {
		t.Fatalf("scan: irvm %v, topdown %v", err1, err2)
	}
	if !slices.Equal(x.Eligible, y.Eligible) || !slices.Equal(x.Undetermined, y.Undetermined) {
		t.Fatalf("scan differs:\nirvm    %+v\ntopdown %+v", x, y)
	}
}

func TestDifferentialAccess(t *testing.T) {
	vm, td := evaluators(t)
	roles := []string{"counter", "reviewer", "department", "auditor", "admin", "citizen", ""}
	jurisdictions := []string{villageA, "370114001901", "370114001000", "370114", villageC, ""}
	scopes := [][]string{nil, {"*"}, {"elderly_allowance"}}
	// every action of the catalogue (data.yaml) and one it does not know
	actions := []string{"item.read", "application.create", "application.read", "application.list",
		"application.confirm", "application.review", "permit.read", "permit.print", "permit.revoke",
		"permit.verify", "permit.status", "resident.lookup", "resident.data_use.read", "worklist.read", "alert.read",
		"scan.run", "decision.read", "decision.replay", "statistics.read", "audit.read", "audit.verify", "policy.reload",
		"webhook.read", "webhook.manage",
		"graphql.items", "graphql.person", "graphql.application", "graphql.decision", "graphql.permit",
		"graphql.audit", "nonsense"}
	resources := []Resource{{}, {Village: villageA, Item: "elderly_allowance"}, {Village: villageC, Item: "senior_card"},
		{Division: "370114001000"}, {Village: villageB, Item: "elderly_allowance", Level: "town"}, {Village: "999999999999"}}
	allowed := 0
	n := 0
	for _, role := range roles {
		for _, j := range jurisdictions {
			for _, sc := range scopes {
				c := Caller{Sub: "s-" + role, Role: role, Jurisdiction: j, Scope: sc}
				for _, a := range actions {
					for _, res := range resources {
						x, err1 := vm.Authorize(t.Context(), c, a, res)
						y, err2 := td.Authorize(t.Context(), c, a, res)
						if err1 != nil || err2 != nil {
							t.Fatalf("authorize: irvm %v, topdown %v", err1, err2)
						}
						if !bytes.Equal(x.Record.Result, y.Record.Result) {
							t.Fatalf("%+v %s %+v:\nirvm    %s\ntopdown %s", c, a, res, x.Record.Result, y.Record.Result)
						}
						n++
						if x.Allow {
							allowed++
						}
					}
				}
			}
		}
	}
	if allowed == 0 || allowed == n {
		t.Fatalf("%d of %d access decisions allowed: the grid does not exercise the policy", allowed, n)
	}
	t.Logf("%d access decisions, %d allowed", n, allowed)
}

// FuzzDifferentialDecisions lets the fuzzer choose the mutations (and the item and caller).
func FuzzDifferentialDecisions(f *testing.F) {
	for _, seed := range [][]byte{{}, {1, 2, 3}, []byte("sanmian-irvm"), {255, 0, 17, 42, 9, 9, 9}} {
		f.Add(seed)
	}
	vm, td := evaluators(f)
	items := vm.Items()
	f.Fuzz(func(t *testing.T, data []byte) {
		var seed [16]byte
		copy(seed[:], data)
		r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		b := generated(r)
		it := items[r.IntN(len(items))]
		sameDecision(t, vm, td, it.Code, b, diffCallers[r.IntN(len(diffCallers))])
	})
}

// failing stands for an irvm that fails on its own account (irvm.ErrInternal).
type failing struct{}

func (failing) Eval(context.Context, ast.Value, ast.Value, irvm.Options) (ast.Value, error) {
	return nil, fmt.Errorf("%w: test", irvm.ErrInternal)
}

// TestIRVMInternalErrorFallsBackToTopdown: when irvm fails on its own account the decision
// is still made, by topdown, with the same result, and the failure is logged.
func TestIRVMInternalErrorFallsBackToTopdown(t *testing.T) {
	var logs bytes.Buffer
	vm := newEngine(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, td := evaluators(t)
	st := *vm.state.Load()
	st.planned = map[string]planned{PathEligibility: failing{}}
	vm.state.Store(&st)
	x, err := vm.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	y, err := td.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Record.Result, y.Record.Result) {
		t.Fatalf("fallback result differs:\n%s\n%s", x.Record.Result, y.Record.Result)
	}
	if !strings.Contains(logs.String(), "irvm failed, evaluated by topdown") {
		t.Fatalf("no log of the fallback: %q", logs.String())
	}
}

// TestQueryIRVMRefusesRunsOnTopdown: a bundle whose scan calls a non-deterministic built-in
// loads; the scan runs on topdown, the other queries on irvm, and the load logs why.
func TestQueryIRVMRefusesRunsOnTopdown(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, policies.Bundle); err != nil {
		t.Fatal(err)
	}
	scan := filepath.Join(dir, "scan.rego")
	src, err := os.ReadFile(scan)
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, []byte("\n# the scan's clock, for the test\nscanned_at_ns := time.now_ns()\n")...)
	src = bytes.Replace(src, []byte(`result := {`), []byte(`result := {"at": scanned_at_ns,`), 1)
	if err := os.WriteFile(scan, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	e := newEngine(t, FromDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	st := e.state.Load()
	if st.planned[PathScan] != nil || st.planned[PathEligibility] == nil || st.planned[PathAccess] == nil {
		t.Fatalf("planned: %v", st.planned)
	}
	if !strings.Contains(logs.String(), "evaluated by topdown") || !strings.Contains(logs.String(), "time.now_ns") {
		t.Fatalf("no warning naming the reason: %q", logs.String())
	}
	s, err := e.Scan(t.Context(), elder(), decisionTime)
	if err != nil || len(s.Eligible) == 0 {
		t.Fatalf("scan on topdown: %+v, %v", s, err)
	}
}
