package irvm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// targetName is the rego.Target under which the plan is captured.
const targetName = "sanmian-irvm"

// Program is a planned query, ready to evaluate. It is immutable and safe for concurrent use.
type Program struct {
	plan  []*block
	funcs []*function
	// dyn maps a data path ("g0/sanmian/eligibility/fail/elderly_allowance") to the function
	// computing it, for CallDynamicStmt.
	dyn     map[string]*function
	nlocals int
}

type function struct {
	id      int
	name    string
	params  []int
	ret     int
	blocks  []*block
	nlocals int
	memo    bool
}

type block struct{ stmts []stmt }

type opcode uint8

const (
	opAssign opcode = iota
	opAssignOnce
	opReset
	opDot
	opLen
	opEqual
	opNotEqual
	opIsArray
	opIsObject
	opIsSet
	opIsDefined
	opIsUndefined
	opMakeNull
	opMakeConst // number literals
	opMakeArray
	opMakeObject
	opMakeSet
	opArrayAppend
	opObjectInsert
	opObjectInsertOnce
	opObjectMerge
	opSetAdd
	opBlock
	opBreak
	opScan
	opNot
	opWith
	opCall
	opCallBuiltin
	opCallDynamic
	opReturn
	opResultAdd
	opNop
)

// operand is a local (val == nil) or a constant.
type operand struct {
	local int
	val   *ast.Term
}

type stmt struct {
	op      opcode
	a, b, c operand //lint:ignore U1000 c is not read yet; remove it with the next change to stmt
	target  int
	n       int // break index, array capacity
	blocks  []*block
	body    *block
	key     int
	value   int
	fn      *function
	bi      builtin
	args    []operand
	path    []operand
	wpath   []*ast.Term
	loc     *ir.Location
	// keepFirst: an ObjectInsertOnceStmt building the value of a rule (its function's return
	// local), not an object comprehension.
	keepFirst bool
}

// capture receives the plan from the target plugin during PrepareForEval.
type captureKey struct{}

type capture struct{ policy *ir.Policy }

// dataKey carries the data document for evaluations through the rego target (WithData).
type dataKey struct{}

// WithData returns a context under which queries prepared with rego.Target(Target())
// evaluate on irvm against data (the whole data document, base documents only). OPA's
// tester runs a bundle's Rego tests on irvm that way:
// tester.NewRunner().Target(irvm.Target()).RunTests(irvm.WithData(ctx, data), txn).
func WithData(ctx context.Context, data ast.Value) context.Context {
	return context.WithValue(ctx, dataKey{}, data)
}

// Target registers irvm as a rego evaluation target (once) and returns its name for
// rego.Target and tester.Runner.Target. Preparing a query for it requires a context from
// WithData.
func Target() string {
	registerOnce.Do(func() { rego.RegisterPlugin(targetName, plugin{}) })
	return targetName
}

type plugin struct{}

func (plugin) IsTarget(t string) bool { return t == targetName }

func (plugin) PrepareForEval(ctx context.Context, p *ir.Policy, _ ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	if c, _ := ctx.Value(captureKey{}).(*capture); c != nil {
		c.policy = p
		return noEval{}, nil
	}
	data, _ := ctx.Value(dataKey{}).(ast.Value)
	if data == nil {
		return nil, fmt.Errorf("%w: rego target %s needs a context from irvm.WithData", ErrUnsupported, targetName)
	}
	prog, err := build(p)
	if err != nil {
		return nil, err
	}
	return targetEval{prog: prog, data: data}, nil
}

type noEval struct{}

func (noEval) Eval(context.Context, *rego.EvalContext, ast.Value) (ast.Value, error) {
	return nil, fmt.Errorf("%w: evaluate through irvm.Program", ErrUnsupported)
}

// targetEval evaluates a prepared query for rego (the target plugin flow): the result set
// as a set of objects, one per result, from query variable to value.
type targetEval struct {
	prog *Program
	data ast.Value
}

func (t targetEval) Eval(ctx context.Context, ectx *rego.EvalContext, _ ast.Value) (ast.Value, error) {
	opt := Options{PrintHook: ectx.PrintHook()}
	if !ectx.Time().IsZero() {
		opt.Time = ectx.Time().UnixNano()
	}
	var out ast.Set
	err := t.prog.eval(ctx, ectx.ParsedInput(), t.data, opt, func(rs []*ast.Term) error {
		out = ast.NewSet(rs...)
		return nil
	})
	return out, err
}

var registerOnce sync.Once

