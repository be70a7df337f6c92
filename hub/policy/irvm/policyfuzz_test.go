package irvm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/policy/irvm"
)

// FuzzPolicies varies the policy, not only the input: the fuzzer's bytes choose a small Rego
// module from a grammar of the constructs irvm runs (complete rules with else and default,
// partial sets and objects, functions, comprehensions of each kind, some/every/not, with,
// built-in functions including the relation walk, print) and the inputs it is evaluated on.
// irvm must agree with topdown on every input (value, or both failing), or refuse the
// module at Compile (ErrUnsupported).
func FuzzPolicies(f *testing.F) {
	for _, s := range []string{
		"", "\x00", "sanmian", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
		"every rule with else", strings.Repeat("\xff\x10\x37", 20), strings.Repeat("walk\x03print\x09", 8),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g := &gen{b: b}
		module, enablePrint := g.module()
		inputs := []string{g.input(), g.input(), g.input()}
		mod, err := ast.ParseModuleWithOpts("test.rego", "package test\n\n"+module, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Skip() // the grammar makes some ill-formed modules (unsafe variables and the like)
		}
		c := ast.NewCompiler().WithEnablePrintStatements(enablePrint)
		if c.Compile(map[string]*ast.Module{"test.rego": mod}); c.Failed() {
			t.Skip()
		}
		e := newEnvFromCompiler(t, c, fuzzPolicyData)
		ctx := t.Context()
		prog, err := irvm.Compile(ctx, e.compiler, e.store, "data.test.p")
		if errors.Is(err, irvm.ErrUnsupported) {
			return
		}
		if err != nil {
			t.Fatalf("irvm.Compile: %v\n%s", err, module)
		}
		for _, in := range inputs {
			input := parseInput(t, in)
			// A generated policy may take long (nested walks over data); such a case
			// says nothing about agreement and is left out.
			ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
			got, gotErr := prog.Eval(ectx, input, e.data, irvm.Options{})
			want, wantErr := e.topdown(ectx, "data.test.p", input)
			slow := ectx.Err() != nil
			cancel()
			if slow {
				t.Skip()
			}
			if (gotErr != nil) != (wantErr != nil) || (gotErr == nil && !same(got, want)) {
				// topdown's rule index answers differently from topdown evaluating every
				// rule (TestTopdownRuleIndex): when irvm agrees with the latter, the
				// difference is the index's.
				u, uerr := e.topdownUnindexed(ctx, "data.test.p", input)
				if (gotErr != nil) == (uerr != nil) && (gotErr != nil || same(got, u)) {
					t.Skipf("topdown's rule index differs from topdown without it on input %s\nmodule:\n%s", in, module)
				}
			}
			if (gotErr != nil) != (wantErr != nil) {
				t.Fatalf("errors differ on input %s\nirvm:    %v\ntopdown: %v\nmodule:\n%s", in, gotErr, wantErr, module)
			}
			if gotErr == nil && !same(got, want) {
				t.Fatalf("results differ on input %s\nirvm:    %s\ntopdown: %s\nmodule:\n%s", in, canonical(got), canonical(want), module)
			}
		}
	})
}

// fuzzPolicyData is the base document generated policies read (data.base).
const fuzzPolicyData = `{"base": {"limits": {"a": 1, "b": 5, "c": -2}, "allowed": ["x", "y", 1], "nested": {"k": {"v": [1, {"w": "z"}]}}},
"test": {"cfg": {"a": 1, "b": {"c": 2, "d": [3]}}}}`

// gen draws choices from the fuzzer's bytes (zero once they run out).
type gen struct {
	b     []byte
	i     int
	rules []string // names of rules generated so far (each may be undefined)
	funcs []string // names of functions generated so far (one argument)
	sets  []string // partial set rules
	objs  []string // partial object rules
	nvar  int
}

func (g *gen) n(k int) int {
	if g.i >= len(g.b) {
		return 0
	}
	v := int(g.b[g.i])
	g.i++
	return v % k
}

func (g *gen) pick(xs ...string) string { return xs[g.n(len(xs))] }

func (g *gen) fresh() string {
	g.nvar++
	return fmt.Sprintf("v%d", g.nvar)
}

// scalar is a literal.
func (g *gen) scalar() string {
	return g.pick(`0`, `1`, `2`, `-1`, `1.5`, `"a"`, `"x"`, `""`, `true`, `false`, `null`, `2.0`)
}

