package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"

	"sanmian/hub/policy/irvm"
)

// Before a bundle revision goes live on irvm, the engine checks it there (vet):
//
//   - the bundle's own Rego tests (its *_test.rego files), run by OPA's tester on irvm
//     against the revision's data; a test irvm cannot plan runs on topdown instead;
//   - the differential corpus (corpus.go): every item decided on generated evidence, with
//     and without callers, the scan, and the access policy over roles, jurisdictions,
//     actions and resources, by irvm and by topdown, which must agree byte for byte.
//
// A failure refuses the revision (ErrBundleRefused, logged by Reload and Watch): the engine
// keeps the revision it had.

// vetBundles is how many generated evidence bundles the differential corpus holds; each is
// decided for every item of the catalogue and scanned.
const vetBundles = 24

// vetted remembers the digests of bundle contents (policy and test sources, data) that
// passed vet in this process: the outcome depends on nothing else, and engines loading the
// same bundle (tests, replicas in one process) need not check it again.
var vetted sync.Map

// vet runs the checks above on st, whose queries in st.planned run on irvm; tests are the
// bundle's test modules.
func (e *Engine) vet(ctx context.Context, st *state, policy, tests map[string]*ast.Module) error {
	if len(st.planned) == 0 {
		return nil
	}
	key, err := vetKey(policy, tests, st.base.root)
	if err != nil {
		return err
	}
	if _, ok := vetted.Load(key); ok {
		return nil
	}
	if err := runRegoTests(ctx, st, policy, tests); err != nil {
		return err
	}
	if err := differential(ctx, st); err != nil {
		return err
	}
	vetted.Store(key, true)
	return nil
}

