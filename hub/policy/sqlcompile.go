package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/rego/compile"
	"golang.org/x/sync/errgroup"
)

// CompileSQL compiles query (a Rego query over the active bundle, e.g.
// "data.sanmian.scansql.candidate.elderly_allowance") by partial evaluation into a SQL
// boolean expression in dialect ("sqlite" or "postgresql"), with input.now the decision date
// of now known and the documents under unknowns (e.g. "input.scan_residents", whose table and
// column names are kept) unknown. It returns ErrCompile (wrapping OPA's explanation) when the
// rule uses something the SQL target cannot express.
func (e *Engine) CompileSQL(ctx context.Context, query string, unknowns []string, dialect string, now time.Time) (string, error) {
	return e.state.Load().cachedSQL(ctx, query, unknowns, dialect, now)
}

// SQLCache keeps compiled SQL across processes (the store's CompiledSQLCache): each
// `hub scan` is a process of its own, and without it compiles every query again.
type SQLCache interface {
	CompiledSQL(ctx context.Context, keys []string) (map[string]string, error)
	SaveCompiledSQL(ctx context.Context, sql map[string]string) error
}

// PrecompileSQL compiles queries as CompileSQL would, as many at a time as there are
// processors, and keeps the results for CompileSQL to return: a scan's ninety
// queries, each a partial evaluation of its own, compile in about half the time on two cores.
// With cache (nil for none) it first reads what an earlier process kept for this bundle's
// content, OPA's version, dialect and date, and keeps what it compiled. Compile errors are not
// kept; CompileSQL returns them. Only the cache's errors are returned.
func (e *Engine) PrecompileSQL(ctx context.Context, cache SQLCache, queries []string, unknowns []string, dialect string, now time.Time) error {
	st := e.state.Load()
	type query struct{ q, key, kept string } // the query, its key here and in the cache
	var todo []query
	for _, q := range queries {
		if k := st.sqlKey(q, unknowns, dialect, now); !st.cached(k) {
			todo = append(todo, query{q: q, key: k, kept: st.keptKey(k)})
		}
	}
	if cache != nil && len(todo) > 0 {
		keys := make([]string, len(todo))
		for i, t := range todo {
			keys[i] = t.kept
		}
		kept, err := cache.CompiledSQL(ctx, keys)
		if err != nil {
			return err
		}
		todo = slices.DeleteFunc(todo, func(t query) bool {
			s, ok := kept[t.kept]
			if ok {
				st.compiled.Store(t.key, s)
			}
			return ok
		})
	}
	var mu sync.Mutex
	compiled := map[string]string{}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, t := range todo {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if s, err := st.cachedSQL(ctx, t.q, unknowns, dialect, now); err == nil {
				mu.Lock()
				compiled[t.kept] = s
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if cache == nil || len(compiled) == 0 || ctx.Err() != nil {
		return ctx.Err()
	}
	return cache.SaveCompiledSQL(ctx, compiled)
}

// sqlKey is CompileSQL's key within a revision: the result depends on the bundle (st), the
// query, the unknowns, the dialect and the decision date only (input is {"now"}).
func (st *state) sqlKey(query string, unknowns []string, dialect string, now time.Time) string {
	return strings.Join(append([]string{query, dialect, DecisionDate(now)}, unknowns...), "\x00")
}

// keptKey is a SQL cache's key of sqlKey k: with the digest of the bundle's content and the
// compiler's version, so that an entry never serves another bundle or OPA.
func (st *state) keptKey(k string) string {
	sum := sha256.Sum256([]byte(st.digest + "\x00" + k))
	return hex.EncodeToString(sum[:])
}

func (st *state) cached(key string) bool {
	_, ok := st.compiled.Load(key)
	return ok
}

func (st *state) cachedSQL(ctx context.Context, query string, unknowns []string, dialect string, now time.Time) (string, error) {
	key := st.sqlKey(query, unknowns, dialect, now) // errors are not cached
	if s, ok := st.compiled.Load(key); ok {
		return s.(string), nil
	}
	s, err := st.compileSQL(ctx, query, unknowns, dialect, now)
	if err != nil {
		return "", err
	}
	st.compiled.Store(key, s)
	return s, nil
}

func (st *state) compileSQL(ctx context.Context, query string, unknowns []string, dialect string, now time.Time) (string, error) {
	q, err := ast.ParseBody(query)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCompile, err)
	}
	unk := make([]*ast.Term, 0, len(unknowns))
	for _, u := range unknowns {
		t, err := ast.ParseTerm(u)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrCompile, err)
		}
		unk = append(unk, t)
	}
	prep, err := compile.New(
		compile.Target("sql", dialect),
		compile.ParsedQuery(q),
		compile.ParsedUnknowns(unk...),
		compile.Rego(rego.Compiler(st.compiler), rego.Store(st.store)),
	).Prepare(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCompile, err)
	}
	in := ast.NewObject(pair("now", ast.StringTerm(DecisionDate(now))))
	fs, err := prep.Compile(ctx, rego.EvalParsedInput(in), rego.EvalTime(now))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCompile, err)
	}
	f := fs.For("sql", dialect)
	if f.Query == nil {
		return "1 = 0", nil // the rule never holds
	}
	s, ok := f.Query.(string)
	if !ok {
		return "", fmt.Errorf("%w: unexpected filter %T", ErrCompile, f.Query)
	}
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "WHERE"))
	if s == "" {
		return "1 = 1", nil // the rule always holds
	}
	return s, nil
}

