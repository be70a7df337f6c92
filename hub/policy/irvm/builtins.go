package irvm

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// builtin evaluates a built-in function call: the result, nil when undefined, or an error
// that ends the evaluation (topdown.Halt). Other built-in errors make the call undefined, as
// in topdown without strict built-in errors.
type builtin func(m *machine, l []*ast.Term, args []operand) (*ast.Term, error)

// native holds built-in functions on every decision's path, written out here to spare the
// generic call (an iterator closure and an argument slice per call). Each is a transcription
// of its topdown implementation (v1/topdown: comparison.go, aggregates.go, object.go); the
// differential tests of package policy compare whole decisions with topdown.
var native = map[string]func(args ...*ast.Term) *ast.Term{
	ast.Equal.Name:         func(a ...*ast.Term) *ast.Term { return ast.InternedTerm(a[0].Equal(a[1])) },
	ast.NotEqual.Name:      func(a ...*ast.Term) *ast.Term { return ast.InternedTerm(!a[0].Equal(a[1])) },
	ast.GreaterThan.Name:   func(a ...*ast.Term) *ast.Term { return ast.InternedTerm(a[0].Value.Compare(a[1].Value) > 0) },
	ast.GreaterThanEq.Name: func(a ...*ast.Term) *ast.Term { return ast.InternedTerm(a[0].Value.Compare(a[1].Value) >= 0) },
	ast.LessThan.Name:      func(a ...*ast.Term) *ast.Term { return ast.InternedTerm(a[0].Value.Compare(a[1].Value) < 0) },
	ast.LessThanEq.Name:    func(a ...*ast.Term) *ast.Term { return ast.InternedTerm(a[0].Value.Compare(a[1].Value) <= 0) },
	ast.Member.Name:        member,
	ast.MemberWithKey.Name: memberWithKey,
	ast.Count.Name:         count,
	ast.ObjectGet.Name:     objectGet,
}

// member is `x in coll` (topdown builtinMember).
func member(a ...*ast.Term) *ast.Term {
	switch c := a[1].Value.(type) {
	case ast.Set:
		return ast.InternedTerm(c.Contains(a[0]))
	case *ast.Array:
		return ast.InternedTerm(c.Until(a[0].Equal))
	case ast.Object:
		return ast.InternedTerm(c.Until(func(_, v *ast.Term) bool { return a[0].Equal(v) }))
	}
	return ast.InternedTerm(false)
}

// memberWithKey is `k, v in coll` (topdown builtinMemberWithKey).
func memberWithKey(a ...*ast.Term) *ast.Term {
	type getter interface{ Get(*ast.Term) *ast.Term }
	key, val := a[0], a[1]
	switch c := a[2].Value.(type) {
	case ast.Set:
		return ast.InternedTerm(c.Contains(key) && key.Equal(val))
	case getter:
		return ast.InternedTerm(val.Equal(c.Get(key)))
	}
	return ast.InternedTerm(false)
}

// count (topdown builtinCount); undefined (a type error there) for other values.
func count(a ...*ast.Term) *ast.Term {
	switch c := a[0].Value.(type) {
	case *ast.Array:
		return ast.InternedTerm(c.Len())
	case ast.Object:
		return ast.InternedTerm(c.Len())
	case ast.Set:
		return ast.InternedTerm(c.Len())
	case ast.String:
		return ast.InternedTerm(len([]rune(string(c))))
	}
	return nil
}

// objectGet is object.get(obj, key or path, default) (topdown builtinObjectGet).
func objectGet(a ...*ast.Term) *ast.Term {
	obj, ok := a[0].Value.(ast.Object)
	if !ok {
		return nil
	}
	path, ok := a[1].Value.(*ast.Array)
	if !ok {
		if v := obj.Get(a[1]); v != nil {
			return v
		}
		return a[2]
	}
	curr := a[0]
	for i := range path.Len() {
		if curr = curr.Get(path.Elem(i)); curr == nil {
			return a[2]
		}
	}
	return curr
}

// lookupBuiltin resolves a built-in function by name: a native one, or topdown's. loc is
// where the call stands in the policy (print reports it), or nil.
func lookupBuiltin(name string, arity int, loc *ast.Location) (builtin, error) {
	if f, ok := native[name]; ok {
		if d, ok := ast.BuiltinMap[name]; ok && len(d.Decl.FuncArgs().Args) != arity {
			return nil, fmt.Errorf("%w: %s called with %d arguments", ErrUnsupported, name, arity)
		}
		return func(_ *machine, l []*ast.Term, args []operand) (*ast.Term, error) {
			var buf [4]*ast.Term
			vals := buf[:0]
			for _, a := range args {
				v := a.get(l)
				if v == nil {
					return nil, nil
				}
				vals = append(vals, v)
			}
			return f(vals...), nil
		}, nil
	}
	f := topdown.GetBuiltin(name)
	if f == nil {
		return nil, fmt.Errorf("%w: built-in function %s", ErrUnsupported, name)
	}
	decl, ok := ast.BuiltinMap[name]
	if !ok {
		return nil, fmt.Errorf("%w: built-in function %s has no declaration", ErrUnsupported, name)
	}
	if decl.Nondeterministic {
		return nil, fmt.Errorf("%w: non-deterministic built-in function %s", ErrUnsupported, name)
	}
	// A relation (walk) gives each of its outputs to iter in turn; the plan scans the
	// collection of them the call returns (OPA's planner, planExprCallRelation).
	relation := decl.Relation
	// A void function (print) gives iter nothing and is true once it returns without error.
	void := decl.Decl.Result() == nil
	return func(m *machine, l []*ast.Term, args []operand) (*ast.Term, error) {
		// The arguments go on the machine's argument stack and the result through its
		// iterator: no allocation per call. Built-in functions do not keep the slice.
		base := len(m.args)
		for _, a := range args {
			v := a.get(l)
			if v == nil {
				clear(m.args[base:])
				m.args = m.args[:base]
				return nil, nil
			}
			m.args = append(m.args, v)
		}
		m.out = nil
		m.bctx.Location = loc
		var err error
		if relation {
			outs := ast.NewArrayWithCapacity(4)
			err = f(m.bctx, m.args[base:], func(t *ast.Term) error {
				if t != nil {
					outs = outs.Append(t)
				}
				return nil
			})
			m.out = ast.NewTerm(outs)
		} else {
			err = f(m.bctx, m.args[base:], m.iter)
		}
		out := m.out
		m.out, m.bctx.Location = nil, nil
		clear(m.args[base:])
		m.args = m.args[:base]
		if err != nil {
			var halt topdown.Halt
			if errors.As(err, &halt) {
				return nil, err
			}
			if cerr := m.bctx.Context.Err(); cerr != nil {
				// A built-in function that gave up because the evaluation was cancelled
				// (bctx.Cancel) ends the evaluation, as in topdown.
				return nil, cerr
			}
			return nil, nil
		}
		if void && out == nil {
			return ast.InternedTerm(true), nil
		}
		return out, nil
	}, nil
}