// dyn is an argument of a built-in function or operator: mostly of a type the type checker
// cannot know (input, rule values, variables), so that the call compiles.
func (g *gen) dyn(scope []string, depth int) string {
	switch g.n(6) {
	case 0, 1:
		return g.pick(`input.a`, `input.b`, `input.s`, `input.xs`, `input.o`, `input.xs[0]`, `input.o.k`, `input.o[input.s]`)
	case 2:
		if len(scope) > 0 {
			return scope[g.n(len(scope))]
		}
		return `input.a`
	case 3:
		if len(g.rules) > 0 {
			return g.rules[g.n(len(g.rules))]
		}
		return `input.b`
	default:
		return g.pick(`data.base.limits[input.s]`, `data.base.nested[input.s]`, `data.base.allowed[input.a]`, `input.o[input.s]`,
			`data.test.cfg`, `data.test.cfg.b`, `data.test.cfg.b[input.s]`)
	}
}

// use is a condition on x (so that a declared variable is used).
func (g *gen) use(x string, scope []string, depth int) string {
	switch g.n(5) {
	case 0:
		return fmt.Sprintf("%s != %s", x, g.scalar())
	case 1:
		return fmt.Sprintf("not %s == %s", x, g.dyn(scope, depth+1))
	case 2:
		return fmt.Sprintf("%s(%s)", g.pick("is_number", "is_string", "is_array", "is_object"), x)
	case 3:
		return fmt.Sprintf("%s %s %s", x, g.pick("<", ">=", "=="), g.dyn(scope, depth+1))
	default:
		return fmt.Sprintf("%s in %s", x, g.collection(scope, depth+1))
	}
}

// collection is a term that is usually a collection (scan source).
func (g *gen) collection(scope []string, depth int) string {
	switch g.n(9) {
	case 0:
		return `input.xs`
	case 1:
		return `input.o`
	case 2:
		return `data.base.limits`
	case 3:
		return `data.base.allowed`
	case 4:
		return `[1, "x", 2, 1]`
	case 5:
		return `{"k": 1, "j": [2], "a": "x"}`
	case 6:
		if len(g.sets) > 0 {
			return g.sets[g.n(len(g.sets))]
		}
		return `{1, 2, "a"}`
	case 7:
		if len(g.objs) > 0 {
			return g.objs[g.n(len(g.objs))]
		}
		return `input`
	default:
		return g.term(scope, depth+1)
	}
}

// term is an expression over the variables in scope.
func (g *gen) term(scope []string, depth int) string {
	if depth > 3 {
		if len(scope) > 0 && g.n(2) == 0 {
			return scope[g.n(len(scope))]
		}
		return g.scalar()
	}
	switch g.n(22) {
	case 0, 1:
		return g.scalar()
	case 2, 3:
		if len(scope) > 0 {
			return scope[g.n(len(scope))]
		}
		return `input.a`
	case 4:
		return g.pick(`input.a`, `input.b`, `input.s`, `input.xs`, `input.o`, `input.xs[0]`, `input.o.k`, `input`)
	case 5:
		return g.pick(`data.base.limits`, `data.base.allowed`, `data.base.nested.k`, `data.base.limits[input.s]`)
	case 6:
		return fmt.Sprintf("(%s %s %s)", g.dyn(scope, depth+1), g.pick("+", "-", "*", "/", "%"), g.dyn(scope, depth+1))
	case 7:
		return fmt.Sprintf("%s(%s)", g.pick("count", "sum", "max", "sort", "upper", "to_number", "is_number", "type_name",
			"json.marshal", "object.keys", "abs", "is_string"), g.dyn(scope, depth+1))
	case 8:
		return fmt.Sprintf("%s(%s, %s)", g.pick("array.concat", "object.union", "concat", "sprintf", "startswith", "split"),
			g.dyn(scope, depth+1), g.dyn(scope, depth+1))
	case 9:
		return fmt.Sprintf("object.get(%s, %s, %s)", g.dyn(scope, depth), g.dyn(scope, depth+1), g.scalar())
	case 10:
		x := g.fresh()
		inner := append(scope[:len(scope):len(scope)], x)
		return fmt.Sprintf("[%s | some %s in %s%s]", g.with(x, inner, depth+1), x, g.collection(scope, depth), g.cond(inner, depth+1))
	case 11:
		x := g.fresh()
		inner := append(scope[:len(scope):len(scope)], x)
		return fmt.Sprintf("{%s | some %s in %s%s}", g.with(x, inner, depth+1), x, g.collection(scope, depth), g.cond(inner, depth+1))
	case 12:
		k, v := g.fresh(), g.fresh()
		inner := append(scope[:len(scope):len(scope)], k, v)
		return fmt.Sprintf("{%s: %s | some %s, %s in %s%s}", k, g.with(v, inner, depth+1), k, v, g.collection(scope, depth), g.cond(inner, depth+1))
	case 13:
		p, v := g.fresh(), g.fresh()
		inner := append(scope[:len(scope):len(scope)], p, v)
		return fmt.Sprintf("[[%s, %s] | walk(%s, [%s, %s])%s]", p, v, g.dyn(scope, depth), p, v, g.cond(inner, depth+1))
	case 14:
		v := g.fresh()
		return fmt.Sprintf("count([%s | walk(%s, [_, %s])])", v, g.dyn(scope, depth+1), v)
	case 15:
		if len(g.funcs) > 0 {
			return fmt.Sprintf("%s(%s)", g.funcs[g.n(len(g.funcs))], g.term(scope, depth+1))
		}
		return g.scalar()
	case 16:
		if len(g.rules) > 0 {
			return g.rules[g.n(len(g.rules))]
		}
		return `input.b`
	case 17:
		return fmt.Sprintf("[%s, %s]", g.term(scope, depth+1), g.term(scope, depth+1))
	case 18:
		return fmt.Sprintf("{%s: %s}", g.pick(`"k"`, `"a"`, `1`), g.term(scope, depth+1))
	case 19:
		return fmt.Sprintf("(%s %s %s)", g.dyn(scope, depth+1), g.pick("==", "<", ">=", "!=", "in"), g.term(scope, depth+1))
	case 20:
		return fmt.Sprintf("{%s, %s}", g.term(scope, depth+1), g.term(scope, depth+1))
	default:
		return g.collection(scope, depth)
	}
}

