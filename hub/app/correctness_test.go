package app_test

import (
	"strings"
	"testing"

	"sanmian/hub/division"
)

// TestUnknownResidentIsNotFound: a valid ID number that is on no platform's roll is a 404
// problem on REST ("not on the resident roll", Chinese and English) and NOT_FOUND on GraphQL,
// for both the application and the person lookup; never "the platform did not answer".
func TestUnknownResidentIsNotFound(t *testing.T) {
	e := newHubEnv(t)
	village := division.Villages()[0].Code
	counter := e.token("counter", village)
	const unknown = "11010519491231002X" // valid check character, born in Beijing: not in the district

	r := e.do("POST", "/v1/applications", counter, map[string]any{
		"item": "senior_card", "applicant": map[string]string{"id_number": unknown}, "purpose": "测试：未登记居民"},
		"Idempotency-Key", "unknown-resident-1")
	if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("POST /v1/applications for an unknown resident: %d %s, want a 404 problem", r.status, r.raw)
	}
	if typ, _ := r.body["type"].(string); !strings.HasSuffix(typ, "resident-not-found") {
		t.Errorf("problem type %q, want ...resident-not-found", typ)
	}
	detail, _ := r.body["detail"].(string)
	if !strings.Contains(detail, "resident roll") || !strings.Contains(detail, "查无") || r.body["request_id"] == "" {
		t.Errorf("problem detail %q does not say (in English and Chinese) that the person is not on the roll", detail)
	}

	for _, tc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"apply", `mutation($in: ApplyInput!) { apply(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"item": "senior_card", "applicantIdNumber": unknown, "purpose": "测试：未登记居民"}}},
		{"person", `query($id: String!) { person(idNumber: $id, purpose: "测试：未登记居民") { name } }`,
			map[string]any{"id": unknown}},
	} {
		t.Run("graphql_"+tc.name, func(t *testing.T) {
			g := e.do("POST", "/graphql", counter, map[string]any{"query": tc.query, "variables": tc.vars})
			errs, _ := g.body["errors"].([]any)
			if g.status != 200 || len(errs) != 1 {
				t.Fatalf("%d %s, want one error", g.status, g.raw)
			}
			code := field(errs[0].(map[string]any), "extensions.code")
			if code != "NOT_FOUND" {
				t.Fatalf("GraphQL %s for an unknown resident: code %v (%s), want NOT_FOUND", tc.name, code, g.raw)
			}
		})
	}
}
