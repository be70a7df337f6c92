package irvm

import (
	"errors"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestPanicIsInternalError: a statement irvm mishandles (here an append to an undefined
// local, which no plan OPA makes contains) ends the evaluation with ErrInternal, not a
// crash, and leaves the machine pool usable.
func TestPanicIsInternalError(t *testing.T) {
	broken := &Program{
		plan:    []*block{{stmts: []stmt{{op: opArrayAppend, target: 2, a: operand{val: ast.InternedTerm(1)}}}}},
		nlocals: 3,
	}
	v, err := broken.Eval(t.Context(), ast.NewObject(), ast.NewObject(), Options{})
	if !errors.Is(err, ErrInternal) || v != nil {
		t.Fatalf("got %v, %v; want ErrInternal", v, err)
	}
	ok := &Program{
		plan: []*block{{stmts: []stmt{
			{op: opMakeObject, target: 2},
			{op: opObjectInsert, target: 2, a: operand{val: ast.InternedTerm("x")}, b: operand{val: ast.InternedTerm(7)}},
			{op: opResultAdd, a: operand{local: 2}},
		}}},
		nlocals: 3,
	}
	for range 3 {
		v, err := ok.Eval(t.Context(), ast.NewObject(), ast.NewObject(), Options{})
		if err != nil || v == nil || v.Compare(ast.Number("7")) != 0 {
			t.Fatalf("after a recovered panic: got %v, %v; want 7", v, err)
		}
	}
}
