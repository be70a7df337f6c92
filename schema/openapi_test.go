package schema

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sanmian/hub/service"
)

// TestOpenAPIDocumentsTheContract checks the document parses and names every path of the
// external contract (DESIGN.md section 3).
func TestOpenAPIDocumentsTheContract(t *testing.T) {
	b, err := OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	want := map[string][]string{
		"/healthz": {"get"}, "/readyz": {"get"}, "/metrics": {"get"}, "/openapi.json": {"get"},
		"/.well-known/jwks.json": {"get"}, "/v1/items": {"get"}, "/v1/items/{code}": {"get"},
		"/v1/applications": {"get", "post"}, "/v1/applications/{id}": {"get"},
		"/v1/applications/{id}/confirm": {"post"}, "/v1/applications/{id}/review": {"post"},
		"/v1/permits/{id}": {"get"}, "/v1/permits/{id}/print": {"get"}, "/v1/permits/verify": {"post"},
		"/v1/permits/{id}/revoke": {"post"}, "/v1/permits/status": {"get"}, "/graphql": {"post"},
		"/v1/audit/entries": {"get"}, "/v1/audit/checkpoint": {"get"},
		"/v1/residents/{id_number}/data-use": {"get"}, "/v1/worklists": {"get"},
		"/v1/webhooks/subscriptions": {"get", "post"}, "/v1/webhooks/subscriptions/{id}": {"delete"},
		"/v1/webhooks/deliveries": {"get"}, "/v1/webhooks/deliveries/{id}": {"get"},
		"/v1/webhooks/deliveries/{id}/redeliver": {"post"},
		"/v1/alerts":                             {"get"}, "/v1/alerts/{id}/resolve": {"post"},
		"/v1/worklists/{id}/contacts": {"get", "post"}, "/v1/worklists/{id}/application": {"post"},
	}
	for path, methods := range want {
		ops, ok := doc.Paths[path]
		if !ok {
			t.Errorf("path %s missing", path)
			continue
		}
		for _, m := range methods {
			if _, ok := ops[m]; !ok {
				t.Errorf("%s %s missing", strings.ToUpper(m), path)
			}
		}
	}
}

// TestOpenAPIOperationIDs: every operation has an operationId, unique in the document: it
// names the operation's method in the generated SDK (sdk/client).
func TestOpenAPIOperationIDs(t *testing.T) {
	b, err := OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			n++
			where := strings.ToUpper(method) + " " + path
			switch {
			case op.OperationID == "":
				t.Errorf("%s has no operationId", where)
			case seen[op.OperationID] != "":
				t.Errorf("%s and %s share operationId %s", seen[op.OperationID], where, op.OperationID)
			default:
				seen[op.OperationID] = where
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d operations read", n)
	}
}

// TestOpenAPIFindingSchemas: the worklist, alert and contact-log responses are named schemas
// (so the generated SDK has their types), and each schema names exactly the JSON members of
// the service type the server sends.
func TestOpenAPIFindingSchemas(t *testing.T) {
	b, err := OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	type schemaDoc struct {
		Ref        string         `json:"$ref"`
		Properties map[string]any `json:"properties"`
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema schemaDoc `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]schemaDoc `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, method, code, schema string }{
		{"/v1/worklists", "get", "200", "WorklistPage"},
		{"/v1/alerts", "get", "200", "AlertPage"},
		{"/v1/worklists/{id}/contacts", "get", "200", "ContactLog"},
		{"/v1/worklists/{id}/contacts", "post", "201", "Contact"},
		{"/v1/alerts/{id}/resolve", "post", "200", "Finding"},
	} {
		got := doc.Paths[c.path][c.method].Responses[c.code].Content["application/json"].Schema.Ref
		if got != "#/components/schemas/"+c.schema {
			t.Errorf("%s %s %s: schema %q, want %s", strings.ToUpper(c.method), c.path, c.code, got, c.schema)
		}
	}
	members := func(v any) []string {
		var out []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	for name, v := range map[string]any{
		"Finding": service.FindingView{}, "Contact": service.ContactView{}, "AlertResolution": service.ResolutionView{},
		"ReasonText": service.Reason{},
		"WorklistPage": struct {
			Candidates []service.FindingView `json:"candidates"`
			Next       string                `json:"next"`
		}{},
		"AlertPage": struct {
			Alerts []service.FindingView `json:"alerts"`
			Next   string                `json:"next"`
		}{},
		"ContactLog": struct {
			Contacts []service.ContactView `json:"contacts"`
		}{},
	} {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		got := slices.Sorted(maps.Keys(s.Properties))
		if want := members(v); !slices.Equal(got, want) {
			t.Errorf("schema %s has %v, the server sends %v", name, got, want)
		}
	}
}
