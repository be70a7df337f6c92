package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql/language/parser"
)

// FuzzCostAnalysis runs the pre-execution checks on arbitrary documents: they see documents
// before validation (fragment cycles, unknown fields and types included) and must never panic.
func FuzzCostAnalysis(f *testing.F) {
	f.Add(householdQuery)
	f.Add(IntrospectionQuery)
	f.Add(`fragment A on Person { ...B } fragment B on Person { ...A } { person(idNumber: "x", purpose: "p") { ...A } }`)
	f.Add(`query($n: Int = 5) { applications(first: $n) { edges { node { id } } } }`)
	f.Add(`{ people(idNumbers: [], purpose: "") { nosuch { x } } ... on Query { __typename } }`)
	cs, err := compiled()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		done := make(chan struct{})
		defer close(done)
		go func() { // a hang must become a saved crasher, not a silent stall
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("hang on %q", q))
			}
		}()
		doc, err := parser.Parse(parser.ParseParams{Source: q})
		if err != nil {
			return
		}
		_ = checkStatic(doc, DefaultLimits())
		if op := operation(doc, ""); op != nil {
			_, _ = complexity(&cs.schema, cs.costs, doc, op, map[string]any{"n": 3.0, "ids": []any{"a"}}, DefaultLimits(), 1000)
		}
	})
}

// FuzzHandler sends arbitrary bodies: the answer is always JSON (GraphQL or problem), never a
// panic.
func FuzzHandler(f *testing.F) {
	f.Add(`{"query":"{ __typename }"}`)
	f.Add(`{"query":"{ person(idNumber: \"x\", purpose: \"p\") { name } }","variables":{"a":[1,2]}}`)
	f.Add(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"zz"}}}`)
	f.Add(`{"query":"mutation { apply(input: {}) { id } }","operationName":"x"}`)
	fake, fx := newFake()
	h := Handler(fake)
	c := counterA(fx)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(ContextWithCaller(req.Context(), *c))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "json") {
			t.Fatalf("content type %q", ct)
		}
	})
}

// FuzzDocument sends arbitrary GraphQL documents through the real handler as a counter cadre
// inside its jurisdiction, with a few variables the seeds use. Whatever the document, the
// process must stay up (no panic, no stack overflow, no hang) and the answer must be a
// well-formed GraphQL response: JSON with a data key (executed) or at least one error, every
// error with a message and a code.
func FuzzDocument(f *testing.F) {
	for _, tc := range hostileDocuments() {
		if len(tc.query) <= 8<<10 { // large seeds slow every mutation; small versions below
			f.Add(tc.query)
		}
	}
	for _, s := range []string{
		duplicateFields(600),
		strings.Repeat("{ a ", 60) + strings.Repeat("}", 60),
		"{" + strings.Repeat(" ... on Query {", 45) + " __typename" + strings.Repeat(" }", 46),
		`{ people(idNumbers: ` + strings.Repeat("[", 60) + strings.Repeat("]", 60) + `, purpose: "p") { name } }`,
		`mutation { apply(input: ` + strings.Repeat("{a: ", 60) + "1" + strings.Repeat("}", 60) + `) { id } }`,
	} {
		f.Add(s)
	}
	deep, _, _ := hostileQueries()
	for _, s := range []string{
		IntrospectionQuery, personQuery, householdQuery, deep,
		`{ __typename }`,
		`query($n: Int) { applications(first: $n) { edges { cursor node { id status } } } }`,
		`query($ids: [String!]!) { people(idNumbers: $ids, purpose: "p") { name village { code name } } }`,
		`{ applications(first: 100) { edges { node { id form { name source { platform } } applicant(purpose: "x") { name licences { id attributes { name } } } } } } }`,
		`{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`,
		`mutation($in: ApplyInput!) { apply(input: $in) { id status itemCode form { name value } } }`,
		`mutation { confirm(input: {applicationId: "a-1", declined: ["name"], signature: "sig"}) { status } }`,
		`query A { __typename } query B { ...F } fragment F on Query { items { code } }`,
		`{ person(idNumber: "x", purpose: "p") { ... on Person { name } ...P } } fragment P on Person { household { id } }`,
	} {
		f.Add(s)
	}
	fake, fx := newFake()
	h := Handler(fake)
	c := counterA(fx)
	vars := map[string]any{"id": fx.head, "n": 3, "ids": []string{fx.head}, "in": map[string]any{"item": "senior_card", "applicantIdNumber": fx.head, "purpose": "p"}}
	f.Fuzz(func(t *testing.T, doc string) {
		done := make(chan struct{})
		defer close(done)
		go func() { // a hang must become a saved crasher, not a silent stall
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("hang on %q", doc))
			}
		}()
		body, err := json.Marshal(map[string]any{"query": doc, "variables": vars})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(ContextWithCaller(req.Context(), *c))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusRequestEntityTooLarge && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("content type %q: %.300s", ct, rec.Body.String())
		}
		raw := rec.Body.Bytes()
		var keys map[string]json.RawMessage
		var resp struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(raw, &keys); err != nil {
			t.Fatalf("response is not a JSON object: %v: %.300s", err, raw)
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			t.Fatalf("errors are malformed: %v: %.300s", err, raw)
		}
		if _, ok := keys["data"]; !ok && len(resp.Errors) == 0 {
			t.Fatalf("neither data nor errors: %.300s", raw)
		}
		for k := range keys {
			if k != "data" && k != "errors" && k != "extensions" {
				t.Fatalf("unexpected key %q: %.300s", k, raw)
			}
		}
		for _, e := range resp.Errors {
			if code, _ := e.Extensions["code"].(string); e.Message == "" || code == "" {
				t.Fatalf("error without message or code: %.300s", raw)
			}
		}
	})
}
