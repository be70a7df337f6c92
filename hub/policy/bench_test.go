package policy

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"sanmian/hub/policy/irvm"
)

// benchEvaluators are the two ways an Engine can evaluate: irvm (the hub's) and topdown.
var benchEvaluators = []struct {
	name string
	opts []Option
}{{"irvm", nil}, {"topdown", []Option{WithTopdown()}}}

// BenchmarkDecide measures one eligibility decision with the evidence already in hand:
// minimisation, canonical input encoding and digest, evaluation of the query, result
// decoding and the decision record. "irvm" is the hub's evaluator; "topdown", OPA's
// reference evaluator (WithTopdown), is there for comparison.
func BenchmarkDecide(b *testing.B) {
	for _, ev := range benchEvaluators {
		e, err := New(b.Context(), ev.opts...)
		if err != nil {
			b.Fatal(err)
		}
		for _, item := range []string{"elderly_allowance", "rural_family_planning_reward", "severe_disability_care_subsidy"} {
			b.Run(ev.name+"/"+item, func(b *testing.B) {
				ev := elder()
				ctx := b.Context()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := e.Decide(ctx, item, ev, decisionTime); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecideAll measures Decide for every catalogue item on the same evidence (elder):
// one sub-benchmark per item code.
func BenchmarkDecideAll(b *testing.B) {
	e, err := New(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, it := range e.Items() {
		b.Run(it.Code, func(b *testing.B) {
			ev := elder()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Decide(ctx, it.Code, ev, decisionTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecideEvalOnly measures the evaluation of the decision query alone on an already
// built input (elderly_allowance): the policy's share of BenchmarkDecide, on irvm and on
// topdown.
func BenchmarkDecideEvalOnly(b *testing.B) {
	e, err := New(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	st := e.state.Load()
	val := ast.NewObject(pair("now", ast.StringTerm(DecisionDate(decisionTime))), pair("item", str("elderly_allowance")), pair("evidence", st.items["elderly_allowance"].minimise(elder())))
	ctx := b.Context()
	b.Run("irvm", func(b *testing.B) {
		prog := st.planned[PathEligibility]
		b.ReportAllocs()
		for b.Loop() {
			if _, err := prog.Eval(ctx, val, st.base.root, irvm.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("topdown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// The engine's evaluation options (evalTopdown), without the result's encoding.
			vc := getFlatCache()
			_, err := st.decide.Eval(ctx, rego.EvalParsedInput(val), rego.EvalTime(decisionTime), rego.EvalGenerateJSON(keepAST),
				rego.EvalMetrics(noMetrics), rego.EvalBaseCache(st.base), rego.EvalVirtualCache(vc))
			vc.release()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTrivialQuery is a calibration point: a prepared one-expression query on this
// machine at this moment (the box is shared; compare the other results against it).
func BenchmarkTrivialQuery(b *testing.B) {
	pq, err := rego.New(rego.Query("x := input.a")).PrepareForEval(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	val := ast.MustParseTerm(`{"a": 1}`).Value
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pq.Eval(ctx, rego.EvalParsedInput(val)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan measures the proactive scan of one resident: every proactive item in one
// evaluation on the full evidence, on irvm and on topdown.
func BenchmarkScan(b *testing.B) {
	for _, v := range benchEvaluators {
		e, err := New(b.Context(), v.opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(v.name, func(b *testing.B) {
			ev := elder()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Scan(ctx, ev, decisionTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthorize measures one access decision with its record.
func BenchmarkAuthorize(b *testing.B) {
	e, err := New(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	c := Caller{Sub: "cadre-1", Role: "counter", Jurisdiction: "370114001901"}
	r := Resource{Village: villageB, Item: "senior_card"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Authorize(ctx, c, "application.read", r); err != nil {
			b.Fatal(err)
		}
	}
}