// vetKey digests the sources of every module and the data document.
func vetKey(policy, tests map[string]*ast.Module, data ast.Value) (string, error) {
	h := sha256.New()
	for _, mods := range []map[string]*ast.Module{policy, tests} {
		names := make([]string, 0, len(mods))
		for name := range mods {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(h, "%s\x00%s\x00", name, mods[name].String())
		}
		h.Write([]byte{1})
	}
	b, err := appendASTJSON(nil, data)
	if err != nil {
		return "", fmt.Errorf("%w: digest data: %v", ErrBundle, err)
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runRegoTests runs the bundle's Rego tests with OPA's tester on irvm (print statements
// enabled, as `opa test` does), and on topdown those irvm cannot plan. Any failure or
// error refuses the bundle.
func runRegoTests(ctx context.Context, st *state, policy, tests map[string]*ast.Module) error {
	if len(tests) == 0 {
		return nil
	}
	// The tester's compiler copies the modules it compiles.
	modules := make(map[string]*ast.Module, len(policy)+len(tests))
	maps.Copy(modules, policy)
	maps.Copy(modules, tests)
	run := func(target, filter string) ([]*tester.Result, error) {
		r := tester.NewRunner().
			SetStore(st.store).
			SetModules(modules).
			SetDefaultRegoVersion(ast.RegoV1).
			SetTimeout(time.Minute).
			// One test at a time: the tester's parallel runs share one compiler and race on it
			// (OPA v1.22.3, found by the race detector); the tests are CPU-bound anyway.
			SetParallel(1).
			Target(target)
		if filter != "" {
			r = r.Filter(filter)
		}
		txn, err := st.store.NewTransaction(ctx)
		if err != nil {
			return nil, err
		}
		defer st.store.Abort(ctx, txn)
		ch, err := r.RunTests(irvm.WithData(ctx, st.base.root), txn)
		if err != nil {
			return nil, err
		}
		var out []*tester.Result
		for res := range ch {
			out = append(out, res)
		}
		return out, nil
	}
	results, err := run(irvm.Target(), "")
	if err != nil {
		return fmt.Errorf("%w: Rego tests on irvm: %v", ErrBundleRefused, err)
	}
	var failed, refused []string
	for _, r := range results {
		switch {
		case r.Error != nil && errors.Is(r.Error, irvm.ErrUnsupported):
			refused = append(refused, r.Package+"."+r.Name)
		case r.Error != nil:
			failed = append(failed, fmt.Sprintf("%s.%s: %v", r.Package, r.Name, r.Error))
		case r.Fail:
			failed = append(failed, r.Package+"."+r.Name+" failed")
		}
	}
	if len(refused) > 0 {
		// These tests' queries run on topdown in production too (irvm.Compile refuses
		// them the same way); they must pass there.
		names := make([]string, len(refused))
		for i, n := range refused {
			names[i] = regexpQuote(n)
		}
		again, err := run("rego", "^("+strings.Join(names, "|")+")$")
		if err != nil {
			return fmt.Errorf("%w: Rego tests on topdown: %v", ErrBundleRefused, err)
		}
		for _, r := range again {
			if r.Error != nil || r.Fail {
				failed = append(failed, fmt.Sprintf("%s.%s on topdown: fail %t, error %v", r.Package, r.Name, r.Fail, r.Error))
			}
		}
	}
	if n := len(failed); n > 0 {
		const show = 5
		more := ""
		if n > show {
			more = fmt.Sprintf(" (and %d more)", n-show)
			failed = failed[:show]
		}
		return fmt.Errorf("%w: %d of %d Rego tests fail on irvm: %s%s", ErrBundleRefused, n, len(results), strings.Join(failed, "; "), more)
	}
	return nil
}

// regexpQuote quotes s for the tester's filter, which matches "package.rule" names.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// differential decides the corpus with irvm and topdown on st and reports the first
// difference.
func differential(ctx context.Context, st *state) error {
	compare := func(path string, in ast.Value, at time.Time) error {
		if _, ok := st.planned[path]; !ok {
			return nil
		}
		x, err1 := evalValue(ctx, st, path, in, at)
		y, err2 := evalTopdown(ctx, st, path, in, at)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if (err1 == nil) != (err2 == nil) {
			return fmt.Errorf("%w: %s: irvm error %v, topdown error %v", ErrBundleRefused, path, err1, err2)
		}
		if err1 != nil {
			return nil
		}
		a, err1 := resultJSON(x)
		b, err2 := resultJSON(y)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			return fmt.Errorf("%w: %s: irvm and topdown differ on the differential corpus (input digest %s)", ErrBundleRefused, path, inputDigest(in))
		}
		return nil
	}
	r := rand.New(rand.NewPCG(2026, 1126))
	codes := make([]string, 0, len(st.items))
	for code := range st.items {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for i := range vetBundles {
		ev := generated(r)
		for j, code := range codes {
			kv := [][2]*ast.Term{pair("now", ast.StringTerm(DecisionDate(corpusTime))), pair("item", str(code)), pair("evidence", st.items[code].minimise(ev))}
			if c := diffCallers[(i+j)%len(diffCallers)]; c != nil {
				kv = append(kv, pair("caller", c.term()))
			}
			if err := compare(PathEligibility, ast.NewObject(kv...), corpusTime); err != nil {
				return err
			}
		}
		raw, err := json.Marshal(map[string]any{"now": DecisionDate(corpusTime), "evidence": ev})
		if err != nil {
			return fmt.Errorf("%w: encode scan input: %v", ErrBundle, err)
		}
		in, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%w: parse scan input: %v", ErrBundle, err)
		}
		if err := compare(PathScan, in, corpusTime); err != nil {
			return err
		}
	}
	actions := []string{"nonsense"}
	if v, err := st.base.root.Find(ast.Ref{ast.StringTerm("sanmian"), ast.StringTerm("catalogue"), ast.StringTerm("actions")}); err == nil {
		if obj, ok := v.(ast.Object); ok {
			for _, k := range obj.Keys() {
				if s, ok := k.Value.(ast.String); ok {
					actions = append(actions, string(s))
				}
			}
		}
	}
	resources := []Resource{{}, {Village: villageA, Item: "elderly_allowance"}, {Village: villageC, Item: "senior_card"},
		{Division: "370114001000"}, {Village: villageB, Item: "elderly_allowance", Level: "town"}}
	for _, role := range []string{"counter", "reviewer", "department", "auditor", "admin", ""} {
		for k, j := range []string{villageA, "370114001000", "370114", ""} {
			scope := [][]string{{"*"}, {"elderly_allowance"}, nil}[k%3]
			c := Caller{Sub: "s-" + role, Role: role, Jurisdiction: j, Scope: scope}
			for _, a := range actions {
				for _, res := range resources {
					in := ast.NewObject(pair("caller", c.term()), pair("action", str(a)), pair("resource", res.term()))
					if err := compare(PathAccess, in, corpusTime); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// inputDigest names an input of the corpus in an error without showing it.
func inputDigest(in ast.Value) string {
	b, err := appendASTJSON(nil, in)
	if err != nil {
		return "?"
	}
	return digest(b)
}
