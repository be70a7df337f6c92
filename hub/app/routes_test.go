package app_test

import (
	"slices"
	"testing"
)

// TestRoutesServed lists every method and pattern the hub serves (what `hub serve` and
// `hub demo` mount through app.New) and compares it with the external contract's list
// (DESIGN.md section 3), so a route can neither disappear nor appear unnoticed.
func TestRoutesServed(t *testing.T) {
	p := startPlatforms(t, envOptions{residents: 20})
	cfg, _ := hubConfig(t, t.TempDir(), p, "")
	cfg.PublicURL = "http://127.0.0.1"
	a, _ := startHub(t, cfg)

	want := []string{
		"/", // the not-found problem for every other path
		"/graphql",
		"DELETE /v1/clients/{id}/secrets/{sid}",
		"DELETE /v1/webhooks/subscriptions/{id}",
		"GET /.well-known/jwks.json",
		"GET /healthz",
		"GET /metrics",
		"GET /openapi.json",
		"GET /readyz",
		"GET /ui/",
		"GET /ui/division/{code}",
		"GET /v1/alerts",
		"GET /v1/applications",
		"GET /v1/applications/{id}",
		"GET /v1/audit/checkpoint",
		"GET /v1/audit/entries",
		"GET /v1/audit/verify",
		"GET /v1/clients",
		"GET /v1/clients/{id}",
		"GET /v1/decisions",
		"GET /v1/items",
		"GET /v1/items/{code}",
		"GET /v1/permits/status",
		"GET /v1/permits/{id}",
		"GET /v1/permits/{id}/print",
		"GET /v1/residents/{id_number}/data-use",
		"GET /v1/statistics",
		"GET /v1/webhooks/deliveries",
		"GET /v1/webhooks/deliveries/{id}",
		"GET /v1/webhooks/subscriptions",
		"GET /v1/whatif/{id}",
		"GET /v1/worklists",
		"GET /v1/worklists/{id}/contacts",
		"GET /{$}", // the counter web UI
		"POST /oauth/token",
		"POST /v1/alerts/{id}/resolve",
		"POST /v1/applications",
		"POST /v1/applications/{id}/confirm",
		"POST /v1/applications/{id}/review",
		"POST /v1/clients",
		"POST /v1/clients/{id}/revoke",
		"POST /v1/clients/{id}/secrets",
		"POST /v1/permits/verify",
		"POST /v1/permits/{id}/revoke",
		"POST /v1/webhooks/deliveries/{id}/redeliver",
		"POST /v1/webhooks/subscriptions",
		"POST /v1/whatif",
		"POST /v1/worklists/{id}/application",
		"POST /v1/worklists/{id}/contacts",
	}
	got := a.Server.Patterns()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("routes served:\n got %q\nwant %q", got, want)
	}
}
