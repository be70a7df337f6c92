package irvm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// Control codes returned by the execution of a statement or block. A non-negative code is
// the number of enclosing blocks still to leave (0: the block holding the statement).
const (
	next   = -1 // carry on with the following statement
	retSig = -2 // the function returned (value in the frame)
	errSig = -3 // evaluation failed (error in the machine)
)

// machine is the state of one evaluation. Machines are pooled; a machine is used by one
// goroutine at a time.
type machine struct {
	p       *Program
	bctx    topdown.BuiltinContext
	stack   []*ast.Term // frames of locals, bump-allocated
	high    int         // the most of stack in use during this evaluation (what release clears)
	memo    [][]*ast.Term
	results []*ast.Term
	err     error
	ret     *ast.Term
	depth   int
	args    []*ast.Term           // arguments of built-in calls in progress
	out     *ast.Term             // the value a built-in function gave to iter
	iter    func(*ast.Term) error // stores its argument in out
	steps   uint32                // loop iterations and calls so far (see tick)
	cancel  ctxCancel             // bctx.Cancel
}

// checkEvery is how many loop iterations and function calls run between two looks at the
// evaluation's context: a cancelled evaluation stops within that many steps.
const checkEvery = 256

// tick counts a loop iteration or a call and, every checkEvery of them, ends the evaluation
// when its context is done (the error in m.err).
func (m *machine) tick() bool {
	if m.steps++; m.steps%checkEvery != 0 {
		return false
	}
	if err := m.bctx.Context.Err(); err != nil {
		m.fail(err)
		return true
	}
	return false
}

// ctxCancel is the BuiltinContext.Cancel of an evaluation: cancelled once the evaluation's
// context is done (or Cancel was called). Built-in functions that loop (numbers.range,
// regex and string replacement, net.cidr_expand, concat) poll it; no goroutine watches the
// context.
type ctxCancel struct {
	ctx  context.Context
	flag atomic.Bool
}

func (c *ctxCancel) Cancel() { c.flag.Store(true) }

func (c *ctxCancel) Cancelled() bool { return c.flag.Load() || c.ctx.Err() != nil }

var machines sync.Pool

// Options are per-evaluation settings.
type Options struct {
	// Time is the value built-in functions such as time.now_ns see (nanoseconds since the
	// epoch); zero leaves it unset.
	Time int64
	// PrintHook receives the output of print calls (when the policy was compiled with print
	// statements enabled); nil discards it. Either way print is true, as in topdown.
	PrintHook print.Hook
}

