package policy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/evidence"
	"sanmian/hub/policy/irvm"
	"sanmian/policies"
)

// The hub evaluates the bundle's queries with package irvm (OPA's plan of each query, run
// directly); topdown, OPA's own evaluator, is the reference. These tests make both engines
// decide the same cases and require byte-identical results: every item on a few hundred
// generated evidence bundles, with and without callers; the access policy over roles,
// actions and resources; the proactive scan. The Rego tests also run on irvm
// (policies.TestRegoOnIRVM).

// evaluators returns an engine on irvm and one on topdown, and fails when the first does
// not run all three queries on irvm (a silent fallback would make the comparison vacuous).
func evaluators(t testing.TB) (vm, td *Engine) {
	vm, td = newEngine(t), newEngine(t, WithTopdown())
	if n := len(vm.state.Load().planned); n != 3 {
		t.Fatalf("irvm runs %d of the 3 queries", n)
	}
	if n := len(td.state.Load().planned); n != 0 {
		t.Fatalf("WithTopdown: irvm still runs %d queries", n)
	}
	return vm, td
}

// mutations are the changes generated bundles combine; each applies to elder().
var mutations = []func(b *evidence.Bundle, r *rand.Rand){
	func(b *evidence.Bundle, r *rand.Rand) { // birthday around every age threshold
		years := []int{1946, 1936, 1926, 1966, 1967, 1965, 1933, 1932, 2008, 2010, 1985}
		days := []string{"-11-26", "-11-27", "-11-25", "-02-29", "-03-01", "-01-01"}
		b.Applicant.BirthDate = strconv.Itoa(years[r.IntN(len(years))]) + days[r.IntN(len(days))]
	},
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Sex = pick(r, "M", "F", "") },
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Applicant.HukouType = pick(r, evidence.HukouAgricultural, evidence.HukouNonAgricultural, "")
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Applicant.Deceased = true
		b.Applicant.DeathDate = "2026-11-01"
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Applicant.Marital = pick(r, "single", "widowed", "divorced", "")
	},
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Village = pick(r, villageB, villageC, "") },
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Rolls = nil },
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Insurance = nil },
	func(b *evidence.Bundle, r *rand.Rand) {
		var rolls evidence.Rolls
		if b.Applicant.Rolls != nil {
			rolls = *b.Applicant.Rolls
		}
		rolls.Dibao, rolls.Tekun = r.IntN(2) == 0, r.IntN(2) == 0
		rolls.Veteran = pick(r, "", "conscript_family", "disabled_veteran", "martyr_family", "demobilised")
		rolls.InSchool = pick(r, "", "primary", "senior", "university")
		rolls.CollectiveMember = r.IntN(2) == 0
		rolls.Enrolled = [][]string{nil, {}, {"elderly_allowance"}, {"senior_card", "dibao"}}[r.IntN(4)]
		rolls.LandMu = []*float64{nil, new(0.0), new(7.5)}[r.IntN(3)]
		rolls.Homestead = []*evidence.Homestead{nil, {AreaM2: 90, HouseGrade: "C"}, {AreaM2: 120, HouseGrade: "D"}}[r.IntN(3)]
		b.Applicant.Rolls = &rolls
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		var ins evidence.Insurance
		if b.Applicant.Insurance != nil {
			ins = *b.Applicant.Insurance
		}
		ins.Pension = pick(r, "not_enrolled", "enrolled", "receiving", "suspended")
		ins.Medical = pick(r, "not_enrolled", "enrolled")
		ins.Employment = pick(r, "employed", "unemployed_registered", "not_in_labour_force", "unknown")
		ins.UnemployedSince = pick(r, "", "2026-01-01", "2026-10-30")
		ins.EmploymentDifficulty = r.IntN(2) == 0
		b.Applicant.Insurance = &ins
	},
	func(b *evidence.Bundle, r *rand.Rand) { // disability certificate variants
		ls := append([]evidence.Licence(nil), elder().Applicant.Licences...)
		d := ls[1]
		d.Attrs = map[string]any{"category": pick(r, "physical", "visual", "hearing", "intellectual", "mental"),
			"grade": []any{1, 2, 3, 4, "1", "2"}[r.IntN(6)]}
		d.Status = pick(r, "valid", "expired", "revoked")
		d.ValidUntil = pick(r, "", "2026-11-25", "2026-11-26", "2027-01-10", "2030-03-01")
		ls[1] = d
		if r.IntN(4) == 0 {
			ls = ls[:1]
		}
		b.Applicant.Licences = ls
	},
	func(b *evidence.Bundle, r *rand.Rand) { // household shapes
		kids := []evidence.Person{
			{IDNumber: "370114197501020048", Name: "王丽", Sex: "F", BirthDate: "1975-01-02", Relation: "daughter", HukouType: evidence.HukouAgricultural},
			{IDNumber: "370114197803040031", Name: "王强", Sex: "M", BirthDate: "1978-03-04", Relation: "son", HukouType: evidence.HukouAgricultural},
			{IDNumber: "370114198005060026", Name: "王芳", Sex: "F", BirthDate: "1980-05-06", Relation: "daughter", Deceased: r.IntN(2) == 0},
			{IDNumber: "370114201205060026", Name: "王小", Sex: "F", BirthDate: "2012-05-06", Relation: "granddaughter",
				Licences: []evidence.Licence{{Type: "only_child_honour", Status: "valid"}}},
		}
		var hh []evidence.Person
		if r.IntN(2) == 0 {
			hh = append(hh, evidence.Person{Name: "李秀英", Sex: "F", BirthDate: "1948-03-05", Relation: "spouse", Deceased: r.IntN(3) == 0})
		}
		for _, k := range kids {
			if r.IntN(2) == 0 {
				hh = append(hh, k)
			}
		}
		b.Household = hh
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Missing = [][]string{{"city.insurance"}, {"district.rolls"}, {"district.household"}, {"province.licences"}, {"province.person", "district.rolls"}}[r.IntN(5)]
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		f := pick(r, "applicant.deceased", "applicant.village", "applicant.birth_date", "applicant.rolls.dibao",
			"applicant.licences.1", "household.1.relation", "applicant.name")
		b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: f, Authority: evidence.Province,
			Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: true}, {Platform: evidence.District, Value: false}}})
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		k := pick(r, "applicant.rolls", "applicant.insurance", "applicant.licences.1", "applicant.birth_date", "household.1.relation")
		prov := map[string]evidence.Provenance{}
		for key, v := range b.Provenance {
			prov[key] = v
		}
		p := prov[k]
		p.Stale = true
		prov[k] = p
		b.Provenance, b.Stale = prov, true
	},
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.IDNumber = pick(r, "", "37011419461126001X") },
	func(b *evidence.Bundle, r *rand.Rand) { // children wherever they live (family-planning items)
		disability := func(grade int) []evidence.Licence {
			return []evidence.Licence{{ID: "D", Type: "disability", Status: "valid", ValidUntil: "2030-01-01",
				Attrs: map[string]any{"category": "physical", "grade": grade}}}
		}
		pool := []evidence.Child{
			{Person: evidence.Person{IDNumber: "370114197501020048", Sex: "F", BirthDate: "1975-01-02"}, Links: []string{"household"}, MotherIDNumber: "370114194803050027"},
			{Person: evidence.Person{IDNumber: "370114197803040031", Sex: "M", Deceased: r.IntN(2) == 0}, Links: []string{"birth_certificate"}, MotherIDNumber: pick(r, "", "370114198001010026")},
			{Person: evidence.Person{IDNumber: "370114198005060026", Sex: "F", Licences: disability(1 + r.IntN(4))}, Links: []string{"population_base", "only_child_honour"}},
			{Person: evidence.Person{IDNumber: "370114198205060021", Sex: "M", Licences: []evidence.Licence{{Type: "death", Status: "valid"}}}, Links: []string{"population_base"}},
			{Person: evidence.Person{IDNumber: "370114200001010012"}, Links: []string{"only_child_honour"}},
		}
		var cs []evidence.Child
		for _, c := range pool {
			if r.IntN(3) == 0 {
				cs = append(cs, c)
			}
		}
		b.Children = cs
		if r.IntN(4) == 0 {
			b.Missing = append(b.Missing, "province.kinship")
		}
		if r.IntN(4) == 0 {
			b.Applicant.Licences = append(b.Applicant.Licences, evidence.Licence{Type: "marriage", Status: "valid",
				Attrs: map[string]any{"spouse_id_number": pick(r, "370114194803050027", "370114198001010026")}})
		}
	},
	func(b *evidence.Bundle, r *rand.Rand) { // a death only the province records, or only the roll
		dead := r.IntN(2) == 0
		b.Applicant.Deceased = dead
		b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: "applicant.deceased", Authority: evidence.Province,
			Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: dead}, {Platform: evidence.District, Value: !dead}}})
	},
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// generated returns elder() with a random combination of mutations (0 to 4 of them).
func generated(r *rand.Rand) *evidence.Bundle {
	b := elder()
	for range r.IntN(5) {
		mutations[r.IntN(len(mutations))](b, r)
	}
	return b
}