// Compile plans query against compiler and store (as rego.New would) and prepares it.
func Compile(ctx context.Context, compiler *ast.Compiler, store storage.Store, query string) (*Program, error) {
	Target()
	if err := mixedIteration(ctx, compiler, store); err != nil {
		return nil, err
	}
	if err := bareRelation(compiler, query); err != nil {
		return nil, err
	}
	c := &capture{}
	_, err := rego.New(rego.Query(query), rego.Compiler(compiler), rego.Store(store), rego.Target(targetName)).
		PrepareForEval(context.WithValue(ctx, captureKey{}, c))
	if err != nil {
		return nil, fmt.Errorf("%w: plan %s: %v", ErrUnsupported, query, err)
	}
	if c.policy == nil {
		return nil, fmt.Errorf("%w: no plan for %s", ErrUnsupported, query)
	}
	return build(c.policy)
}

// mixedIteration refuses modules that iterate a document holding both rules and base data
// (data.x[k] where rules are defined under data.x and the store holds data.x too): OPA's plan
// visits the rules' keys first and then the base document's, where topdown visits the merged
// object in key order, so results built in iteration order (arrays) would differ.
func mixedIteration(ctx context.Context, compiler *ast.Compiler, store storage.Store) error {
	var found ast.Ref
	seen := map[string]bool{}
	for _, m := range compiler.Modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if found != nil || !r.HasPrefix(ast.DefaultRootRef) {
				return found != nil
			}
			for i := 1; i < len(r); i++ {
				if r[i].IsGround() {
					continue
				}
				prefix := r[:i]
				key := prefix.String()
				if seen[key] {
					break
				}
				seen[key] = true
				node := compiler.RuleTree.Find(prefix)
				if node == nil || len(node.Children) == 0 {
					break
				}
				path, err := storage.NewPathForRef(prefix)
				if err != nil {
					break
				}
				if _, err := storage.ReadOne(ctx, store, path); err == nil {
					found = prefix
				}
				break
			}
			return found != nil
		})
	}
	if found != nil {
		return fmt.Errorf("%w: %s is iterated and holds both rules and base data", ErrUnsupported, found)
	}
	return nil
}

// bareRelation refuses a relation called without its output (`walk(x)`): topdown runs the
// rest of the body once per output, OPA's plan once if there is any, so that an array
// comprehension over it would hold a different number of elements.
func bareRelation(compiler *ast.Compiler, query string) error {
	var found *ast.Expr
	visit := func(x any) {
		ast.WalkExprs(x, func(e *ast.Expr) bool {
			if found != nil || !e.IsCall() {
				return found != nil
			}
			op := e.Operator().String()
			if b, ok := ast.BuiltinMap[op]; ok && b.Relation && len(e.Operands()) == len(b.Decl.FuncArgs().Args) {
				found = e
			}
			return found != nil
		})
	}
	for _, m := range compiler.Modules {
		visit(m)
	}
	if body, err := ast.ParseBody(query); err == nil {
		visit(body)
	}
	if found != nil {
		return fmt.Errorf("%w: relation called without its output: %s (%s)", ErrUnsupported, found, found.Location)
	}
	return nil
}

// build translates an IR policy into the evaluator's form, resolving constants, calls and
// built-in functions once.
func build(p *ir.Policy) (*Program, error) {
	if len(p.UnplannedRules) > 0 {
		return nil, fmt.Errorf("%w: unplanned rule %s", ErrUnsupported, p.UnplannedRules[0].Path)
	}
	if p.Plans == nil || len(p.Plans.Plans) != 1 {
		return nil, fmt.Errorf("%w: expected one plan", ErrUnsupported)
	}
	b := &builder{prog: &Program{dyn: map[string]*function{}}, byName: map[string]*function{}}
	b.strings = make([]*ast.Term, len(p.Static.Strings))
	for i, s := range p.Static.Strings {
		b.strings[i] = ast.InternedTerm(s.Value)
	}
	for _, f := range p.Static.Files {
		b.files = append(b.files, f.Value)
	}
	var funcs []*ir.Func
	if p.Funcs != nil {
		funcs = p.Funcs.Funcs
	}
	for i, f := range funcs {
		fn := &function{id: i, name: f.Name, ret: int(f.Return), memo: len(f.Params) == 2}
		for _, l := range f.Params {
			fn.params = append(fn.params, int(l))
		}
		b.prog.funcs = append(b.prog.funcs, fn)
		b.byName[f.Name] = fn
		if len(f.Path) > 0 {
			b.prog.dyn[strings.Join(f.Path, "/")] = fn
		}
	}
	for i, f := range funcs {
		fn := b.prog.funcs[i]
		b.ret = fn.ret
		b.max = fn.ret
		for _, l := range fn.params {
			b.max = max(b.max, l)
		}
		for _, blk := range f.Blocks {
			cb, err := b.block(blk)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			fn.blocks = append(fn.blocks, cb)
		}
		fn.nlocals = b.max + 1
	}
	b.max, b.ret = int(ir.Data), -1
	for _, blk := range p.Plans.Plans[0].Blocks {
		cb, err := b.block(blk)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		b.prog.plan = append(b.prog.plan, cb)
	}
	b.prog.nlocals = b.max + 1
	return b.prog, nil
}

