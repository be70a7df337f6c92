package schema

import (
	"bytes"
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