var diffCallers = []*Caller{
	nil,
	{Sub: "cadre-1", Role: "counter", Jurisdiction: villageA, Scope: []string{"*"}},
	{Sub: "reviewer-1", Role: "reviewer", Jurisdiction: "370114001000", Scope: []string{"*"}},
	{Sub: "auditor-1", Role: "auditor", Jurisdiction: "370114", Scope: []string{"*"}},
	{Sub: "civil-affairs-app", Role: "department", Scope: []string{"elderly_allowance", "senior_card"}},
}

// sameDecision decides item on b with both engines (as caller, when not nil) and reports a
// difference in the result or the record's input.
func sameDecision(t testing.TB, vm, td *Engine, item string, b *evidence.Bundle, c *Caller) {
	t.Helper()
	var opts []DecideOption
	if c != nil {
		opts = append(opts, AsCaller(*c))
	}
	x, err1 := vm.Decide(t.Context(), item, b, decisionTime, opts...)
	y, err2 := td.Decide(t.Context(), item, b, decisionTime, opts...)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("%s: irvm error %v, topdown error %v", item, err1, err2)
	}
	if err1 != nil {
		return
	}
	if !bytes.Equal(x.Record.Input, y.Record.Input) {
		t.Fatalf("%s: inputs differ", item)
	}
	if !bytes.Equal(x.Record.Result, y.Record.Result) {
		t.Fatalf("%s on %s:\nirvm    %s\ntopdown %s", item, x.Record.Input, x.Record.Result, y.Record.Result)
	}
}