// Eval evaluates the program on input and data and returns the value of the query's only
// expression, or nil when the query is undefined. A query with several results is an error.
func (p *Program) Eval(ctx context.Context, input, data ast.Value, opt Options) (out ast.Value, err error) {
	err = p.eval(ctx, input, data, opt, func(rs []*ast.Term) error {
		switch len(rs) {
		case 0:
			return nil
		case 1:
		default:
			return fmt.Errorf("irvm: query has %d results", len(rs))
		}
		obj, ok := rs[0].Value.(ast.Object)
		if !ok || obj.Len() != 1 {
			return errors.New("irvm: unexpected result shape")
		}
		obj.Foreach(func(_, v *ast.Term) { out = v.Value })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eval evaluates the program and gives its results (objects from query variable to value)
// to done, which must not keep the slice.
func (p *Program) eval(ctx context.Context, input, data ast.Value, opt Options, done func(rs []*ast.Term) error) (err error) {
	defer func() {
		// A plan irvm mishandles must not take the process down: the caller gets
		// ErrInternal and can evaluate with topdown instead.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrInternal, r)
		}
	}()
	m, _ := machines.Get().(*machine)
	if m == nil {
		m = &machine{}
		m.iter = func(t *ast.Term) error {
			m.out = t
			return nil
		}
	}
	defer m.release()
	if ctx == nil {
		ctx = context.Background()
	}
	m.p = p
	m.cancel.ctx = ctx
	m.bctx = topdown.BuiltinContext{Context: ctx, Cache: builtins.Cache{}, Cancel: &m.cancel, PrintHook: opt.PrintHook}
	if err := ctx.Err(); err != nil {
		return err
	}
	if opt.Time != 0 {
		m.bctx.Time = ast.IntNumberTerm(int(opt.Time))
	}
	if cap(m.stack) < 4096 {
		m.stack = make([]*ast.Term, 0, 4096)
	}
	m.memo = append(m.memo[:0], make([]*ast.Term, len(p.funcs)))
	locals := m.push(p.nlocals)
	if input != nil {
		locals[0] = ast.NewTerm(input)
	}
	locals[1] = ast.NewTerm(data)
	for _, b := range p.plan {
		if r := m.exec(locals, b); r == errSig {
			return m.err
		}
	}
	return done(m.results)
}

func (m *machine) release() {
	clear(m.stack[:m.high]) // popped frames are clean already; this covers a panic's
	m.stack, m.high = m.stack[:0], 0
	for i := range m.memo {
		m.memo[i] = nil
	}
	m.memo = m.memo[:0]
	clear(m.results)
	m.results = m.results[:0]
	clear(m.args)
	m.args, m.out = m.args[:0], nil
	m.p, m.err, m.ret, m.depth, m.steps = nil, nil, nil, 0, 0
	m.bctx = topdown.BuiltinContext{}
	m.cancel.ctx = nil
	m.cancel.flag.Store(false)
	machines.Put(m)
}

// push returns n fresh (nil) locals on the stack.
func (m *machine) push(n int) []*ast.Term {
	l := len(m.stack)
	if l+n > cap(m.stack) {
		// Grow: frames already handed out keep pointing into the old array, which stays
		// valid; only new frames use the new one.
		m.stack = make([]*ast.Term, 0, 2*(cap(m.stack)+n))
		l, m.high = 0, 0
	}
	m.stack = m.stack[:l+n]
	m.high = max(m.high, l+n)
	return m.stack[l : l+n : l+n]
}

func (m *machine) pop(frame []*ast.Term) {
	clear(frame)
	if n := len(m.stack) - len(frame); n >= 0 && len(frame) > 0 && &m.stack[n] == &frame[0] {
		m.stack = m.stack[:n]
	}
}

func (m *machine) fail(err error) int {
	if m.err == nil {
		m.err = err
	}
	return errSig
}

func (m *machine) conflict(s *stmt, msg string) int {
	e := &EvalError{Message: msg}
	if s.loc != nil {
		e.Row, e.Text = s.loc.Row, string(s.loc.Text)
	}
	return m.fail(e)
}

func (o operand) get(l []*ast.Term) *ast.Term {
	if o.val != nil {
		return o.val
	}
	return l[o.local]
}

// exec runs a block and translates the code its statements end with into the code for the
// statement holding the block: leaving this block (0) means carrying on after it.
func (m *machine) exec(l []*ast.Term, b *block) int {
	r := m.run(l, b)
	switch {
	case r == 0 || r == next:
		return next
	case r > 0:
		return r - 1
	}
	return r
}

// run executes the statements of b until one of them ends the block; it returns the code of
// that statement (see the constants above) or next when every statement ran.
func (m *machine) run(l []*ast.Term, b *block) int {
	for i := range b.stmts {
		s := &b.stmts[i]
		switch s.op {
		case opAssign:
			l[s.target] = s.a.get(l)
		case opAssignOnce:
			// An equal second value leaves the first in place (1 stays 1, not 1.0), as in
			// topdown and OPA's wasm compiler.
			v := s.a.get(l)
			if cur := l[s.target]; cur != nil && v != nil {
				if cur.Value.Compare(v.Value) != 0 {
					return m.conflict(s, "complete rules must not produce multiple outputs")
				}
				continue
			}
			l[s.target] = v
		case opMakeConst: // also AssignIntStmt
			l[s.target] = s.a.val
		case opReset:
			l[s.target] = nil
		case opDot:
			if s.a.val != nil {
				return 0
			}
			src, key := l[s.a.local], s.b.get(l)
			if src == nil || key == nil {
				return 0
			}
			v := dot(src.Value, key)
			if v == nil {
				return 0
			}
			l[s.target] = v
		case opLen:
			src := s.a.get(l)
			if src == nil {
				return 0
			}
			n, ok := length(src.Value)
			if !ok {
				return 0
			}
			l[s.target] = ast.InternedTerm(n)
		case opEqual:
			a, b := s.a.get(l), s.b.get(l)
			if a == nil || b == nil || a.Value.Compare(b.Value) != 0 {
				return 0
			}
		case opNotEqual:
			a, b := s.a.get(l), s.b.get(l)
			if a == nil || b == nil || a.Value.Compare(b.Value) == 0 {
				return 0
			}
		case opIsArray:
			if v := s.a.get(l); s.a.val != nil || v == nil {
				return 0
			} else if _, ok := v.Value.(*ast.Array); !ok {
				return 0
			}
		case opIsObject:
			if v := s.a.get(l); s.a.val != nil || v == nil {
				return 0
			} else if _, ok := v.Value.(ast.Object); !ok {
				return 0
			}
		case opIsSet:
			if v := s.a.get(l); s.a.val != nil || v == nil {
				return 0
			} else if _, ok := v.Value.(ast.Set); !ok {
				return 0
			}
		case opIsDefined:
			if l[s.a.local] == nil {
				return 0
			}
		case opIsUndefined:
			if l[s.a.local] != nil {
				return 0
			}
		case opMakeNull:
			l[s.target] = ast.InternedNullTerm
		case opMakeArray:
			l[s.target] = ast.NewTerm(ast.NewArrayWithCapacity(s.n))
		case opMakeObject:
			l[s.target] = ast.NewTerm(ast.NewObject())
		case opMakeSet:
			l[s.target] = ast.NewTerm(ast.NewSet())
		case opArrayAppend:
			t, v := l[s.target], s.a.get(l)
			arr, ok := t.Value.(*ast.Array)
			if !ok || v == nil {
				return m.fail(fmt.Errorf("irvm: append to %T", t.Value))
			}
			t.Value = arr.Append(v)
		case opObjectInsert, opObjectInsertOnce:
			t, k, v := l[s.target], s.a.get(l), s.b.get(l)
			obj, ok := t.Value.(ast.Object)
			if !ok || k == nil || v == nil {
				return m.fail(fmt.Errorf("irvm: insert into %T", t.Value))
			}
			if s.op == opObjectInsertOnce {
				if cur := obj.Get(k); cur != nil {
					if cur.Value.Compare(v.Value) != 0 {
						return m.conflict(s, "object keys must be unique")
					}
					// topdown keeps the first of equal values in a rule's object and the
					// last in an object comprehension; the plan has one statement for both.
					if s.keepFirst {
						continue
					}
				}
			}
			obj.Insert(k, v)
		case opObjectMerge:
			// The base document (a) and the rules' values (b) at one path. OPA's wasm
			// runtime makes the merge undefined where both have a key; topdown, the
			// reference, keeps the base document's value there (and the base document
			// whole when either side is not an object), and so does irvm.
			a, b := l[s.a.local], l[s.b.local]
			if a == nil || b == nil {
				return 0
			}
			l[s.target] = ast.NewTerm(mergeBase(a.Value, b.Value))
		case opSetAdd:
			t, v := l[s.target], s.a.get(l)
			set, ok := t.Value.(ast.Set)
			if !ok || v == nil {
				return m.fail(fmt.Errorf("irvm: add to %T", t.Value))
			}
			set.Add(v)
		case opBlock:
			for _, sub := range s.blocks {
				if r := m.exec(l, sub); r != next {
					return r
				}
			}
		case opBreak:
			return s.n
		case opScan:
			if r := m.scan(l, s); r != next {
				return r
			}
		case opNot:
			switch r := m.run(l, s.body); {
			case r == next:
				return 0 // the negated block was defined
			case r == 0:
			case r > 0:
				return r - 1
			default:
				return r
			}
		case opWith:
			if r := m.with(l, s); r != next {
				return r
			}
		case opCall:
			v, r := m.call(l, s.fn, s.args)
			if r == errSig {
				return r
			}
			if v == nil {
				return 0
			}
			l[s.target] = v
		case opCallBuiltin:
			v, err := s.bi(m, l, s.args)
			if err != nil {
				return m.fail(err)
			}
			if v == nil {
				return 0
			}
			l[s.target] = v
		case opCallDynamic:
			fn := m.p.lookup(l, s.path)
			if fn == nil {
				return 0
			}
			v, r := m.call(l, fn, s.args)
			if r == errSig {
				return r
			}
			if v == nil {
				return 3 // as OPA's wasm compiler: a found but undefined rule skips the data lookup
			}
			l[s.target] = v
		case opReturn:
			m.ret = l[s.a.local]
			return retSig
		case opResultAdd:
			if v := l[s.a.local]; v != nil {
				m.results = append(m.results, v)
			}
		case opNop:
		}
	}
	return next
}

// scan runs the body of s for every element of its source (object members in key order, as
// topdown iterates them).
func (m *machine) scan(l []*ast.Term, s *stmt) int {
	src := l[s.a.local]
	if src == nil {
		return next
	}
	body := func(k, v *ast.Term) (int, bool) {
		if m.tick() {
			return errSig, false
		}
		l[s.key], l[s.value] = k, v
		switch r := m.run(l, s.body); {
		case r == next || r == 0:
			return 0, true
		case r == 1:
			return next, false
		case r > 1:
			return r - 2, false
		default:
			return r, false
		}
	}
	switch c := src.Value.(type) {
	case *ast.Array:
		for i := range c.Len() {
			if r, ok := body(ast.InternedTerm(i), c.Elem(i)); !ok {
				return r
			}
		}
	case ast.Object:
		for _, k := range c.Keys() {
			if r, ok := body(k, c.Get(k)); !ok {
				return r
			}
		}
	case ast.Set:
		for _, k := range c.Slice() {
			if r, ok := body(k, k); !ok {
				return r
			}
		}
	}
	return next
}

// with evaluates the body of s with a local (input or data) replaced, or one path in it
// upserted, under a fresh memo frame.
func (m *machine) with(l []*ast.Term, s *stmt) int {
	saved := l[s.target]
	// The value may be undefined: the planner restores the original input that way when the
	// query has none (OPA's wasm compiler sets the local to it just the same).
	v := s.a.get(l)
	switch {
	case len(s.wpath) == 0:
		l[s.target] = v
	case v != nil:
		l[s.target] = upsert(saved, s.wpath, v)
	}
	m.memo = append(m.memo, make([]*ast.Term, len(m.p.funcs)))
	r := m.run(l, s.body)
	m.memo = m.memo[:len(m.memo)-1]
	l[s.target] = saved
	switch {
	case r == next:
		return next
	case r == 0:
		return 0
	case r > 0:
		return r - 1
	}
	return r
}

// upsert returns a copy of t with value v at path (objects created where missing).
func upsert(t *ast.Term, path []*ast.Term, v *ast.Term) *ast.Term {
	if len(path) == 0 {
		return v
	}
	// A shallow copy: irvm never modifies a value it did not make itself (MakeObjectStmt
	// and the like), so the members can be shared. (ast.Object.Copy copies deeply: the whole
	// data document for every `with data...` evaluation.)
	var obj ast.Object
	if t != nil {
		if o, ok := t.Value.(ast.Object); ok {
			obj = ast.NewObjectWithCapacity(o.Len() + 1)
			o.Foreach(func(k, v *ast.Term) { obj.Insert(k, v) })
		}
	}
	if obj == nil {
		obj = ast.NewObject()
	}
	obj.Insert(path[0], upsert(obj.Get(path[0]), path[1:], v))
	return ast.NewTerm(obj)
}

// memoUndefined marks a memoised function whose value is undefined.
var memoUndefined = ast.NewTerm(ast.Null{})

// call runs fn with args in a new frame; it returns the function's value (nil when
// undefined) and next or errSig.
func (m *machine) call(l []*ast.Term, fn *function, args []operand) (*ast.Term, int) {
	memo := m.memo[len(m.memo)-1]
	if fn.memo {
		if v := memo[fn.id]; v != nil {
			if v == memoUndefined {
				return nil, next
			}
			return v, next
		}
	}
	if m.depth++; m.depth > 10000 {
		return nil, m.fail(errors.New("irvm: call depth exceeded"))
	}
	if m.tick() {
		m.depth--
		return nil, errSig
	}
	frame := m.push(fn.nlocals)
	for i, p := range fn.params {
		frame[p] = args[i].get(l)
	}
	var out *ast.Term
	code := next
	for _, b := range fn.blocks {
		r := m.run(frame, b)
		if r == retSig {
			out, m.ret = m.ret, nil
			break
		}
		if r == errSig {
			code = errSig
			break
		}
	}
	if code == next && out == nil {
		out = frame[fn.ret]
	}
	m.pop(frame)
	m.depth--
	if code == errSig {
		return nil, code
	}
	if fn.memo {
		if out == nil {
			memo[fn.id] = memoUndefined
		} else {
			memo[fn.id] = out
		}
	}
	return out, next
}

// lookup finds the function computing a data path with dynamic parts (CallDynamicStmt).
func (p *Program) lookup(l []*ast.Term, path []operand) *function {
	var buf [128]byte
	key := buf[:0]
	for i, o := range path {
		t := o.get(l)
		if t == nil {
			return nil
		}
		s, ok := t.Value.(ast.String)
		if !ok {
			return nil
		}
		if i > 0 {
			key = append(key, '/')
		}
		key = append(key, s...)
	}
	return p.dyn[string(key)]
}

// dot is DotStmt: a member of an object, an element of an array by integer index, or an
// element of a set (itself).
func dot(src ast.Value, key *ast.Term) *ast.Term {
	switch c := src.(type) {
	case ast.Object:
		return c.Get(key)
	case *ast.Array:
		n, ok := key.Value.(ast.Number)
		if !ok {
			return nil
		}
		i, ok := n.Int()
		if !ok || i < 0 || i >= c.Len() {
			return nil
		}
		return c.Elem(i)
	case ast.Set:
		if c.Contains(key) {
			return key
		}
	}
	return nil
}

// mergeBase merges base document a with rule values b as topdown does (v1/topdown
// eval.go, merge): keys of either side; where both have a key, objects merge recursively and
// otherwise a's value stays. A non-object a or b leaves a.
func mergeBase(a, b ast.Value) ast.Value {
	oa, ok1 := a.(ast.Object)
	ob, ok2 := b.(ast.Object)
	if !ok1 || !ok2 {
		return a
	}
	out := ast.NewObjectWithCapacity(oa.Len() + ob.Len())
	oa.Foreach(func(k, v *ast.Term) {
		if v2 := ob.Get(k); v2 != nil {
			out.Insert(k, ast.NewTerm(mergeBase(v.Value, v2.Value)))
			return
		}
		out.Insert(k, v)
	})
	ob.Foreach(func(k, v *ast.Term) {
		if oa.Get(k) == nil {
			out.Insert(k, v)
		}
	})
	return out
}

func length(v ast.Value) (int, bool) {
	switch c := v.(type) {
	case *ast.Array:
		return c.Len(), true
	case ast.Object:
		return c.Len(), true
	case ast.Set:
		return c.Len(), true
	case ast.String:
		return len(c), true
	}
	return 0, false
}