type builder struct {
	prog    *Program
	byName  map[string]*function
	strings []*ast.Term
	files   []string
	max     int
	ret     int // return local of the function being built; -1 in the plan
}

// location is the policy location of a statement, as built-in functions see it (print
// prefixes its output with it); nil when the plan has none.
func (b *builder) location(l *ir.Location) *ast.Location {
	if l == nil {
		return nil
	}
	loc := &ast.Location{Row: l.Row, Col: l.Col, Text: []byte(l.Text)}
	if l.File >= 0 && l.File < len(b.files) {
		loc.File = b.files[l.File]
	}
	return loc
}

func (b *builder) local(l ir.Local) int {
	b.max = max(b.max, int(l))
	return int(l)
}

func (b *builder) operand(o ir.Operand) (operand, error) {
	switch v := o.Value.(type) {
	case ir.Local:
		return operand{local: b.local(v)}, nil
	case ir.Bool:
		return operand{val: ast.InternedTerm(bool(v))}, nil
	case ir.StringIndex:
		if int(v) >= len(b.strings) {
			return operand{}, fmt.Errorf("%w: string index %d", ErrUnsupported, v)
		}
		return operand{val: b.strings[v]}, nil
	}
	return operand{}, fmt.Errorf("%w: operand %v", ErrUnsupported, o.Value)
}