func TestDifferentialDecisions(t *testing.T) {
	vm, td := evaluators(t)
	r := rand.New(rand.NewPCG(2026, 1126))
	bundles := 120
	if testing.Short() {
		bundles = 20
	}
	outcomes := map[string]int{}
	for i := range bundles {
		b := generated(r)
		for _, it := range vm.Items() {
			c := diffCallers[(i+len(it.Code))%len(diffCallers)]
			sameDecision(t, vm, td, it.Code, b, c)
			d, err := vm.Decide(t.Context(), it.Code, b, decisionTime)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case d.Eligible == nil:
				outcomes["undetermined"]++
			case *d.Eligible:
				outcomes["eligible"]++
			default:
				outcomes["ineligible"]++
			}
		}
		sameScan(t, vm, td, b)
	}
	// The generated cases must reach every verdict often, or the comparison says little.
	for _, k := range []string{"eligible", "ineligible", "undetermined"} {
		if outcomes[k] < bundles {
			t.Errorf("only %d %s decisions in the generated corpus: %v", outcomes[k], k, outcomes)
		}
	}
	t.Logf("%d bundles x %d items, verdicts %v", bundles, len(vm.Items()), outcomes)
}

func sameScan(t testing.TB, vm, td *Engine, b *evidence.Bundle) {
	t.Helper()
	x, err1 := vm.Scan(t.Context(), b, decisionTime)
	y, err2 := td.Scan(t.Context(), b, decisionTime)
	if err1 != nil || err2 != nil {
		t.Fatalf("scan: irvm %v, topdown %v", err1, err2)
	}
	if !slices.Equal(x.Eligible, y.Eligible) || !slices.Equal(x.Undetermined, y.Undetermined) {
		t.Fatalf("scan differs:\nirvm    %+v\ntopdown %+v", x, y)
	}
}