// with is a term that uses x.
func (g *gen) with(x string, scope []string, depth int) string {
	switch g.n(4) {
	case 0:
		return fmt.Sprintf("[%s, %s]", x, g.term(scope, depth+1))
	case 1:
		return fmt.Sprintf("{%q: %s}", "k", x)
	case 2:
		return fmt.Sprintf("%s(%s)", g.pick("type_name", "is_number", "json.marshal", "count"), x)
	default:
		return x
	}
}

// cond is an optional extra condition of a comprehension ("; cond" or "").
func (g *gen) cond(scope []string, depth int) string {
	if g.n(3) != 0 {
		return ""
	}
	return "; " + g.simple(scope, depth)
}

// simple is a condition that binds nothing.
func (g *gen) simple(scope []string, depth int) string {
	switch g.n(8) {
	case 0:
		return fmt.Sprintf("%s %s %s", g.dyn(scope, depth+1), g.pick("==", "!=", "<", ">", "<="), g.term(scope, depth+1))
	case 1:
		return fmt.Sprintf("not %s", g.term(scope, depth+1))
	case 2:
		return fmt.Sprintf("%s in %s", g.dyn(scope, depth+1), g.collection(scope, depth+1))
	case 3:
		x := g.fresh()
		inner := append(scope[:len(scope):len(scope)], x)
		return fmt.Sprintf("every %s in %s { %s }", x, g.collection(scope, depth+1), g.use(x, inner, depth+2))
	case 4:
		return fmt.Sprintf("print(%s)", g.term(scope, depth+1))
	case 5:
		if len(g.rules) > 0 {
			return fmt.Sprintf("%s with input.a as %s", g.rules[g.n(len(g.rules))], g.term(scope, depth+1))
		}
		return g.term(scope, depth+1)
	case 6:
		return fmt.Sprintf("walk(%s)", g.term(scope, depth+1))
	default:
		return g.term(scope, depth+1)
	}
}

// body is a rule body: conditions and bindings; it returns the text and the variables bound.
func (g *gen) body(scope []string) (string, []string) {
	var lits []string
	for range 1 + g.n(3) {
		switch g.n(5) {
		case 0:
			x := g.fresh()
			lits = append(lits, fmt.Sprintf("some %s in %s", x, g.collection(scope, 1)))
			scope = append(scope[:len(scope):len(scope)], x)
			lits = append(lits, g.use(x, scope, 1))
		case 1:
			k, v := g.fresh(), g.fresh()
			lits = append(lits, fmt.Sprintf("some %s, %s in %s", k, v, g.collection(scope, 1)))
			scope = append(scope[:len(scope):len(scope)], k, v)
			lits = append(lits, g.use(k, scope, 1), g.use(v, scope, 1))
		case 2:
			x := g.fresh()
			lits = append(lits, fmt.Sprintf("%s := %s", x, g.term(scope, 1)))
			scope = append(scope[:len(scope):len(scope)], x)
		default:
			lits = append(lits, g.simple(scope, 1))
		}
	}
	return strings.Join(lits, "\n\t"), scope
}

