package schema

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"go.uber.org/goleak"

	"sanmian/hub/auth"
	"sanmian/hub/ident"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gqlResp is a decoded GraphQL response.
type gqlResp struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResp) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func (r gqlResp) hasCode(code string) bool {
	for _, c := range r.codes() {
		if c == code {
			return true
		}
	}
	return false
}

var (
	counterA = func(fx fixture) *auth.Caller {
		return &auth.Caller{Subject: "cadre-a", Issuer: "demo", Role: "counter", Jurisdiction: fx.villageA.Code}
	}
	admin = &auth.Caller{Subject: "admin", Issuer: "demo", Role: "admin", Jurisdiction: "370114"}
)

// post sends a GraphQL POST as caller (nil: unauthenticated).
func post(t testing.TB, h http.Handler, c *auth.Caller, body any) (int, gqlResp, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return send(t, h, c, req)
}

func send(t testing.TB, h http.Handler, c *auth.Caller, req *http.Request) (int, gqlResp, string) {
	t.Helper()
	if c != nil {
		req = req.WithContext(ContextWithCaller(req.Context(), *c))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r gqlResp
	if strings.Contains(rec.Header().Get("Content-Type"), "json") {
		_ = json.Unmarshal(rec.Body.Bytes(), &r)
	}
	return rec.Code, r, rec.Body.String()
}

func q(query string, vars map[string]any) map[string]any {
	return map[string]any{"query": query, "variables": vars}
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestIntrospectionEveryDescription(t *testing.T) {
	f, _ := newFake()
	h := Handler(f)
	_, r, raw := post(t, h, nil, map[string]any{"query": IntrospectionQuery})
	if len(r.Errors) > 0 {
		t.Fatalf("introspection errors: %s", raw)
	}
	types, _ := dig(r.Data, "__schema", "types").([]any)
	if len(types) < 30 {
		t.Fatalf("only %d types", len(types))
	}
	missing := 0
	need := func(what, desc any) {
		if s, _ := desc.(string); strings.TrimSpace(s) == "" {
			t.Errorf("no description: %s", what)
			missing++
		}
	}
	for _, ty := range types {
		tm := ty.(map[string]any)
		name := tm["name"].(string)
		if strings.HasPrefix(name, "__") {
			continue
		}
		need("type "+name, tm["description"])
		for _, fl := range append(asList(tm["fields"]), asList(tm["inputFields"])...) {
			fm := fl.(map[string]any)
			need(name+"."+fm["name"].(string), fm["description"])
			for _, a := range asList(fm["args"]) {
				am := a.(map[string]any)
				need(name+"."+fm["name"].(string)+"("+am["name"].(string)+")", am["description"])
			}
		}
		for _, ev := range asList(tm["enumValues"]) {
			em := ev.(map[string]any)
			need(name+"."+em["name"].(string), em["description"])
		}
	}
	// Every person lookup requires purpose: String!.
	for _, ty := range types {
		tm := ty.(map[string]any)
		for _, fl := range asList(tm["fields"]) {
			fm := fl.(map[string]any)
			if n := namedOf(fm["type"]); n != "Person" || tm["name"] == "HouseholdMember" {
				continue // members inherit the household lookup's purpose
			}
			ok := false
			for _, a := range asList(fm["args"]) {
				am := a.(map[string]any)
				if am["name"] == "purpose" && dig(am, "type", "kind") == "NON_NULL" {
					ok = true
				}
			}
			if !ok && tm["name"] != "Mutation" {
				t.Errorf("%s.%s returns Person without purpose: String!", tm["name"], fm["name"])
			}
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func namedOf(t any) string {
	for t != nil {
		m := t.(map[string]any)
		if n, _ := m["name"].(string); n != "" {
			return n
		}
		t = m["ofType"]
	}
	return ""
}

const householdQuery = `query($id: ID!) {
  household(id: $id, purpose: "elderly_allowance") {
    id size hukouType village { code name level }
    members {
      relation
      person {
        idNumber name sex age
        village { name parent { name } }
        licences { id type number issuer { name uscc usccValid } attributes { name value } provenance { platform record stale } }
        enrolments { itemCode item { name } }
      }
    }
  }
}`

func TestHouseholdOfFiveMakesOnePeopleCall(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	_, r, raw := post(t, h, counterA(fx), q(householdQuery, map[string]any{"id": "H1"}))
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %s", raw)
	}
	members := asList(dig(r.Data, "household", "members"))
	if len(members) != 5 {
		t.Fatalf("members = %d, want 5", len(members))
	}
	if n := f.peopleCalls.Load(); n != 1 {
		t.Fatalf("People calls = %d, want 1 (batches %v)", n, f.peopleBatches)
	}
	if got := len(f.peopleBatches[0]); got != 5 {
		t.Errorf("batch size = %d, want 5", got)
	}
	if n := f.householdCalls.Load(); n != 1 {
		t.Errorf("Household calls = %d, want 1", n)
	}
	if n := f.itemsCalls.Load(); n != 1 {
		t.Errorf("Items calls = %d, want 1 (memoised per request)", n)
	}
	for i, m := range members {
		name, _ := dig(m, "person", "name").(string)
		if name == "" {
			t.Errorf("member %d has no person: %v", i, m)
		}
		if id, _ := dig(m, "person", "idNumber").(string); !strings.Contains(id, "********") {
			t.Errorf("member %d idNumber not masked: %q", i, id)
		}
	}
	// No full ID number anywhere in the response of a counter (licence ids, numbers, records,
	// attributes such as spouse_id_number included).
	for _, id := range []string{fx.head, fx.spouse, fx.son, fx.dil, fx.grandson} {
		if strings.Contains(raw, id) {
			t.Errorf("full ID number %s leaked in %s", ident.MaskIDNumber(id), raw)
		}
	}
	if v := dig(members[0], "person", "licences", 0, "issuer", "usccValid"); v != true {
		t.Errorf("usccValid = %v", v)
	}
}

func TestIndependentFieldsRunConcurrently(t *testing.T) {
	f, fx := newFake()
	f.delay = 30 * time.Millisecond
	h := Handler(f)
	_, r, raw := post(t, h, counterA(fx), q(`query {
	  a: person(idNumber: "`+fx.head+`", purpose: "x") { name }
	  household(id: "H1", purpose: "x") { id }
	  applications(first: 5) { edges { node { id } } }
	  b: application(id: "app-1") { id } }`, nil))
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %s", raw)
	}
	if m := f.maxInflight.Load(); m < 2 {
		t.Errorf("max concurrent service calls = %d, want >= 2", m)
	}
}

func TestMasking(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	query := `{ person(idNumber: "` + fx.head + `", purpose: "kinship_certificate") {
	  idNumber idNumberMasked birthDate withheld
	  licences(type: MARRIAGE) { id number attributes { name value } }
	  provenance { field record conflicts { field values { value record } } } } }`
	tests := []struct {
		name       string
		caller     *auth.Caller
		wantFull   bool
		wantBirth  bool
		spouseFull bool
	}{
		{"counter_sees_masked", counterA(fx), false, true, false},
		{"admin_sees_full_but_not_spouse", admin, true, true, false},
		{"department_fields_withheld", &auth.Caller{Subject: "dept", Role: "department", Jurisdiction: "370114"}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r, raw := post(t, h, tc.caller, q(query, nil))
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %s", raw)
			}
			id, _ := dig(r.Data, "person", "idNumber").(string)
			if (id == fx.head) != tc.wantFull {
				t.Errorf("idNumber = %q, want full %v", id, tc.wantFull)
			}
			if !tc.wantFull && id != ident.MaskIDNumber(fx.head) {
				t.Errorf("idNumber = %q, want %q", id, ident.MaskIDNumber(fx.head))
			}
			if !tc.wantFull && strings.Contains(raw, fx.head) {
				t.Errorf("full ID number leaked: %s", raw)
			}
			if (dig(r.Data, "person", "birthDate") != nil) != tc.wantBirth {
				t.Errorf("birthDate = %v", dig(r.Data, "person", "birthDate"))
			}
			if strings.Contains(raw, fx.spouse) != tc.spouseFull {
				t.Errorf("spouse ID number shown = %v", !tc.spouseFull)
			}
		})
	}
}

func TestMaskIDs(t *testing.T) {
	id := "37011419440305011X"
	tests := []struct{ in, want string }{
		{id, "370114********011X"},
		{"1.2.156.3005.2.TYPE.ISSUER." + id + ".001.K", "1.2.156.3005.2.TYPE.ISSUER.370114********011X.001.K"},
		{"[\"" + id + "\"]", "[\"370114********011X\"]"},
		{"37011419440305001142", "37011419440305001142"}, // 20 digits: not an ID number
		{"A" + id, "A" + id},
		{"short", "short"},
	}
	for _, tc := range tests {
		if got := maskIDs(tc.in); got != tc.want {
			t.Errorf("maskIDs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzMaskIDs(f *testing.F) {
	f.Add("37011419440305011X")
	f.Add("x 370114194403050113 y")
	f.Fuzz(func(t *testing.T, s string) {
		out := maskIDs(s)
		if len(out) != len(s) {
			t.Fatalf("length changed")
		}
		for i := 0; i+18 <= len(out); i++ {
			w := out[i : i+18]
			if ident.ValidIDNumber(w) && (i == 0 || !isAlnum(out[i-1])) && (i+18 == len(out) || !isAlnum(out[i+18])) {
				t.Fatalf("valid ID number left unmasked in %q", out)
			}
		}
	})
}

func TestCrossJurisdictionDenied(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	c := counterA(fx)
	secrets := []string{"赵铁柱", "钱桂花", "孙迁出", fx.bHead, fx.bSpouse, fx.moved,
		ident.MaskIDNumber(fx.bHead), ident.MaskIDNumber(fx.bSpouse), ident.MaskIDNumber(fx.moved)}
	tests := []struct {
		name  string
		query string
		code  string
	}{
		{"direct_person", `{ person(idNumber: "` + fx.bHead + `", purpose: "x") { name idNumber } }`, CodeForbidden},
		{"batch_people", `{ people(idNumbers: ["` + fx.bHead + `", "` + fx.bSpouse + `"], purpose: "x") { name } }`, CodeForbidden},
		{"household_of_other_village", `{ household(id: "H2", purpose: "x") { id members { relation person { name idNumber } } } }`, CodeForbidden},
		{"member_registered_elsewhere", `{ household(id: "H3", purpose: "x") { id members { relation person { name idNumber } } } }`, CodeForbidden},
		{"application_of_other_village", `{ application(id: "app-2") { id applicantIdNumber applicant(purpose: "x") { name } } }`, CodeForbidden},
		{"eligibility_of_other_village", `{ person(idNumber: "` + fx.bHead + `", purpose: "x") { eligibility(item: "elderly_allowance") { eligible } } }`, CodeForbidden},
		{"data_use_of_other_village", `{ dataUse(idNumber: "` + fx.bHead + `") { edges { node { actor } } } }`, CodeForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r, raw := post(t, h, c, q(tc.query, nil))
			if !r.hasCode(tc.code) {
				t.Fatalf("codes %v, want %s: %s", r.codes(), tc.code, raw)
			}
			for _, s := range secrets {
				if strings.Contains(raw, s) {
					t.Errorf("leaked %q: %s", s, raw)
				}
			}
			for _, e := range r.Errors {
				if strings.Contains(e.Message, "fake") || strings.Contains(e.Message, "jurisdiction") {
					t.Errorf("internal error text reached the client: %q", e.Message)
				}
			}
		})
	}
	// The list only has the caller's applications.
	_, r, raw := post(t, h, c, q(`{ applications(first: 10) { edges { node { id } } } }`, nil))
	if strings.Contains(raw, "app-2") || len(asList(dig(r.Data, "applications", "edges"))) != 2 {
		t.Errorf("applications list: %s", raw)
	}
}

func TestUnauthenticated(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	_, r, raw := post(t, h, nil, q(`{ person(idNumber: "`+fx.head+`", purpose: "x") { name } }`, nil))
	if !r.hasCode(CodeUnauthenticated) || f.peopleCalls.Load() != 0 {
		t.Fatalf("%s", raw)
	}
}

// hostileQueries are three queries the limits refuse: 53 levels deep, 10,000 aliases, and a
// body of over 5 MiB.
func hostileQueries() (deep, aliases, big string) {
	deep = strings.Repeat("household { members { person { ", 17) + "name" + strings.Repeat(" } } }", 17)
	deep = `{ person(idNumber: "x", purpose: "p") { ` + deep + ` } }` // 1 + 17*3 + 1 = 53 levels
	var a strings.Builder
	a.WriteString("{")
	for i := range 10000 {
		fmt.Fprintf(&a, " a%d: __typename", i)
	}
	a.WriteString(" }")
	return deep, a.String(), `{ __typename } #` + strings.Repeat("x", 5<<20)
}

// hostileDocuments are documents that recurse (fragment cycles), expand exponentially or nest
// without bound, each with the code that refuses it. Before the screen of guard.go the cycles
// stopped the process with a Go stack overflow in graphql-go's validation (fatal, beyond
// recover), the fan-out and the nested list ran for minutes, and the nested inline fragments and
// input object took 24 s and 45 s. Long cycles and chains of fragments are refused before
// validation, which is cubic in their length.
func hostileDocuments() []struct{ name, query, code string } {
	cycle := func(n int, field string) string {
		var b strings.Builder
		b.WriteString("query { ...F0 }")
		for i := range n {
			fmt.Fprintf(&b, " fragment F%d on Query { %s ...F%d }", i, field, (i+1)%n)
		}
		return b.String()
	}
	var chain strings.Builder
	chain.WriteString("query { ...F0 }")
	for i := range 300 {
		fmt.Fprintf(&chain, " fragment F%d on Query { ...F%d }", i, i+1)
	}
	chain.WriteString(" fragment F300 on Query { __typename }")
	// Two fragments per layer, each spreading both of the next: 2^30 paths in 62 definitions.
	var fan strings.Builder
	fan.WriteString("query { ...L0a }")
	for i := range 30 {
		fmt.Fprintf(&fan, " fragment L%da on Query { ...L%da ...L%db } fragment L%db on Query { ...L%da ...L%db }", i, i+1, i+1, i, i+1, i+1)
	}
	fan.WriteString(" fragment L30a on Query { __typename } fragment L30b on Query { __typename }")
	return []struct{ name, query, code string }{
		{"fragment_cycle_two", `query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, CodeValidationFailed},
		{"fragment_cycle_self", `query { ...A } fragment A on Query { ...A }`, CodeValidationFailed},
		{"fragment_cycle_self_unused", `query { __typename } fragment A on Query { ...A }`, CodeValidationFailed},
		{"fragment_cycle_30", cycle(30, "__typename"), CodeValidationFailed},
		{"fragment_cycle_400", cycle(400, ""), CodeDepthLimit},
		{"fragment_cycle_250_fields", cycle(250, "__typename"), CodeFieldLimit},
		{"fragment_chain_300", chain.String(), CodeDepthLimit},
		{"fragment_cycle_through_fields", `query { person(idNumber: "x", purpose: "p") { ...P } } fragment P on Person { household { members { person { ...P } } } }`, CodeValidationFailed},
		{"fragment_cycle_through_inline", `query { ...A } fragment A on Query { ... on Query { ... @include(if: true) { ...A } } }`, CodeValidationFailed},
		{"fragment_fanout_2_30", fan.String(), CodeFieldLimit},
		{"nested_fields_5000", strings.Repeat("{ a ", 5000) + strings.Repeat("}", 5000), CodeDepthLimit},
		{"nested_inline_3000", "{" + strings.Repeat(" ... on Query {", 3000) + " __typename" + strings.Repeat(" }", 3001), CodeDepthLimit},
		{"nested_list_10000", `{ people(idNumbers: ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `, purpose: "p") { name } }`, CodeDepthLimit},
		{"nested_object_5000", `mutation { apply(input: ` + strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000) + `) { id } }`, CodeDepthLimit},
		{"duplicate_fields_5000", duplicateFields(5000), CodeTokenLimit},
		{"duplicate_fields_501", duplicateFields(501), CodeFieldLimit},
		{"list_argument_5000_tokens", `{ people(idNumbers: [` + strings.Repeat(`"x" `, 5000) + `], purpose: "p") { name } }`, CodeTokenLimit},
	}
}

// duplicateFields is one selection set with n copies of the same field: valid, mergeable, and
// quadratic for every implementation of OverlappingFieldsCanBeMerged.
func duplicateFields(n int) string { return "{" + strings.Repeat(" __typename", n) + " }" }

func TestLimits(t *testing.T) {
	f, fx := newFake()
	deep, aliases, big := hostileQueries()
	complexQ := `{ applications(first: 100) { edges { node { id form { name source { platform } }
	  applicant(purpose: "x") { name licences { id attributes { name } provenance { conflicts { values { value } } } } } } } } }`
	tests := []struct {
		name   string
		opts   []Option
		body   any
		status int
		code   string
	}{
		{"depth_50", nil, q(deep, nil), 200, CodeDepthLimit},
		{"aliases_10000_default_body_limit", nil, q(aliases, nil), 413, CodeRequestTooLarge},
		{"aliases_10000_token_limit", []Option{WithLimits(Limits{MaxBodyBytes: 1 << 20, MaxDepth: 15, MaxAliases: 50, MaxComplexity: 10000, MaxList: 100})}, q(aliases, nil), 200, CodeTokenLimit},
		{"aliases_10000", []Option{WithLimits(Limits{MaxBodyBytes: 1 << 20, MaxDepth: 15, MaxAliases: 50, MaxComplexity: 10000, MaxList: 100, MaxTokens: 1 << 20, MaxFields: 1 << 20})}, q(aliases, nil), 200, CodeAliasLimit},
		{"body_5MB", nil, q(big, nil), 413, CodeRequestTooLarge},
		{"complexity", nil, q(complexQ, nil), 200, CodeComplexityLimit},
		{"first_101_literal", nil, q(`{ applications(first: 101) { edges { cursor } } }`, nil), 200, CodeListLimit},
		{"first_variable", nil, q(`query($n: Int) { applications(first: $n) { edges { cursor } } }`, map[string]any{"n": 1000}), 200, CodeListLimit},
		{"id_list_variable", nil, q(`query($ids: [String!]!) { people(idNumbers: $ids, purpose: "p") { name } }`, map[string]any{"ids": make([]string, 101)}), 200, CodeListLimit},
		{"parse_error", nil, q(`{ person(`, nil), 200, CodeParseFailed},
		{"validation_error", nil, q(`{ nosuchfield }`, nil), 200, CodeValidationFailed},
		{"missing_purpose", nil, q(`{ person(idNumber: "x") { name } }`, nil), 200, CodeValidationFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Handler(f, tc.opts...)
			status, r, raw := post(t, h, counterA(fx), tc.body)
			if status != tc.status || !r.hasCode(tc.code) {
				if len(raw) > 400 {
					raw = raw[:400]
				}
				t.Fatalf("status %d codes %v, want %d %s: %s", status, r.codes(), tc.status, tc.code, raw)
			}
			if r.Data != nil {
				t.Errorf("data present on a refused request")
			}
			if r.Errors[0].Message == "" {
				t.Errorf("empty message")
			}
		})
	}
	if n := f.peopleCalls.Load() + f.householdCalls.Load(); n != 0 {
		t.Errorf("refused requests reached the service %d times", n)
	}
	// The standard introspection query passes the default limits (the explorer sends it).
	_, r, raw := post(t, Handler(f), nil, map[string]any{"query": IntrospectionQuery})
	if len(r.Errors) > 0 {
		t.Fatalf("introspection refused: %.300s", raw)
	}
	// A nested introspection attack does not.
	_, r, _ = post(t, Handler(f), nil, q(`{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`, nil))
	if !r.hasCode(CodeComplexityLimit) {
		t.Errorf("nested introspection: codes %v", r.codes())
	}
	// The server stays healthy after the refusals.
	_, r, raw = post(t, Handler(f), counterA(fx), q(`{ person(idNumber: "`+fx.head+`", purpose: "x") { name } }`, nil))
	if dig(r.Data, "person", "name") != "王建国" {
		t.Fatalf("after refusals: %s", raw)
	}
}

// TestHostileDocuments sends each hostile document through the handler: each is refused with its
// code (before validation where the code is a limit), and the process stays up to answer a
// normal query afterwards.
func TestHostileDocuments(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	for _, tc := range hostileDocuments() {
		t.Run(tc.name, func(t *testing.T) {
			status, r, raw := post(t, h, counterA(fx), q(tc.query, nil))
			if status != http.StatusOK || !r.hasCode(tc.code) || r.Data != nil {
				t.Fatalf("status %d codes %v, want 200 %s: %.300s", status, r.codes(), tc.code, raw)
			}
			if r.Errors[0].Message == "" {
				t.Errorf("empty message")
			}
			// The same document through GET and with the GraphQL-over-HTTP media type.
			req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(tc.query), nil)
			req.Header.Set("Accept", "application/graphql-response+json")
			status, r, raw = send(t, Handler(f, WithLimits(Limits{MaxBodyBytes: 1 << 20, MaxDepth: 15, MaxAliases: 50, MaxComplexity: 10000, MaxList: 100})), counterA(fx), req)
			if status != http.StatusBadRequest || !r.hasCode(tc.code) {
				t.Fatalf("GET: status %d codes %v, want 400 %s: %.300s", status, r.codes(), tc.code, raw)
			}
		})
	}
	if n := f.peopleCalls.Load() + f.householdCalls.Load(); n != 0 {
		t.Errorf("refused requests reached the service %d times", n)
	}
	_, r, raw := post(t, h, counterA(fx), q(`{ person(idNumber: "`+fx.head+`", purpose: "x") { name } }`, nil))
	if dig(r.Data, "person", "name") != "王建国" {
		t.Fatalf("after refusals: %s", raw)
	}
}

// TestFieldLimitCountsFragmentsWhereSpread checks the field count of the screen: a fragment
// counts once for every place it is spread (and the spread as one more), so fragments cannot
// hide fields from the limit, and documents at the limit pass.
func TestFieldLimitCountsFragmentsWhereSpread(t *testing.T) {
	f, fx := newFake()
	lim := DefaultLimits()
	lim.MaxFields = 10
	h := Handler(f, WithLimits(lim))
	tests := []struct {
		name  string
		query string
		code  string // "" for accepted
	}{
		{"ten_fields", duplicateFields(10), ""},
		{"eleven_fields", duplicateFields(11), CodeFieldLimit},
		{"fragment_of_four_spread_twice", `{ ...F ... on Query { ...F } } fragment F on Query { ` + strings.Repeat("__typename ", 4) + `}`, ""},
		{"fragment_of_three_spread_three_times", `{ ...F ... on Query { ...F ...F } } fragment F on Query { ` + strings.Repeat("__typename ", 3) + `}`, CodeFieldLimit},
		{"nested_fields_count", `{ items { code name } items { code name } items { code name } items { code } }`, CodeFieldLimit},
		{"unused_fragment_too_big", `{ __typename } fragment F on Query { ` + strings.Repeat("__typename ", 11) + `}`, CodeFieldLimit},
		{"unused_fragments_add_up", `{ __typename } fragment F on Query { ` + strings.Repeat("__typename ", 5) + `} fragment G on Query { ` + strings.Repeat("__typename ", 5) + `}`, CodeFieldLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r, raw := post(t, h, counterA(fx), q(tc.query, nil))
			if tc.code == "" && len(r.Errors) > 0 || tc.code != "" && !r.hasCode(tc.code) {
				t.Fatalf("codes %v, want %q: %.300s", r.codes(), tc.code, raw)
			}
		})
	}
}

// TestOverlappingFieldsByGQLParser checks that field merging is still validated now that
// gqlparser's rule does it instead of graphql-go's, and that graphql-go runs every other rule.
func TestOverlappingFieldsByGQLParser(t *testing.T) {
	if len(graphqlGoRules) != len(graphql.SpecifiedRules)-1 {
		t.Fatalf("graphql-go rules: %d of %d", len(graphqlGoRules), len(graphql.SpecifiedRules))
	}
	f, fx := newFake()
	h := Handler(f)
	tests := []struct {
		name  string
		query string
		code  string // "" for accepted
	}{
		{"same_field_same_arguments", `{ person(idNumber: "` + fx.head + `", purpose: "p") { name } person(idNumber: "` + fx.head + `", purpose: "p") { sex } }`, ""},
		{"same_field_different_arguments", `{ person(idNumber: "a", purpose: "p") { name } person(idNumber: "b", purpose: "p") { name } }`, CodeValidationFailed},
		{"alias_on_two_fields", `{ x: __typename x: person(idNumber: "a", purpose: "p") { name } }`, CodeValidationFailed},
		{"conflict_through_fragment", `{ person(idNumber: "a", purpose: "p") { name } ...F } fragment F on Query { person(idNumber: "b", purpose: "p") { name } }`, CodeValidationFailed},
		{"variable_argument_240_copies", "query($a: String!) {" + strings.Repeat(` person(idNumber: $a, purpose: "p") { name }`, 240) + " }", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, r, raw := post(t, h, counterA(fx), q(tc.query, map[string]any{"a": fx.head}))
			if tc.code == "" && len(r.Errors) > 0 || tc.code != "" && !r.hasCode(tc.code) {
				t.Fatalf("codes %v, want %q: %.300s", r.codes(), tc.code, raw)
			}
			if tc.code != "" && !strings.Contains(r.Errors[0].Message, "conflict") {
				t.Fatalf("not a field-merging error: %.300s", raw)
			}
		})
	}
}