func TestDifferentialAccess(t *testing.T) {
	vm, td := evaluators(t)
	roles := []string{"counter", "reviewer", "department", "auditor", "admin", "citizen", ""}
	jurisdictions := []string{villageA, "370114001901", "370114001000", "370114", villageC, ""}
	scopes := [][]string{nil, {"*"}, {"elderly_allowance"}}
	// every action of the catalogue (data.yaml) and one it does not know
	actions := []string{"item.read", "application.create", "application.read", "application.list",
		"application.confirm", "application.review", "permit.read", "permit.print", "permit.revoke",
		"permit.verify", "permit.status", "resident.lookup", "resident.data_use.read", "worklist.read",
		"scan.run", "decision.read", "decision.replay", "audit.read", "audit.verify", "policy.reload",
		"webhook.read", "webhook.manage",
		"graphql.items", "graphql.person", "graphql.application", "graphql.decision", "graphql.permit",
		"graphql.audit", "nonsense"}
	resources := []Resource{{}, {Village: villageA, Item: "elderly_allowance"}, {Village: villageC, Item: "senior_card"},
		{Division: "370114001000"}, {Village: villageB, Item: "elderly_allowance", Level: "town"}, {Village: "999999999999"}}
	allowed := 0
	n := 0
	for _, role := range roles {
		for _, j := range jurisdictions {
			for _, sc := range scopes {
				c := Caller{Sub: "s-" + role, Role: role, Jurisdiction: j, Scope: sc}
				for _, a := range actions {
					for _, res := range resources {
						x, err1 := vm.Authorize(t.Context(), c, a, res)
						y, err2 := td.Authorize(t.Context(), c, a, res)
						if err1 != nil || err2 != nil {
							t.Fatalf("authorize: irvm %v, topdown %v", err1, err2)
						}
						if !bytes.Equal(x.Record.Result, y.Record.Result) {
							t.Fatalf("%+v %s %+v:\nirvm    %s\ntopdown %s", c, a, res, x.Record.Result, y.Record.Result)
						}
						n++
						if x.Allow {
							allowed++
						}
					}
				}
			}
		}
	}
	if allowed == 0 || allowed == n {
		t.Fatalf("%d of %d access decisions allowed: the grid does not exercise the policy", allowed, n)
	}
	t.Logf("%d access decisions, %d allowed", n, allowed)
}

// FuzzDifferentialDecisions lets the fuzzer choose the mutations (and the item and caller).
func FuzzDifferentialDecisions(f *testing.F) {
	for _, seed := range [][]byte{{}, {1, 2, 3}, []byte("sanmian-irvm"), {255, 0, 17, 42, 9, 9, 9}} {
		f.Add(seed)
	}
	vm, td := evaluators(f)
	items := vm.Items()
	f.Fuzz(func(t *testing.T, data []byte) {
		var seed [16]byte
		copy(seed[:], data)
		r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		b := generated(r)
		it := items[r.IntN(len(items))]
		sameDecision(t, vm, td, it.Code, b, diffCallers[r.IntN(len(diffCallers))])
	})
}

// failing stands for an irvm that fails on its own account (irvm.ErrInternal).
type failing struct{}

func (failing) Eval(context.Context, ast.Value, ast.Value, irvm.Options) (ast.Value, error) {
	return nil, fmt.Errorf("%w: test", irvm.ErrInternal)
}

// TestIRVMInternalErrorFallsBackToTopdown: when irvm fails on its own account the decision
// is still made, by topdown, with the same result, and the failure is logged.
func TestIRVMInternalErrorFallsBackToTopdown(t *testing.T) {
	var logs bytes.Buffer
	vm := newEngine(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, td := evaluators(t)
	st := *vm.state.Load()
	st.planned = map[string]planned{PathEligibility: failing{}}
	vm.state.Store(&st)
	x, err := vm.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	y, err := td.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Record.Result, y.Record.Result) {
		t.Fatalf("fallback result differs:\n%s\n%s", x.Record.Result, y.Record.Result)
	}
	if !strings.Contains(logs.String(), "irvm failed, evaluated by topdown") {
		t.Fatalf("no log of the fallback: %q", logs.String())
	}
}

// TestQueryIRVMRefusesRunsOnTopdown: a bundle whose scan calls a non-deterministic built-in
// loads; the scan runs on topdown, the other queries on irvm, and the load logs why.
func TestQueryIRVMRefusesRunsOnTopdown(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, policies.Bundle); err != nil {
		t.Fatal(err)
	}
	scan := filepath.Join(dir, "scan.rego")
	src, err := os.ReadFile(scan)
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, []byte("\n# the scan's clock, for the test\nscanned_at_ns := time.now_ns()\n")...)
	src = bytes.Replace(src, []byte(`result := {`), []byte(`result := {"at": scanned_at_ns,`), 1)
	if err := os.WriteFile(scan, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	e := newEngine(t, FromDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	st := e.state.Load()
	if st.planned[PathScan] != nil || st.planned[PathEligibility] == nil || st.planned[PathAccess] == nil {
		t.Fatalf("planned: %v", st.planned)
	}
	if !strings.Contains(logs.String(), "evaluated by topdown") || !strings.Contains(logs.String(), "time.now_ns") {
		t.Fatalf("no warning naming the reason: %q", logs.String())
	}
	s, err := e.Scan(t.Context(), elder(), decisionTime)
	if err != nil || len(s.Eligible) == 0 {
		t.Fatalf("scan on topdown: %+v, %v", s, err)
	}
}