// module is a policy of a few rules and functions and the query rule p, which collects
// every rule (each wrapped so that an undefined one leaves p defined). It reports whether
// print statements stay in.
func (g *gen) module() (string, bool) {
	var rules []string
	var all []string
	for i := range 2 + g.n(5) {
		switch g.n(7) {
		case 0: // complete rule, maybe with else and a default
			name := fmt.Sprintf("r%d", i)
			body, scope := g.body(nil)
			r := fmt.Sprintf("%s := %s if {\n\t%s\n}", name, g.term(scope, 1), body)
			if g.n(2) == 0 {
				body2, scope2 := g.body(nil)
				r += fmt.Sprintf(" else := %s if {\n\t%s\n}", g.term(scope2, 1), body2)
			}
			if g.n(3) == 0 {
				r = fmt.Sprintf("default %s := %s\n\n", name, g.scalar()) + r
			}
			rules = append(rules, r)
			g.rules = append(g.rules, name)
			all = append(all, name)
		case 1: // partial set, two definitions
			name := fmt.Sprintf("s%d", i)
			for range 1 + g.n(2) {
				body, scope := g.body(nil)
				rules = append(rules, fmt.Sprintf("%s contains %s if {\n\t%s\n}", name, g.term(scope, 1), body))
			}
			g.sets = append(g.sets, name)
			all = append(all, name)
		case 2: // partial object
			name := fmt.Sprintf("o%d", i)
			body, scope := g.body(nil)
			rules = append(rules, fmt.Sprintf("%s[%s] := %s if {\n\t%s\n}", name, g.term(scope, 2), g.term(scope, 1), body))
			g.objs = append(g.objs, name)
			all = append(all, name)
		case 3: // function with several bodies, maybe else
			name := fmt.Sprintf("f%d", i)
			arg := g.fresh()
			for range 1 + g.n(2) {
				body, scope := g.body([]string{arg})
				r := fmt.Sprintf("%s(%s) := %s if {\n\t%s\n}", name, arg, g.term(scope, 1), body)
				if g.n(3) == 0 {
					r += fmt.Sprintf(" else := %s", g.scalar())
				}
				rules = append(rules, r)
			}
			g.funcs = append(g.funcs, name)
			all = append(all, fmt.Sprintf("%s(%s)", name, g.term(nil, 2)))
		case 4: // a rule evaluated under with
			name := fmt.Sprintf("w%d", i)
			target := "r0"
			if len(g.rules) > 0 {
				target = g.rules[g.n(len(g.rules))]
			} else {
				rules = append(rules, fmt.Sprintf("r0 := %s", g.term(nil, 1)))
				g.rules = append(g.rules, "r0")
			}
			rules = append(rules, fmt.Sprintf("%s := x if x := %s with input.%s as %s", name, target, g.pick("a", "xs", "o", "s"), g.term(nil, 2)))
			all = append(all, name)
		case 5: // a rule beside base data in the same document (data.test.cfg), merged on reads
			name := fmt.Sprintf("cfg.%s.r%d", g.pick("b", "e", "b.f"), i)
			body, scope := g.body(nil)
			rules = append(rules, fmt.Sprintf("%s := %s if {\n\t%s\n}", name, g.term(scope, 1), body))
			all = append(all, g.pick("data.test.cfg", "data.test.cfg.b", "cfg.b"))
		default: // a boolean rule with every/some
			name := fmt.Sprintf("b%d", i)
			body, _ := g.body(nil)
			rules = append(rules, fmt.Sprintf("%s if {\n\t%s\n}", name, body))
			g.rules = append(g.rules, name)
			all = append(all, name)
		}
	}
	var fields []string
	for i, r := range all {
		fields = append(fields, fmt.Sprintf("%q: [x | x := %s]", fmt.Sprintf("%d", i), r))
	}
	rules = append(rules, "p := {"+strings.Join(fields, ", ")+"}")
	return strings.Join(rules, "\n\n") + "\n", g.n(2) == 0
}

// input is a JSON document of the shape the grammar reads.
func (g *gen) input() string {
	vals := []string{`0`, `1`, `3`, `-2`, `2.5`, `"a"`, `"x"`, `"k"`, `""`, `true`, `null`, `[]`, `{}`, `[1, "x"]`, `{"k": 1}`}
	var kv []string
	for _, k := range []string{"a", "b", "s"} {
		if g.n(4) != 0 {
			kv = append(kv, fmt.Sprintf("%q: %s", k, vals[g.n(len(vals))]))
		}
	}
	if g.n(4) != 0 {
		var xs []string
		for range g.n(5) {
			xs = append(xs, vals[g.n(len(vals))])
		}
		kv = append(kv, `"xs": [`+strings.Join(xs, ", ")+`]`)
	}
	if g.n(4) != 0 {
		var os []string
		for _, k := range []string{"k", "j", "a"} {
			if g.n(2) == 0 {
				os = append(os, fmt.Sprintf("%q: %s", k, vals[g.n(len(vals))]))
			}
		}
		kv = append(kv, `"o": {`+strings.Join(os, ", ")+`}`)
	}
	return "{" + strings.Join(kv, ", ") + "}"
}
