package policy

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

func TestFlatCache(t *testing.T) {
	c := getFlatCache()
	defer c.release()
	a, b := ast.MustParseRef("data.p.a"), ast.MustParseRef("data.p.b")
	one, two := ast.IntNumberTerm(1), ast.IntNumberTerm(2)
	if v, undef := c.Get(a); v != nil || undef {
		t.Fatalf("empty cache: %v %v", v, undef)
	}
	buf := append(ast.Ref(nil), a...)
	c.Put(buf, one)
	buf[2] = ast.StringTerm("x") // the caller reuses its slice: the entry must not change
	if v, _ := c.Get(a); v != one {
		t.Fatalf("get a = %v", v)
	}
	c.Put(b, nil)
	if v, undef := c.Get(b); v != nil || !undef {
		t.Fatalf("undefined b: %v %v", v, undef)
	}
	c.Put(b, two) // as OPA's cache: undefined once recorded stays undefined
	if _, undef := c.Get(b); !undef {
		t.Fatal("b no longer undefined")
	}
	c.Push() // a with modifier: a fresh frame
	if v, _ := c.Get(a); v != nil {
		t.Fatalf("new frame sees a = %v", v)
	}
	c.Put(a, two)
	if v, _ := c.Get(a); v != two {
		t.Fatalf("inner a = %v", v)
	}
	c.Pop()
	if v, _ := c.Get(a); v != one {
		t.Fatalf("outer a after pop = %v", v)
	}
	keys := c.Keys()
	if len(keys) != 2 || !keys[0].Equal(a) {
		t.Fatalf("keys %v", keys)
	}
}

// TestFlatCacheWithModifiers evaluates a policy that caches rule values inside and outside
// `with` modifiers: the flat cache gives OPA's results.
func TestFlatCacheWithModifiers(t *testing.T) {
	mod := `package p
x := input.v * 2
y := [x, a, b] if {
	a := x with input.v as 10
	b := x with input.v as 20
}
z := [y, x]`
	ctx := context.Background()
	pq, err := rego.New(rego.Query("data.p.z"), rego.Module("p.rego", mod)).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := ast.MustParseTerm(`{"v": 1}`).Value
	want, err := pq.Eval(ctx, rego.EvalParsedInput(in))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // pooled caches are reused
		vc := getFlatCache()
		got, err := pq.Eval(ctx, rego.EvalParsedInput(in), rego.EvalVirtualCache(vc))
		vc.release()
		if err != nil {
			t.Fatal(err)
		}
		if g, w := got[0].Expressions[0].String(), want[0].Expressions[0].String(); g != w || w != "[[2 20 40] 2]" {
			t.Fatalf("flat cache %s, OPA's %s", g, w)
		}
	}
}