func TestDocumentCache(t *testing.T) {
	f, fx := newFake()
	h := Handler(f).(*handler)
	body := q(`query($id: String!) { person(idNumber: $id, purpose: "x") { name } }`, map[string]any{"id": fx.head})
	for range 3 {
		if _, r, raw := post(t, h, counterA(fx), body); len(r.Errors) > 0 {
			t.Fatal(raw)
		}
	}
	if n := h.cache.Len(); n != 1 {
		t.Fatalf("cache entries = %d, want 1", n)
	}
	key := sha256.Sum256([]byte(body["query"].(string)))
	e, ok := h.cache.Peek(key)
	if !ok {
		t.Fatal("query not cached")
	}
	before := e.doc
	post(t, h, counterA(fx), body)
	if e2, _ := h.cache.Peek(key); e2.doc != before {
		t.Fatal("document re-parsed on a cache hit")
	}
	// Bounded: a small cache evicts.
	small := Handler(f, WithCacheSize(2)).(*handler)
	for i := range 5 {
		post(t, small, counterA(fx), q(fmt.Sprintf(`{ item(code: "c%d") { code } }`, i), nil))
	}
	if n := small.cache.Len(); n != 2 {
		t.Fatalf("small cache entries = %d, want 2", n)
	}
}

func TestPersistedQueries(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	query := `{ item(code: "elderly_allowance") { code name } }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	c := counterA(fx)

	_, r, raw := post(t, h, c, map[string]any{"extensions": ext})
	if !r.hasCode(CodePersistedNotFound) || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %s", raw)
	}
	_, r, raw = post(t, h, c, map[string]any{"query": query, "extensions": ext})
	if dig(r.Data, "item", "name") != "高龄老人补贴" {
		t.Fatalf("register: %s", raw)
	}
	_, r, raw = post(t, h, c, map[string]any{"extensions": ext})
	if dig(r.Data, "item", "name") != "高龄老人补贴" {
		t.Fatalf("by hash: %s", raw)
	}
	// GET by hash, as Apollo clients do for queries.
	extJSON, _ := json.Marshal(ext)
	req := httptest.NewRequest(http.MethodGet, "/graphql?extensions="+url.QueryEscape(string(extJSON)), nil)
	_, r, raw = send(t, h, c, req)
	if dig(r.Data, "item", "code") != "elderly_allowance" {
		t.Fatalf("GET by hash: %s", raw)
	}
	bad := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}
	_, r, raw = post(t, h, c, map[string]any{"query": query, "extensions": bad})
	if !r.hasCode(CodePersistedHashMismatch) {
		t.Fatalf("mismatch: %s", raw)
	}
}

func TestHTTP(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	c := counterA(fx)
	t.Run("get_query", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`{ items(first: 2) { edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }`), nil)
		status, r, raw := send(t, h, c, req)
		if status != 200 || dig(r.Data, "items", "pageInfo", "hasNextPage") != true || len(asList(dig(r.Data, "items", "edges"))) != 2 {
			t.Fatalf("%d %s", status, raw)
		}
		after := dig(r.Data, "items", "pageInfo", "endCursor").(string)
		_, r, raw = post(t, h, c, q(`query($a: String) { items(first: 2, after: $a) { edges { node { code } } pageInfo { hasNextPage hasPreviousPage } } }`, map[string]any{"a": after}))
		if len(asList(dig(r.Data, "items", "edges"))) != 1 || dig(r.Data, "items", "pageInfo", "hasPreviousPage") != true {
			t.Fatalf("page 2: %s", raw)
		}
	})
	t.Run("first_from_variable", func(t *testing.T) {
		_, r, raw := post(t, h, c, q(`query($n: Int) { applications(first: $n) { edges { node { id } } pageInfo { hasNextPage } } }`, map[string]any{"n": 1}))
		if len(asList(dig(r.Data, "applications", "edges"))) != 1 || dig(r.Data, "applications", "pageInfo", "hasNextPage") != true {
			t.Fatalf("%s", raw)
		}
	})
	t.Run("get_mutation_refused", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`mutation { revoke(input: {permitId: "p-1", reason: "x"}) { id } }`), nil)
		status, r, raw := send(t, h, c, req)
		if status != http.StatusMethodNotAllowed || !r.hasCode(CodeMutationOverGET) {
			t.Fatalf("%d %s", status, raw)
		}
	})
	t.Run("explorer_offline", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql", nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", rec.Code, rec.Header())
		}
		for _, want := range []string{"运行 Run", "令牌 Token", "sessionStorage", "IntrospectionQuery", "变量 Variables"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, bad := range []string{"http://", "https://", "{{", "src="} {
			if strings.Contains(body, bad) {
				t.Errorf("page contains %q (must be self-contained)", bad)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("CSP = %q", csp)
		}
	})
	t.Run("problem_json", func(t *testing.T) {
		for _, tc := range []struct {
			method, ct, body string
			status           int
		}{
			{http.MethodPut, "application/json", "{}", 405},
			{http.MethodPost, "text/plain", "{}", 415},
			{http.MethodPost, "application/json", "{not json", 400},
			{http.MethodGet, "", "", 400},
		} {
			req := httptest.NewRequest(tc.method, "/graphql", strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var p map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/problem+json" || p["status"] != float64(tc.status) || p["request_id"] == "" {
				t.Errorf("%s %s: %d %s %v", tc.method, tc.ct, rec.Code, rec.Header().Get("Content-Type"), p)
			}
		}
	})
	t.Run("graphql_response_media_type", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ nosuch }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json")
		status, r, _ := send(t, h, c, req)
		if status != 400 || !r.hasCode(CodeValidationFailed) {
			t.Fatalf("status %d codes %v", status, r.codes())
		}
	})
}

func TestMutations(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	c := counterA(fx)
	_, r, raw := post(t, h, c, q(`mutation($in: ApplyInput!) { apply(input: $in) { id status itemCode applicantIdNumber form { name value } } }`,
		map[string]any{"in": map[string]any{"item": "senior_card", "applicantIdNumber": fx.son, "purpose": "senior_card"}}))
	id, _ := dig(r.Data, "apply", "id").(string)
	if id == "" || dig(r.Data, "apply", "status") != "DRAFT" || strings.Contains(raw, fx.son) {
		t.Fatalf("apply: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`mutation { confirm(input: {applicationId: "`+id+`", declined: ["name"], signature: "sig"}) { status form { name declined } } }`, nil))
	if dig(r.Data, "confirm", "status") != "IN_REVIEW" || dig(r.Data, "confirm", "form", 0, "declined") != true {
		t.Fatalf("confirm: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`mutation { review(input: {applicationId: "`+id+`", action: APPROVE, comment: "ok"}) { status permit { id status } reviews { action reviewer } } }`, nil))
	pid, _ := dig(r.Data, "review", "permit", "id").(string)
	if dig(r.Data, "review", "status") != "APPROVED" || pid == "" {
		t.Fatalf("review: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`mutation { revoke(input: {permitId: "`+pid+`", reason: "error"}) { status revocationReason application { id } } }`, nil))
	if dig(r.Data, "revoke", "status") != "REVOKED" || dig(r.Data, "revoke", "application", "id") != id {
		t.Fatalf("revoke: %s", raw)
	}
	// A second confirm conflicts with the state.
	_, r, _ = post(t, h, c, q(`mutation { confirm(input: {applicationId: "`+id+`"}) { status } }`, nil))
	if !r.hasCode(CodeConflict) {
		t.Fatalf("second confirm codes %v", r.codes())
	}
	// Apply for a resident of another village is refused.
	_, r, _ = post(t, h, c, q(`mutation { apply(input: {item: "senior_card", applicantIdNumber: "`+fx.bHead+`", purpose: "p"}) { id } }`, nil))
	if !r.hasCode(CodeForbidden) {
		t.Fatalf("foreign apply codes %v", r.codes())
	}
}

func TestApplicationView(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	_, r, raw := post(t, h, counterA(fx), q(`{ application(id: "app-1") {
	  id status itemCode item { name } applicantIdNumber
	  applicant(purpose: "elderly_allowance") { name age household { size } }
	  form { name value source { platform record } }
	  decision { eligible reasons revision item { code } }
	  awaiting { level division { level } }
	  division { name } } }`, nil))
	if len(r.Errors) > 0 {
		t.Fatal(raw)
	}
	if dig(r.Data, "application", "applicant", "name") != "王建国" || dig(r.Data, "application", "decision", "eligible") != true ||
		dig(r.Data, "application", "awaiting", "division", "level") != "WORK_AREA" || dig(r.Data, "application", "applicant", "household", "size") != float64(5) {
		t.Fatalf("%s", raw)
	}
	if strings.Contains(raw, fx.head) {
		t.Fatalf("full ID number in application view: %s", raw)
	}
	if age, _ := dig(r.Data, "application", "applicant", "age").(float64); age < 80 {
		t.Errorf("age = %v", age)
	}
}

func TestCancelledRequest(t *testing.T) {
	f, fx := newFake()
	f.delay = 200 * time.Millisecond
	h := Handler(f, WithTimeout(20*time.Millisecond))
	_, r, raw := post(t, h, counterA(fx), q(`{ person(idNumber: "`+fx.head+`", purpose: "x") { name } }`, nil))
	if len(r.Errors) == 0 {
		t.Fatalf("no error: %s", raw)
	}
	time.Sleep(250 * time.Millisecond) // let the fake's call finish before goleak looks
	_ = context.Background()
}

func TestInternalErrorsStayInternal(t *testing.T) {
	f, fx := newFake()
	f.panicHousehold = true
	f.itemsErr = fmt.Errorf("sqlite: disk I/O error at /var/lib/hub.db for %s", fx.head)
	var logs bytes.Buffer
	h := Handler(f, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	_, r, raw := post(t, h, counterA(fx), q(`{ household(id: "H1", purpose: "x") { id } item(code: "senior_card") { name } }`, nil))
	if len(r.Errors) != 2 {
		t.Fatalf("%s", raw)
	}
	for _, e := range r.Errors {
		if e.Extensions["code"] != CodeInternal || e.Message != "internal error 内部错误" {
			t.Errorf("error %+v", e)
		}
	}
	for _, bad := range []string{"sqlite", "panic", "nil map", fx.head} {
		if strings.Contains(raw, bad) {
			t.Errorf("response contains %q: %s", bad, raw)
		}
	}
	if !strings.Contains(logs.String(), "sqlite") || strings.Contains(logs.String(), fx.head) {
		t.Errorf("log should carry the cause with ID numbers masked: %s", logs.String())
	}
	// Still healthy.
	f.panicHousehold, f.itemsErr = false, nil
	if _, r, raw := post(t, h, counterA(fx), q(`{ household(id: "H1", purpose: "x") { id } }`, nil)); len(r.Errors) > 0 {
		t.Fatal(raw)
	}
}

func TestBodyLimitWithoutContentLength(t *testing.T) {
	f, fx := newFake()
	body, _ := json.Marshal(q(`{ __typename } #`+strings.Repeat("x", 5<<20), nil))
	req := httptest.NewRequest(http.MethodPost, "/graphql", io.MultiReader(bytes.NewReader(body))) // length unknown
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	status, r, _ := send(t, Handler(f), counterA(fx), req)
	if status != http.StatusRequestEntityTooLarge || !r.hasCode(CodeRequestTooLarge) {
		t.Fatalf("status %d codes %v", status, r.codes())
	}
}
