package policy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"go.uber.org/goleak"

	"sanmian/hub/evidence"
	"sanmian/policies"
)

func newEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e, err := New(t.Context(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

func embeddedRevision(t *testing.T) string {
	t.Helper()
	raw, err := fs.ReadFile(policies.Bundle, ".manifest")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Revision string }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Revision
}

func TestEmbeddedDecide(t *testing.T) {
	e := newEngine(t)
	if got, want := e.Revision(), embeddedRevision(t); got != want {
		t.Fatalf("revision %q, want %q", got, want)
	}
	d, err := e.Decide(t.Context(), "elderly_allowance", elder(), decisionTime, RequestedBy("cadre-1"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Eligible == nil || !*d.Eligible || !d.Instant || !d.Proactive {
		t.Fatalf("decision %+v, want eligible instant proactive", d)
	}
	if d.Amount["tier"] != "80-89" || d.Revision != e.Revision() || d.DecisionID == "" {
		t.Errorf("amount %v revision %q id %q", d.Amount, d.Revision, d.DecisionID)
	}
	if !slices.Equal(d.Autofill, []string{"applicant_name", "id_number", "birth_date", "village"}) {
		t.Errorf("autofill %v", d.Autofill)
	}
	if d.Unmasked["id_number"] {
		t.Error("id_number unmasked without a caller")
	}
	rec := d.Record
	if rec.Path != PathEligibility || rec.Revision() != e.Revision() || rec.RequestedBy != "cadre-1" || !rec.Timestamp.Equal(decisionTime) {
		t.Errorf("record %+v", rec)
	}
	if got := d.Reasons[0]; got.Code != "age_80_89" || got.ZH == "" || got.EN == "" || got.Rule == "" {
		t.Errorf("reason %+v", got)
	}
}

// TestReasonText: the catalogue's texts of a reason code are those a decision carries.
func TestReasonText(t *testing.T) {
	e := newEngine(t)
	d, err := e.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range d.Reasons {
		got, ok := e.ReasonText(want.Code)
		if !ok || got.ZH != want.ZH || got.EN != want.EN || got.Code != want.Code {
			t.Errorf("ReasonText(%q) = %+v %v, want the decision's %+v", want.Code, got, ok, want)
		}
	}
	if _, ok := e.ReasonText("no_such_reason"); ok {
		t.Error("an unknown code has a text")
	}
}

func TestDecideErrors(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	if _, err := e.Decide(ctx, "free_lunch", elder(), decisionTime); !errors.Is(err, ErrUnknownItem) {
		t.Errorf("unknown item: %v", err)
	}
	if _, err := e.Decide(ctx, "senior_card", nil, decisionTime); !errors.Is(err, ErrNoEvidence) {
		t.Errorf("nil evidence: %v", err)
	}
	if _, err := e.Decide(ctx, "senior_card", elder(), time.Time{}); !errors.Is(err, ErrNoClock) {
		t.Errorf("zero time: %v", err)
	}
	if _, err := New(ctx, FromDir("x"), FromURL("http://127.0.0.1:1/b")); !errors.Is(err, ErrConfig) {
		t.Errorf("two sources: %v", err)
	}
	if _, err := New(ctx, FromDir(t.TempDir())); !errors.Is(err, ErrBundle) {
		t.Errorf("empty dir: %v", err)
	}
}

// The decision clock is the date in China Standard Time: 2026-11-25 17:00 UTC is already
// 2026-11-26 in Zhangqiu, the 80th birthday.
func TestDecisionDateIsChinaStandardTime(t *testing.T) {
	e := newEngine(t)
	at := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	d, err := e.Decide(t.Context(), "elderly_allowance", elder(), at)
	if err != nil {
		t.Fatal(err)
	}
	if d.Eligible == nil || !*d.Eligible {
		t.Fatalf("eligible %v on %s", d.Eligible, DecisionDate(at))
	}
	d, _ = e.Decide(t.Context(), "elderly_allowance", elder(), at.Add(-time.Second))
	if d.Eligible == nil || *d.Eligible {
		t.Fatalf("eligible %v the day before the 80th birthday", d.Eligible)
	}
}

func TestFromDir(t *testing.T) {
	e := newEngine(t, FromDir("../../policies"))
	if e.Revision() != embeddedRevision(t) {
		t.Fatalf("revision %q", e.Revision())
	}
	if len(e.Items()) != 30 {
		t.Fatalf("%d items", len(e.Items()))
	}
	changed, err := e.Reload(t.Context())
	if err != nil || !changed {
		t.Fatalf("reload: %v %v", changed, err)
	}
}

// TestMinimisedInput checks the record keeps only what the item declares.
func TestMinimisedInput(t *testing.T) {
	e := newEngine(t)
	d, err := e.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Evidence struct {
			Applicant  map[string]any            `json:"applicant"`
			Household  []any                     `json:"household"`
			Provenance map[string]map[string]any `json:"provenance"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal(d.Record.Input, &in); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range in.Evidence.Applicant {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"birth_date", "deceased", "id_number", "name", "rolls", "village"}; !slices.Equal(keys, want) {
		t.Errorf("applicant fields %v, want %v", keys, want)
	}
	if rolls := in.Evidence.Applicant["rolls"].(map[string]any); len(rolls) != 1 {
		t.Errorf("rolls %v, want only enrolled", rolls)
	}
	if in.Evidence.Household != nil {
		t.Errorf("household sent to an item that does not need it")
	}
	for k := range in.Evidence.Provenance {
		if strings.Contains(k, "licences") || strings.Contains(k, "insurance") || strings.HasPrefix(k, "household") {
			t.Errorf("provenance %q sent", k)
		}
	}
	if bytes.Contains(d.Record.Input, []byte("370114194803050027")) {
		t.Error("spouse ID number in the record")
	}
}

// TestMinimisationPreservesDecisions evaluates every item on the full evidence and through
// Decide (minimised): the results must be the same, so minimisation never changes a verdict.
func TestMinimisationPreservesDecisions(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	st := e.state.Load()
	variants := map[string]func(*evidence.Bundle){
		"full":     func(*evidence.Bundle) {},
		"no_rolls": func(b *evidence.Bundle) { b.Applicant.Rolls = nil; b.Missing = []string{"district.rolls"} },
		"deceased_conflict": func(b *evidence.Bundle) {
			b.Conflicts = []evidence.Conflict{{Field: "applicant.deceased", Authority: evidence.Province,
				Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: true}, {Platform: evidence.District, Value: false}}}}
		},
		"stale_licence": func(b *evidence.Bundle) {
			b.Stale = true
			p := b.Provenance["applicant.licences.1"]
			p.Stale = true
			b.Provenance["applicant.licences.1"] = p
		},
		"no_household_record": func(b *evidence.Bundle) {
			b.Applicant.Rolls.LandMu, b.Applicant.Rolls.Homestead = nil, nil
			b.Missing = []string{"district.household"}
		},
		"no_land_on_record": func(b *evidence.Bundle) { b.Applicant.Rolls.LandMu = new(0.0) },
		"member_died": func(b *evidence.Bundle) {
			b.Household[0].Deceased, b.Household[0].DeathDate = true, "2026-10-01"
		},
		// One living child without a disability certificate: a definite "no" for the special
		// support, not "child record missing" (the child's record is read, sex and all).
		"only_child_living": func(b *evidence.Bundle) {
			b.Children = []evidence.Child{{Person: evidence.Person{IDNumber: "370114197501020048", Name: "王丽", Sex: "F",
				BirthDate: "1975-01-02", HukouType: evidence.HukouAgricultural}, Links: []string{evidence.LinkHousehold},
				MotherIDNumber: "370114194803050027"}}
		},
		"dibao_young": func(b *evidence.Bundle) {
			b.Applicant.BirthDate = "1984-05-01"
			b.Applicant.Rolls.Dibao = true
			b.Applicant.Rolls.InSchool = ""
			b.Applicant.Insurance = &evidence.Insurance{Pension: "not_enrolled", Medical: "not_enrolled", Employment: "unemployed_registered"}
		},
	}
	for name, mutate := range variants {
		for _, it := range e.Items() {
			ev := elder()
			mutate(ev)
			d, err := e.Decide(ctx, it.Code, ev, decisionTime)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, it.Code, err)
			}
			raw, _ := json.Marshal(map[string]any{"now": DecisionDate(decisionTime), "item": it.Code, "evidence": ev})
			full, err := evalRaw(ctx, st, PathEligibility, raw, decisionTime)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(full, d.Record.Result) {
				t.Errorf("%s/%s: minimised decision differs\nfull:      %s\nminimised: %s", name, it.Code, full, d.Record.Result)
			}
		}
	}
}

// TestFarmlandLandFromHouseholdRecord: the farmland subsidy reads the land of the household
// record. Absent (the record could not be read) it is undetermined and the input carries no
// land_mu; 0 on the record is a definite "no_farmland".
func TestFarmlandLandFromHouseholdRecord(t *testing.T) {
	e := newEngine(t)
	cases := []struct {
		name     string
		mutate   func(*evidence.Bundle)
		eligible *bool
		reason   string
		land     bool // land_mu in the minimised input
	}{
		{"land_on_record", func(*evidence.Bundle) {}, new(true), "criteria_met", true},
		{"no_land_on_record", func(b *evidence.Bundle) { b.Applicant.Rolls.LandMu = new(0.0) }, new(false), "no_farmland", true},
		{"household_record_missing", func(b *evidence.Bundle) {
			b.Applicant.Rolls.LandMu = nil
			b.Missing = []string{"district.household"}
		}, nil, "missing_evidence", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := elder()
			tc.mutate(ev)
			d, err := e.Decide(t.Context(), "farmland_protection_subsidy", ev, decisionTime)
			if err != nil {
				t.Fatal(err)
			}
			codes := make([]string, len(d.Reasons))
			for i, r := range d.Reasons {
				codes[i] = r.Code
			}
			if (d.Eligible == nil) != (tc.eligible == nil) || (d.Eligible != nil && *d.Eligible != *tc.eligible) || !slices.Equal(codes, []string{tc.reason}) {
				t.Errorf("eligible %v reasons %v, want %v [%s]", ptrString(d.Eligible), codes, ptrString(tc.eligible), tc.reason)
			}
			if got := bytes.Contains(d.Record.Input, []byte(`"land_mu"`)); got != tc.land {
				t.Errorf("land_mu in the input: %v, want %v\n%s", got, tc.land, d.Record.Input)
			}
		})
	}
}

func ptrString(b *bool) string {
	if b == nil {
		return "null"
	}
	return strconv.FormatBool(*b)
}

func TestReplayIdentity(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	caller := Caller{Sub: "cadre-1", Role: "counter", Jurisdiction: villageA}
	for _, it := range e.Items() {
		d, err := e.Decide(ctx, it.Code, elder(), decisionTime, AsCaller(caller))
		if err != nil {
			t.Fatal(err)
		}
		// Through storage: the record survives a JSON round trip.
		raw, _ := json.Marshal(d.Record)
		var rec Record
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		r, err := e.Replay(ctx, &rec)
		res, same := r.Result, r.SameRevision
		if err != nil {
			t.Fatal(err)
		}
		if !same || !rec.Identical(res) {
			t.Errorf("%s: replay same=%v identical=%v\n%s\n%s", it.Code, same, rec.Identical(res), rec.Result, res)
		}
	}
	a, err := e.Authorize(ctx, caller, "application.read", Resource{Village: villageB, Item: "senior_card"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Replay(ctx, a.Record)
	res, same := r.Result, r.SameRevision
	if err != nil || !same || !a.Record.Identical(res) || !r.Identical || r.Revision != e.Revision() {
		t.Errorf("access replay: %v %v %s", err, same, res)
	}
	tampered := *a.Record
	tampered.Input = bytes.Replace(tampered.Input, []byte(villageB), []byte(villageA), 1)
	if _, err := e.Replay(ctx, &tampered); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("tampered record: %v", err)
	}
	unknown := *a.Record
	unknown.Path = "sanmian/other"
	if _, err := e.Replay(ctx, &unknown); !errors.Is(err, ErrUnknownPath) {
		t.Errorf("unknown path: %v", err)
	}
}

func TestAccessTruthTable(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	counterA := Caller{Sub: "cadre-a", Role: "counter", Jurisdiction: villageA}
	workArea := Caller{Sub: "wa", Role: "reviewer", Jurisdiction: "370114001901"}
	town := Caller{Sub: "town", Role: "reviewer", Jurisdiction: "370114001000"}
	dept := Caller{Sub: "civil-affairs", Role: "department", Scope: []string{"elderly_allowance"}}
	auditor := Caller{Sub: "auditor", Role: "auditor", Jurisdiction: "370114"}
	admin := Caller{Sub: "admin", Role: "admin"}
	cases := []struct {
		name   string
		caller Caller
		action string
		res    Resource
		allow  bool
		reason string
		unmask bool
	}{
		{"counter_own_village", counterA, "application.create", Resource{Village: villageA, Item: "senior_card"}, true, "allowed", true},
		{"counter_other_village", counterA, "application.read", Resource{Village: villageB, Item: "senior_card"}, false, "outside_jurisdiction", false},
		{"counter_other_town", counterA, "resident.lookup", Resource{Village: villageC}, false, "outside_jurisdiction", false},
		{"counter_cannot_review", counterA, "application.review", Resource{Village: villageA, Item: "senior_card", Level: "village"}, false, "role_not_permitted", false},
		{"work_area_contains_village", workArea, "application.review", Resource{Village: villageB, Item: "senior_card", Level: "work_area"}, true, "allowed", true},
		{"work_area_wrong_level", workArea, "application.review", Resource{Village: villageB, Item: "senior_card", Level: "town"}, false, "wrong_review_level", false},
		{"town_reviews_town_level", town, "application.review", Resource{Village: villageB, Item: "senior_card", Level: "town"}, true, "allowed", true},
		{"town_outside", town, "permit.revoke", Resource{Village: villageC, Item: "senior_card"}, false, "outside_jurisdiction", false},
		{"department_in_scope", dept, "application.create", Resource{Village: villageC, Item: "elderly_allowance"}, true, "allowed", false},
		{"department_out_of_scope", dept, "application.read", Resource{Village: villageC, Item: "senior_card"}, false, "item_out_of_scope", false},
		{"auditor_reads_masked", auditor, "application.read", Resource{Village: villageC, Item: "senior_card"}, true, "allowed", false},
		{"auditor_replays", auditor, "decision.replay", Resource{Village: villageC, Item: "senior_card"}, true, "allowed", false},
		{"auditor_read_only", auditor, "permit.revoke", Resource{Village: villageC, Item: "senior_card"}, false, "read_only_role", false},
		{"admin_everything", admin, "permit.revoke", Resource{Village: villageC, Item: "senior_card"}, true, "allowed", false},
		{"admin_unmasks", admin, "resident.lookup", Resource{Village: villageC}, true, "allowed", true},
		{"unknown_role", Caller{Sub: "x", Role: "mayor"}, "audit.read", Resource{}, false, "unknown_role", false},
		{"no_role", Caller{Sub: "x"}, "audit.read", Resource{}, false, "unknown_role", false},
		{"unknown_action", admin, "database.drop", Resource{}, false, "unknown_action", false},
		{"unknown_village", counterA, "application.read", Resource{Village: "370114001299"}, false, "unknown_division", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := e.Authorize(ctx, c.caller, c.action, c.res)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != c.allow || d.Reason.Code != c.reason || d.UnmaskID != c.unmask {
				t.Errorf("got allow=%v reason=%s unmask=%v, want %v %s %v", d.Allow, d.Reason.Code, d.UnmaskID, c.allow, c.reason, c.unmask)
			}
			if d.Reason.ZH == "" || d.Reason.EN == "" || d.DecisionID == "" || d.Revision == "" {
				t.Errorf("incomplete decision %+v", d)
			}
		})
	}
}

func TestDecideUnmaskForCaller(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	in, _ := e.Decide(ctx, "senior_card", elder(), decisionTime, AsCaller(Caller{Sub: "a", Role: "counter", Jurisdiction: "370114001901"}))
	out, _ := e.Decide(ctx, "senior_card", elder(), decisionTime, AsCaller(Caller{Sub: "b", Role: "counter", Jurisdiction: villageB}))
	aud, _ := e.Decide(ctx, "senior_card", elder(), decisionTime, AsCaller(Caller{Sub: "c", Role: "auditor", Jurisdiction: "370114"}))
	if !in.Unmasked["id_number"] || out.Unmasked["id_number"] || aud.Unmasked["id_number"] {
		t.Errorf("unmask: work area %v, other village %v, auditor %v", in.Unmasked["id_number"], out.Unmasked["id_number"], aud.Unmasked["id_number"])
	}
}

func TestScan(t *testing.T) {
	e := newEngine(t)
	r, err := e.Scan(t.Context(), elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"elderly_allowance", "severe_disability_care_subsidy", "farmland_protection_subsidy"} {
		if !slices.Contains(r.Eligible, want) {
			t.Errorf("scan %v lacks %s", r.Eligible, want)
		}
	}
	if slices.Contains(r.Eligible, "senior_card") {
		t.Error("scan offers senior_card to a holder")
	}
	if r.Revision != e.Revision() {
		t.Errorf("revision %q", r.Revision)
	}
}

// TestCatalogue checks the contract: the thirty codes of DESIGN.md section 5, bilingual
// names, a legal basis, review levels in order, and form fields drawn only from the item's
// declared needs.
func TestCatalogue(t *testing.T) {
	e := newEngine(t)
	want := []string{"elderly_allowance", "senior_card", "rural_family_planning_reward", "family_planning_special_support",
		"only_child_parent_reward", "birth_registration", "hardship_disability_subsidy", "severe_disability_care_subsidy",
		"disability_certificate_renewal", "assistive_device_fitting", "minimum_living_allowance", "extreme_poverty_support",
		"temporary_assistance", "medical_assistance", "student_aid", "winter_heating_subsidy", "resident_pension_claim",
		"pension_insurance_enrolment", "medical_insurance_enrolment", "funeral_subsidy", "residence_certificate",
		"kinship_certificate", "conscript_family_allowance", "entitled_group_pension", "homestead_application",
		"dilapidated_house_renovation", "collective_membership", "farmland_protection_subsidy", "public_welfare_job",
		"employment_difficulty_recognition"}
	var got []string
	kindOf := func(p string) string {
		switch {
		case strings.Contains(p, ".licences."):
			return "province.licences"
		case strings.HasPrefix(p, "applicant.insurance."):
			return "city.insurance"
		case p == "applicant.rolls.land_mu" || strings.HasPrefix(p, "applicant.rolls.homestead"):
			// The household's land and homestead come from the household record only
			// (evidence.Rolls): when that record is missing they are unknown, not 0 or none.
			return "district.household"
		case strings.HasPrefix(p, "applicant.rolls.") || strings.HasPrefix(p, "household.rolls."):
			return "district.rolls"
		case p == "children.id_number" || p == "children.links" || p == "children.mother_id_number" || p == "children.father_id_number":
			// Who the children are: the province's kinship records (with the household and
			// the honour certificate, whose own kinds are listed beside).
			return "province.kinship"
		case strings.HasPrefix(p, "household.") || strings.HasPrefix(p, "children."):
			// A member's or child's fields come from the platform that is authoritative for
			// them: the district for relations, the province for name, sex, births, deaths.
			field := p[strings.IndexByte(p, '.')+1:]
			if evidence.Authority[field] == evidence.District {
				return "district.household"
			}
			return "province.person"
		case p == "applicant.village" || p == "applicant.household_id" || p == "applicant.relation":
			return "district.household"
		}
		return "province.person"
	}
	order := map[string]int{"village": 0, "work_area": 1, "town": 2}
	for _, it := range e.Items() {
		got = append(got, it.Code)
		if it.ZH == "" || it.EN == "" || it.Basis.Cite == "" || it.Basis.ZH == "" || it.Basis.EN == "" || it.Category == "" {
			t.Errorf("%s: incomplete entry", it.Code)
		}
		if !slices.Contains([]string{SubjectApplicant, SubjectHousehold, SubjectDeceased}, it.BenefitSubject) {
			t.Errorf("%s: benefit subject %q", it.Code, it.BenefitSubject)
		}
		if len(it.ReviewLevels) == 0 || !slices.IsSortedFunc(it.ReviewLevels, func(a, b string) int { return order[a] - order[b] }) {
			t.Errorf("%s: review levels %v", it.Code, it.ReviewLevels)
		}
		var needs []string
		for kind, paths := range it.Needs {
			for _, p := range paths {
				needs = append(needs, p)
				if kindOf(p) != kind {
					t.Errorf("%s: %s listed under %s, belongs to %s", it.Code, p, kind, kindOf(p))
				}
			}
		}
		for _, f := range it.Form {
			if f.Path == "" {
				if f.Autofill {
					t.Errorf("%s.%s: auto-filled without an evidence path", it.Code, f.Name)
				}
				continue
			}
			if !slices.ContainsFunc(needs, func(n string) bool { return f.Path == n || strings.HasPrefix(f.Path, n+".") }) {
				t.Errorf("%s.%s: path %s not among the item's needs", it.Code, f.Name, f.Path)
			}
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("codes %v\nwant %v", got, want)
	}
}

// bundleServer serves a bundle tarball with OPA's bundle protocol (ETag, If-None-Match, 304).
type bundleServer struct {
	mu       sync.Mutex
	body     []byte
	etag     string
	requests atomic.Int64
}

func (s *bundleServer) set(body []byte, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag = body, etag
}

func (s *bundleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	body, etag := s.body, s.etag
	s.mu.Unlock()
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/gzip")
	_, _ = w.Write(body)
}

// tarball builds a bundle tarball from the embedded policies (tests excluded) with the given
// revision, using OPA's bundle writer; signed with an HMAC key when key is not empty.
func tarball(t testing.TB, revision, key string) []byte {
	t.Helper()
	l, err := bundle.NewFSLoader(policies.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	l = l.WithFilter(func(_ string, info fs.FileInfo, _ int) bool {
		return !info.IsDir() && strings.HasSuffix(info.Name(), "_test.rego")
	})
	b, err := bundle.NewCustomReader(l).WithRegoVersion(ast.RegoV1).WithSkipBundleVerification(true).Read()
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest.Revision = revision
	if key != "" {
		if err := b.GenerateSignature(bundle.NewSigningConfig(key, "HS256", ""), "hub-test", false); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBundleService(t *testing.T) {
	srv := &bundleServer{}
	srv.set(tarball(t, "rev-1", ""), `"rev-1"`)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	e := newEngine(t, FromURL(hs.URL+"/bundles/sanmian.tar.gz"))
	if e.Revision() != "rev-1" {
		t.Fatalf("revision %q", e.Revision())
	}
	changed, err := e.Reload(t.Context())
	if err != nil || changed {
		t.Fatalf("unchanged bundle: changed=%v err=%v", changed, err)
	}
	srv.set(tarball(t, "rev-2", ""), `"rev-2"`)
	changed, err = e.Reload(t.Context())
	if err != nil || !changed || e.Revision() != "rev-2" {
		t.Fatalf("new bundle: changed=%v err=%v revision=%q", changed, err, e.Revision())
	}
	srv.set([]byte("not a tarball"), `"broken"`)
	if _, err := e.Reload(t.Context()); !errors.Is(err, ErrBundle) {
		t.Fatalf("broken bundle: %v", err)
	}
	if e.Revision() != "rev-2" {
		t.Fatalf("broken bundle replaced the active one: %q", e.Revision())
	}
}

func TestBundleServiceErrors(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	defer hs.Close()
	if _, err := New(t.Context(), FromURL(hs.URL)); !errors.Is(err, ErrFetch) {
		t.Errorf("404: %v", err)
	}
	hs.Close()
	if _, err := New(t.Context(), FromURL(hs.URL)); !errors.Is(err, ErrFetch) {
		t.Errorf("closed server: %v", err)
	}
}

func TestSignedBundle(t *testing.T) {
	const secret = "policy-signing-secret"
	vc := bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{"hub-test": {Key: secret, Algorithm: "HS256"}}, "hub-test", "", nil)
	srv := &bundleServer{}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	srv.set(tarball(t, "signed-1", secret), `"s1"`)
	e := newEngine(t, FromURL(hs.URL), WithVerification(vc))
	if e.Revision() != "signed-1" {
		t.Fatalf("revision %q", e.Revision())
	}
	srv.set(tarball(t, "unsigned-2", ""), `"u2"`)
	if _, err := e.Reload(t.Context()); !errors.Is(err, ErrBundle) {
		t.Errorf("unsigned bundle accepted: %v", err)
	}
	srv.set(tarball(t, "wrong-key-3", "another-secret"), `"w3"`)
	if _, err := e.Reload(t.Context()); !errors.Is(err, ErrBundle) {
		t.Errorf("bundle signed with another key accepted: %v", err)
	}
	if e.Revision() != "signed-1" {
		t.Errorf("revision %q after refused bundles", e.Revision())
	}
}

// TestHotReloadUnderLoad swaps revisions while decisions run concurrently: no decision fails
// and every one is stamped with a revision that was active.
func TestHotReloadUnderLoad(t *testing.T) {
	srv := &bundleServer{}
	revs := []string{"hot-0", "hot-1"}
	bodies := [][]byte{tarball(t, revs[0], ""), tarball(t, revs[1], "")}
	srv.set(bodies[0], `"0"`)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	e := newEngine(t, FromURL(hs.URL))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var decisions, failures atomic.Int64
	seen := sync.Map{}
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				d, err := e.Decide(ctx, "elderly_allowance", elder(), decisionTime)
				if err != nil {
					if ctx.Err() == nil {
						failures.Add(1)
						t.Errorf("decide during reload: %v", err)
					}
					return
				}
				if d.Revision != revs[0] && d.Revision != revs[1] {
					t.Errorf("revision %q", d.Revision)
				}
				seen.Store(d.Revision, true)
				decisions.Add(1)
			}
		})
	}
	for i := 1; i <= 6; i++ {
		srv.set(bodies[i%2], fmt.Sprintf(`"%d"`, i))
		if changed, err := e.Reload(ctx); err != nil || !changed {
			t.Fatalf("reload %d: %v %v", i, changed, err)
		}
		if e.Revision() != revs[i%2] {
			t.Fatalf("revision %q after reload %d", e.Revision(), i)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	if failures.Load() != 0 || decisions.Load() == 0 || n != 2 {
		t.Errorf("decisions %d failures %d revisions seen %d", decisions.Load(), failures.Load(), n)
	}
	t.Logf("%d decisions across 6 reloads", decisions.Load())
}

func TestWatch(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := &bundleServer{}
	srv.set(tarball(t, "watch-1", ""), `"1"`)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	e := newEngine(t, FromURL(hs.URL), WithPollInterval(10*time.Millisecond))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Watch(ctx) }()
	srv.set(tarball(t, "watch-2", ""), `"2"`)
	deadline := time.Now().Add(5 * time.Second)
	for e.Revision() != "watch-2" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v", err)
	}
	if e.Revision() != "watch-2" {
		t.Fatalf("revision %q, want watch-2", e.Revision())
	}
	hs.CloseClientConnections()
	e.opt.client.CloseIdleConnections()
}

// TestReplayAcrossRevisions: a record made under one revision replays under another and is
// reported as such.
func TestReplayAcrossRevisions(t *testing.T) {
	srv := &bundleServer{}
	srv.set(tarball(t, "replay-1", ""), `"1"`)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	e := newEngine(t, FromURL(hs.URL))
	d, err := e.Decide(t.Context(), "elderly_allowance", elder(), decisionTime)
	if err != nil {
		t.Fatal(err)
	}
	srv.set(tarball(t, "replay-2", ""), `"2"`)
	if _, err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	r, err := e.Replay(t.Context(), d.Record)
	res, same := r.Result, r.SameRevision
	if err != nil {
		t.Fatal(err)
	}
	if same {
		t.Error("replay under replay-2 reported the same revision as replay-1")
	}
	if !d.Record.Identical(res) {
		t.Error("same policy text under a new revision gave a different result")
	}
}

type memRecorder struct {
	mu   sync.Mutex
	recs []*Record
}

func (m *memRecorder) Record(_ context.Context, r *Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func TestRecorder(t *testing.T) {
	rec := &memRecorder{}
	e := newEngine(t, WithRecorder(rec))
	if _, err := e.Decide(t.Context(), "senior_card", elder(), decisionTime); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Authorize(t.Context(), Caller{Sub: "x", Role: "counter", Jurisdiction: villageA}, "application.read", Resource{Village: villageC}); err != nil {
		t.Fatal(err)
	}
	if len(rec.recs) != 2 || rec.recs[0].Path != PathEligibility || rec.recs[1].Path != PathAccess {
		t.Fatalf("records %+v", rec.recs)
	}
	var ev map[string]any
	if err := json.Unmarshal(rec.recs[1].Result, &ev); err != nil || ev["allow"] != false {
		t.Errorf("denial record result %s", rec.recs[1].Result)
	}
}

func TestNormFieldMatchesPolicy(t *testing.T) {
	for in, want := range map[string]string{
		"applicant.rolls.dibao":              "applicant.rolls.dibao",
		"household.1.deceased":               "household.deceased",
		"household.1.licences.0.attrs.grade": "household.licences",
		"applicant.licences.3":               "applicant.licences",
		"applicant.licences":                 "applicant.licences",
	} {
		if got := normField(in); got != want {
			t.Errorf("normField(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDivisionData(t *testing.T) {
	d := DivisionData()
	v, ok := d[villageA].(map[string]any)
	if !ok {
		t.Fatalf("no %s", villageA)
	}
	path := v["path"].([]any)
	if v["level"] != "village" || len(path) != 4 || path[1] != "370114001901" || path[2] != "370114001000" || path[3] != "370114" {
		t.Errorf("village %v", v)
	}
	if len(d) != 1+18+75+525 {
		t.Errorf("%d divisions", len(d))
	}
}

func TestConfig(t *testing.T) {
	for name, c := range map[string]Config{
		"both_sources": {Dir: "p", URL: "http://x/b"},
		"bad_url":      {URL: "ftp://x/b"},
		"negative":     {PollInterval: -time.Second},
		"key_no_key":   {KeyID: "k"},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	const secret = "policy-signing-secret"
	srv := &bundleServer{}
	srv.set(tarball(t, "cfg-1", secret), `"1"`)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	opts, err := Config{URL: hs.URL, VerificationKey: secret, KeyID: "hub-test", KeyAlgorithm: "HS256", PollInterval: time.Minute}.Options()
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, opts...)
	if e.Revision() != "cfg-1" {
		t.Errorf("revision %q", e.Revision())
	}
	if opts, err := (Config{Dir: "../../policies"}).Options(); err != nil || newEngine(t, opts...).Revision() == "" {
		t.Errorf("dir config: %v", err)
	}
}

// TestFromTarballAndPath: a candidate bundle loads from a gzipped tarball in memory or from a
// path (directory or file); a missing path or bytes that are no bundle are ErrBundle.
func TestFromTarballAndPath(t *testing.T) {
	dir := bundleDir(t, "tar-1", nil)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if err := tw.WriteHeader(&tar.Header{Name: "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if e := newEngine(t, FromTarball(buf.Bytes())); e.Revision() != "tar-1" {
		t.Fatalf("tarball revision %q", e.Revision())
	}
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, dir} {
		opt, err := FromPath(p)
		if err != nil {
			t.Fatal(err)
		}
		if e := newEngine(t, opt); e.Revision() != "tar-1" {
			t.Fatalf("%s: revision %q", p, e.Revision())
		}
	}
	if _, err := FromPath(filepath.Join(dir, "absent")); !errors.Is(err, ErrBundle) {
		t.Fatalf("absent path: %v", err)
	}
	if _, err := New(t.Context(), FromTarball([]byte("not a bundle"))); !errors.Is(err, ErrBundle) {
		t.Fatalf("garbage: %v", err)
	}
}

// TestActivationHook: the hook hears of a new revision activated by Reload, with both
// revisions, and not of the first load or of a re-read of the same revision.
func TestActivationHook(t *testing.T) {
	dir := bundleDir(t, "hook-1", nil)
	var got []string
	e := newEngine(t, FromDir(dir), WithActivationHook(func(_ context.Context, prev, rev string) { got = append(got, prev+"→"+rev) }))
	if _, err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	setBundle(t, dir, "hook-2", nil)
	if _, err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "hook-1→hook-2" {
		t.Fatalf("activations %q, want one hook-1→hook-2", got)
	}
}

// TestEligibleReasons: the reasons of an eligible decision are constant for an item whose pass
// reasons do not read the evidence (criteria_met, or the item's fixed pass reason), and not
// reported for one whose do (the elderly allowance's age tier, the family type); where they
// are constant they are those of the item's eligible decisions on the differential corpus.
func TestEligibleReasons(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	for item, want := range map[string][]string{
		"senior_card":                  {"criteria_met"},
		"minimum_living_allowance":     {"means_test_at_review"},
		"farmland_protection_subsidy":  {"criteria_met"},
		"elderly_allowance":            nil,
		"rural_family_planning_reward": nil,
	} {
		got, ok := e.EligibleReasons(ctx, item, corpusTime)
		if ok != (want != nil) || !slices.Equal(got, want) {
			t.Errorf("%s: eligible reasons %v (%v), want %v", item, got, ok, want)
		}
	}
	compared := 0
	bundles := []*evidence.Bundle{elder()}
	r := rand.New(rand.NewPCG(7, 7))
	for range 300 {
		bundles = append(bundles, generated(r))
	}
	for _, it := range e.Items() {
		static, ok := e.EligibleReasons(ctx, it.Code, corpusTime)
		if !ok {
			continue
		}
		for _, ev := range bundles {
			d, err := e.Decide(ctx, it.Code, ev, corpusTime)
			if err != nil {
				t.Fatal(err)
			}
			if d.Eligible == nil || !*d.Eligible {
				continue
			}
			var codes []string
			for _, re := range d.Reasons {
				codes = append(codes, re.Code)
			}
			if !slices.Equal(codes, static) {
				t.Errorf("%s: an eligible decision gives %v, the constant reasons are %v", it.Code, codes, static)
			}
			compared++
		}
	}
	if compared < 50 {
		t.Fatalf("only %d eligible decisions to compare", compared)
	}
}