// RuleNames returns the sorted keys k of the rules "<head>.k" stated in the package pkg
// ("sanmian.scansql", "candidate") of the active bundle.
func (e *Engine) RuleNames(pkg, head string) []string {
	st := e.state.Load()
	seen := map[string]bool{}
	for _, m := range st.compiler.Modules {
		if m.Package.Path.String() != "data."+pkg {
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) == 2 && ref[0].Value.Compare(ast.Var(head)) == 0 {
				if s, ok := ref[1].Value.(ast.String); ok {
					seen[string(s)] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CriteriaPackage is the package stating the items' criteria over the applicant's facts
// (policies/criteria.rego): clears.<item>.<code>(f) and per_resident.
const CriteriaPackage = "sanmian.criteria"

// Criteria returns the sorted failure codes of the criteria stated for item in the criteria
// package (the functions clears.<item>.<code>), none when the item has no criteria there.
func (e *Engine) Criteria(item string) []string {
	st := e.state.Load()
	seen := map[string]bool{}
	for _, m := range st.compiler.Modules {
		if m.Package.Path.String() != "data."+CriteriaPackage {
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) != 3 || ref[0].Value.Compare(ast.Var("clears")) != 0 || ref[1].Value.Compare(ast.String(item)) != 0 {
				continue
			}
			if s, ok := ref[2].Value.(ast.String); ok {
				seen[string(s)] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PerResident returns the criteria package's per_resident object: the items whose criteria
// read more than the applicant's facts, with what they read.
func (e *Engine) PerResident() map[string]string {
	st := e.state.Load()
	out := map[string]string{}
	for _, m := range st.compiler.Modules {
		if m.Package.Path.String() != "data."+CriteriaPackage {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Ref().String() != "per_resident" || r.Head.Value == nil {
				continue
			}
			if obj, ok := r.Head.Value.Value.(ast.Object); ok {
				obj.Foreach(func(k, v *ast.Term) {
					ks, ok1 := k.Value.(ast.String)
					vs, ok2 := v.Value.(ast.String)
					if ok1 && ok2 {
						out[string(ks)] = string(vs)
					}
				})
			}
		}
	}
	return out
}

// EligibleReasons returns the reason codes of an eligible decision on item as of now (the
// item's pass reasons, or criteria_met) when partial evaluation with the evidence unknown
// finds them constant, so that a scan need not decide each eligible resident again for them;
// ok is false when they depend on the evidence (the elderly allowance's age tier) or the
// evaluation fails.
func (e *Engine) EligibleReasons(ctx context.Context, item string, now time.Time) (codes []string, ok bool) {
	st := e.state.Load()
	key := strings.Join([]string{"eligible_reasons", item, DecisionDate(now)}, "\x00")
	if v, ok := st.compiled.Load(key); ok {
		codes, _ := v.([]string)
		return codes, codes != nil
	}
	codes = st.eligibleReasons(ctx, item, now)
	if ctx.Err() == nil {
		st.compiled.Store(key, codes)
	}
	return codes, codes != nil
}

func (st *state) eligibleReasons(ctx context.Context, item string, now time.Time) []string {
	in := ast.NewObject(pair("now", ast.StringTerm(DecisionDate(now))), pair("item", ast.StringTerm(item)))
	// Does the item's pass set depend on the evidence? Partial evaluation leaves it ground
	// when it does not.
	q, err := ast.ParseBody(fmt.Sprintf(`reasons = [c | some c in data.sanmian.eligibility.pass[%q]]`, item))
	if err != nil {
		return nil
	}
	pq, err := rego.New(rego.ParsedQuery(q), rego.Compiler(st.compiler), rego.Store(st.store),
		rego.Unknowns([]string{"input.evidence"}), rego.ParsedInput(in), rego.Time(now)).Partial(ctx)
	if err != nil || len(pq.Support) > 0 || len(pq.Queries) != 1 || len(pq.Queries[0]) != 1 || !pq.Queries[0][0].IsEquality() {
		return nil
	}
	for _, t := range pq.Queries[0][0].Operands() {
		if !t.Equal(ast.VarTerm("reasons")) && !t.IsGround() {
			return nil
		}
	}
	// It does not: the reasons of an eligible decision, evaluated without evidence, are those
	// of every eligible decision.
	q, err = ast.ParseBody(fmt.Sprintf(`reasons = data.sanmian.eligibility.reason_codes(%q, true, set(), {})`, item))
	if err != nil {
		return nil
	}
	rs, err := rego.New(rego.ParsedQuery(q), rego.Compiler(st.compiler), rego.Store(st.store),
		rego.ParsedInput(in), rego.Time(now)).Eval(ctx)
	if err != nil || len(rs) != 1 {
		return nil
	}
	vals, ok := rs[0].Bindings["reasons"].([]any)
	if !ok {
		return nil
	}
	codes := make([]string, 0, len(vals))
	for _, v := range vals {
		c, ok := v.(string)
		if !ok {
			return nil
		}
		codes = append(codes, c)
	}
	return codes
}
