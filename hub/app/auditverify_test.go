package app_test

import (
	"testing"

	"sanmian/hub/division"
)

// TestAuditVerifyEndpoint: GET /v1/audit/verify walks the chain and its checkpoints for an
// auditor, is itself written to the audit log, and is refused (and the refusal audited) for
// a role without audit.read.
func TestAuditVerifyEndpoint(t *testing.T) {
	e := newHubEnv(t)
	auditor := e.token("auditor", division.DistrictCode)
	_, village := e.hub.Eligible(t, "elderly_allowance") // writes lookups and a decision

	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"auditor_verifies", auditor, 200},
		{"counter_is_refused", e.token("counter", village), 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/v1/audit/verify", tc.token, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status != 200 {
				return
			}
			if r.body["intact"] != true || r.body["entries"].(float64) < 2 || r.body["head_hash"] == "" {
				t.Fatalf("verification report %s", r.raw)
			}
		})
	}

	audit := e.do("GET", "/v1/audit/entries?limit=1000", auditor, nil)
	var verified, refused bool
	for _, en := range audit.body["entries"].([]any) {
		m := en.(map[string]any)
		if m["action"] == "verify" && m["actor"] == "auditor-"+division.DistrictCode {
			d, _ := m["details"].(map[string]any)
			verified = d["intact"] == true
		}
		if m["action"] == "refusal" && m["actor"] == "counter-"+village {
			refused = true
		}
	}
	if !verified || !refused {
		t.Fatalf("audit log: verification entry %v, refusal entry %v: %s", verified, refused, audit.raw)
	}
	// The verification entry itself verifies.
	if r := e.do("GET", "/v1/audit/verify", auditor, nil); r.body["intact"] != true {
		t.Fatalf("after the verification entry: %s", r.raw)
	}
}
