package irvm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"
	"github.com/open-policy-agent/opa/v1/types"

	"sanmian/hub/policy/irvm"
)

// counter is what the test built-in functions below count, reached through the context of
// the evaluation: ticks calls of sanmian_test.tick, which cancels the evaluation at the
// cancelAt-th; spins iterations of sanmian_test.spin.
type counter struct {
	ticks, cancelAt, spins int
	cancel                 context.CancelFunc
}

type counterKey struct{}

var (
	// tick(x) is true; its cancelAt-th call cancels the evaluation's context.
	tick = &ast.Builtin{Name: "sanmian_test.tick", Decl: types.NewFunction(types.Args(types.A), types.B)}
	// spin(n) loops n times, polling BuiltinContext.Cancel as OPA's looping built-in
	// functions do, and fails once it is cancelled.
	spin = &ast.Builtin{Name: "sanmian_test.spin", Decl: types.NewFunction(types.Args(types.N), types.N)}
)

func init() {
	ast.RegisterBuiltin(tick)
	topdown.RegisterBuiltinFunc(tick.Name, func(bctx topdown.BuiltinContext, _ []*ast.Term, iter func(*ast.Term) error) error {
		c := bctx.Context.Value(counterKey{}).(*counter)
		if c.ticks++; c.ticks == c.cancelAt {
			c.cancel()
		}
		return iter(ast.InternedTerm(true))
	})
	ast.RegisterBuiltin(spin)
	topdown.RegisterBuiltinFunc(spin.Name, func(bctx topdown.BuiltinContext, args []*ast.Term, iter func(*ast.Term) error) error {
		c := bctx.Context.Value(counterKey{}).(*counter)
		n, _ := args[0].Value.(ast.Number).Int()
		for range n {
			if bctx.Cancel != nil && bctx.Cancel.Cancelled() {
				return errors.New("spin: cancelled")
			}
			c.spins++
		}
		return iter(ast.InternedTerm(n))
	})
}

// TestCancelStopsLoops: an evaluation whose context is cancelled while it loops stops within
// a bounded number of iterations (counted, not timed) and returns the context's error; a
// looping built-in function sees the cancellation through BuiltinContext.Cancel. Before,
// irvm looked at the context only every 64 nested calls (never in a loop) and left
// BuiltinContext.Cancel unset.
func TestCancelStopsLoops(t *testing.T) {
	const (
		total    = 200000
		cancelAt = 1000
		// The check interval in loop iterations and calls (irvm's checkEvery) plus slack.
		bound = cancelAt + 512
	)
	tests := []struct {
		name      string
		module    string
		maxTicks  int
		maxSpins  int
		wantTicks int // exact count when the evaluation is not cancelled
	}{
		{
			name:     "comprehension_loop",
			module:   `p := count([x | some x in numbers.range(1, 200000); sanmian_test.tick(x)])`,
			maxTicks: bound,
		},
		{
			name: "nested_loops_in_function",
			module: `f(n) := [y | some y in numbers.range(1, n); sanmian_test.tick(y)]
p := [count(f(x)) | some x in numbers.range(1, 700)]`,
			maxTicks: bound,
		},
		{
			name:     "every_loop",
			module:   `p if every x in numbers.range(1, 200000) { sanmian_test.tick(x) }`,
			maxTicks: bound,
		},
		{
			name:     "builtin_polls_cancel",
			module:   `p := sanmian_test.spin(200000) if sanmian_test.tick(0)`,
			maxTicks: 1,
			maxSpins: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.module, "")
			prog, err := irvm.Compile(t.Context(), e.compiler, e.store, "data.test.p")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			c := &counter{cancelAt: min(cancelAt, tc.maxTicks), cancel: cancel}
			v, err := prog.Eval(context.WithValue(ctx, counterKey{}, c), ast.NewObject(), e.data, irvm.Options{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got error %v (value defined: %t); want context.Canceled", err, v != nil)
			}
			if c.ticks > tc.maxTicks || c.spins > tc.maxSpins {
				t.Fatalf("ran %d loop iterations and %d built-in iterations after cancelling at %d (at most %d and %d)",
					c.ticks, c.spins, c.cancelAt, tc.maxTicks, tc.maxSpins)
			}
			// Not cancelled, the same evaluation runs to the end.
			full := &counter{cancelAt: -1, cancel: func() {}}
			if _, err := prog.Eval(context.WithValue(t.Context(), counterKey{}, full), ast.NewObject(), e.data, irvm.Options{}); err != nil {
				t.Fatal(err)
			}
			if full.ticks+full.spins < total {
				t.Fatalf("uncancelled run made %d ticks and %d spins, want at least %d", full.ticks, full.spins, total)
			}
		})
	}
	t.Run("cancelled_before_eval", func(t *testing.T) {
		e := newEnv(t, `p := count([x | some x in numbers.range(1, 10); sanmian_test.tick(x)])`, "")
		prog, err := irvm.Compile(t.Context(), e.compiler, e.store, "data.test.p")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		c := &counter{cancelAt: -1, cancel: cancel}
		if _, err := prog.Eval(context.WithValue(ctx, counterKey{}, c), ast.NewObject(), e.data, irvm.Options{}); !errors.Is(err, context.Canceled) || c.ticks != 0 {
			t.Fatalf("got %v after %d ticks; want context.Canceled at once", err, c.ticks)
		}
	})
}

// printSink collects print output.
type printSink struct{ lines []string }

func (p *printSink) Print(_ print.Context, s string) error {
	p.lines = append(p.lines, s)
	return nil
}

// TestPrintHook: print output reaches Options.PrintHook with the same text topdown gives its
// print hook. (A rule that topdown stops evaluating at its first solution, such as a
// boolean complete rule, prints less there: the plan has no early exit.)
func TestPrintHook(t *testing.T) {
	module := `p contains x if {
	some x in input.xs
	print("x =", x, {y | some y in input.ys})
}`
	e := newEnvPrint(t, module, "", true)
	prog, err := irvm.Compile(t.Context(), e.compiler, e.store, "data.test.p")
	if err != nil {
		t.Fatal(err)
	}
	input := parseInput(t, `{"xs": [1, "a"], "ys": [2]}`)
	var got, want printSink
	v, err := prog.Eval(t.Context(), input, e.data, irvm.Options{PrintHook: &got})
	if err != nil || v == nil {
		t.Fatalf("irvm: %v, %v", v, err)
	}
	pq, err := rego.New(rego.Query("data.test.p"), rego.Compiler(e.compiler), rego.Store(e.store),
		rego.PrintHook(&want), rego.EnablePrintStatements(true)).PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pq.Eval(t.Context(), rego.EvalParsedInput(input)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.lines, "\n") != strings.Join(want.lines, "\n") || len(want.lines) == 0 {
		t.Fatalf("print output:\nirvm:    %q\ntopdown: %q", got.lines, want.lines)
	}
}