func (b *builder) operands(os ...ir.Operand) ([]operand, error) {
	out := make([]operand, len(os))
	for i, o := range os {
		var err error
		if out[i], err = b.operand(o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// two resolves the operands x and y of a statement into out.a and out.b.
func (b *builder) two(out *stmt, x, y ir.Operand) (err error) {
	if out.a, err = b.operand(x); err == nil {
		out.b, err = b.operand(y)
	}
	return err
}

func (b *builder) block(blk *ir.Block) (*block, error) {
	out := &block{stmts: make([]stmt, 0, len(blk.Stmts))}
	for _, s := range blk.Stmts {
		cs, err := b.stmt(s)
		if err != nil {
			return nil, err
		}
		out.stmts = append(out.stmts, cs)
	}
	return out, nil
}

func (b *builder) stmt(s ir.Stmt) (stmt, error) {
	var (
		out = stmt{loc: s.GetLocation()}
		err error
	)
	switch s := s.(type) {
	case *ir.AssignVarStmt:
		out.op, out.target = opAssign, b.local(s.Target)
		out.a, err = b.operand(s.Source)
	case *ir.AssignVarOnceStmt:
		out.op, out.target = opAssignOnce, b.local(s.Target)
		out.a, err = b.operand(s.Source)
	case *ir.AssignIntStmt:
		out.op, out.target, out.a = opMakeConst, b.local(s.Target), operand{val: ast.InternedTerm(int(s.Value))}
	case *ir.ResetLocalStmt:
		out.op, out.target = opReset, b.local(s.Target)
	case *ir.DotStmt:
		out.op, out.target = opDot, b.local(s.Target)
		err = b.two(&out, s.Source, s.Key)
	case *ir.LenStmt:
		out.op, out.target = opLen, b.local(s.Target)
		out.a, err = b.operand(s.Source)
	case *ir.EqualStmt:
		out.op = opEqual
		err = b.two(&out, s.A, s.B)
	case *ir.NotEqualStmt:
		out.op = opNotEqual
		err = b.two(&out, s.A, s.B)
	case *ir.IsArrayStmt:
		out.op = opIsArray
		out.a, err = b.operand(s.Source)
	case *ir.IsObjectStmt:
		out.op = opIsObject
		out.a, err = b.operand(s.Source)
	case *ir.IsSetStmt:
		out.op = opIsSet
		out.a, err = b.operand(s.Source)
	case *ir.IsDefinedStmt:
		out.op, out.a = opIsDefined, operand{local: b.local(s.Source)}
	case *ir.IsUndefinedStmt:
		out.op, out.a = opIsUndefined, operand{local: b.local(s.Source)}
	case *ir.MakeNullStmt:
		out.op, out.target = opMakeNull, b.local(s.Target)
	case *ir.MakeNumberIntStmt:
		out.op, out.target, out.a = opMakeConst, b.local(s.Target), operand{val: ast.InternedTerm(int(s.Value))}
	case *ir.MakeNumberRefStmt:
		if s.Index >= len(b.strings) {
			return out, fmt.Errorf("%w: number index %d", ErrUnsupported, s.Index)
		}
		out.op, out.target = opMakeConst, b.local(s.Target)
		out.a = operand{val: ast.NumberTerm(json.Number(string(b.strings[s.Index].Value.(ast.String))))}
	case *ir.MakeArrayStmt:
		out.op, out.target, out.n = opMakeArray, b.local(s.Target), int(s.Capacity)
	case *ir.MakeObjectStmt:
		out.op, out.target = opMakeObject, b.local(s.Target)
	case *ir.MakeSetStmt:
		out.op, out.target = opMakeSet, b.local(s.Target)
	case *ir.ArrayAppendStmt:
		out.op, out.target = opArrayAppend, b.local(s.Array)
		out.a, err = b.operand(s.Value)
	case *ir.ObjectInsertStmt:
		out.op, out.target = opObjectInsert, b.local(s.Object)
		err = b.two(&out, s.Key, s.Value)
	case *ir.ObjectInsertOnceStmt:
		out.op, out.target = opObjectInsertOnce, b.local(s.Object)
		out.keepFirst = int(s.Object) == b.ret
		err = b.two(&out, s.Key, s.Value)
	case *ir.ObjectMergeStmt:
		out.op, out.target = opObjectMerge, b.local(s.Target)
		out.a, out.b = operand{local: b.local(s.A)}, operand{local: b.local(s.B)}
	case *ir.SetAddStmt:
		out.op, out.target = opSetAdd, b.local(s.Set)
		out.a, err = b.operand(s.Value)
	case *ir.BlockStmt:
		out.op = opBlock
		for _, blk := range s.Blocks {
			cb, err := b.block(blk)
			if err != nil {
				return out, err
			}
			out.blocks = append(out.blocks, cb)
		}
	case *ir.BreakStmt:
		out.op, out.n = opBreak, int(s.Index)
	case *ir.ScanStmt:
		out.op, out.a, out.key, out.value = opScan, operand{local: b.local(s.Source)}, b.local(s.Key), b.local(s.Value)
		out.body, err = b.block(s.Block)
	case *ir.NotStmt:
		out.op = opNot
		out.body, err = b.block(s.Block)
	case *ir.WithStmt:
		out.op, out.target = opWith, b.local(s.Local)
		for _, i := range s.Path {
			if i >= len(b.strings) {
				return out, fmt.Errorf("%w: with path index %d", ErrUnsupported, i)
			}
			out.wpath = append(out.wpath, b.strings[i])
		}
		if out.a, err = b.operand(s.Value); err == nil {
			out.body, err = b.block(s.Block)
		}
	case *ir.CallStmt:
		out.target = b.local(s.Result)
		if out.args, err = b.operands(s.Args...); err != nil {
			return out, err
		}
		if fn, ok := b.byName[s.Func]; ok {
			out.op, out.fn = opCall, fn
			if len(out.args) != len(fn.params) {
				return out, fmt.Errorf("%w: %s called with %d arguments", ErrUnsupported, s.Func, len(out.args))
			}
			return out, nil
		}
		out.op = opCallBuiltin
		out.bi, err = lookupBuiltin(s.Func, len(out.args), b.location(out.loc))
	case *ir.CallDynamicStmt:
		out.op, out.target = opCallDynamic, b.local(s.Result)
		for _, a := range s.Args {
			out.args = append(out.args, operand{local: b.local(a)})
		}
		out.path, err = b.operands(s.Path...)
	case *ir.ReturnLocalStmt:
		out.op, out.a = opReturn, operand{local: b.local(s.Source)}
	case *ir.ResultSetAddStmt:
		out.op, out.a = opResultAdd, operand{local: b.local(s.Value)}
	case *ir.NopStmt:
		out.op = opNop
	default:
		return out, fmt.Errorf("%w: statement %T", ErrUnsupported, s)
	}
	return out, err
}
