package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
)

// create posts one application for id with an Idempotency-Key.
func (e *hubEnv) create(token, item, id, key string) response {
	e.t.Helper()
	return e.do("POST", "/v1/applications", token, map[string]any{"item": item,
		"applicant": map[string]string{"id_number": id}, "purpose": "测试：重复申请"}, "Idempotency-Key", key)
}

// wantHeld checks r is the 409 refusal naming application appID (and permit permitID).
func wantHeld(t *testing.T, r response, appID, permitID string) {
	t.Helper()
	if r.status != 409 || r.body["type"] != "urn:sanmian:problem:already-held" || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("second application: %d %s, want 409 already-held", r.status, r.raw)
	}
	detail, _ := r.body["detail"].(string)
	if r.body["application_id"] != appID || !strings.Contains(detail, appID) || !strings.Contains(detail, "该居民") || !strings.Contains(detail, "The resident") {
		t.Fatalf("refusal does not name application %s in Chinese and English: %s", appID, r.raw)
	}
	if permitID != "" && (r.body["permit_id"] != permitID || !strings.Contains(detail, permitID)) {
		t.Fatalf("refusal does not name permit %s: %s", permitID, r.raw)
	}
	if permitID == "" && r.body["permit_id"] != nil {
		t.Fatalf("refusal names a permit for an open application: %s", r.raw)
	}
}

// TestOneApplicationPerResidentAndItem: a resident's open application or active permit holds
// a non-repeatable item; a rejection or a revocation frees it; repeatable items are not held.
func TestOneApplicationPerResidentAndItem(t *testing.T) {
	e := newHubEnv(t)

	t.Run("second_flow_other_key_refused_until_revoked", func(t *testing.T) {
		id, village := e.resident("elderly_allowance")
		counter := e.token("counter", village)
		first := e.create(counter, "elderly_allowance", id, "flow-a")
		if first.status != 201 {
			t.Fatalf("first: %d %s", first.status, first.raw)
		}
		appID := first.body["id"].(string)
		wantHeld(t, e.create(counter, "elderly_allowance", id, "flow-b"), appID, "")
		// The refusal is no result to replay: the same key is refused again, not replayed.
		if again := e.create(counter, "elderly_allowance", id, "flow-b"); again.status != 409 || again.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry of the refused request: %d %q", again.status, again.header.Get("Idempotent-Replayed"))
		}
		// Instant approval: an active permit holds the item too.
		r := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "sig"})
		if r.status != 200 || r.body["status"] != "approved" {
			t.Fatalf("confirm: %d %s", r.status, r.raw)
		}
		permitID := r.body["permit_id"].(string)
		wantHeld(t, e.create(counter, "elderly_allowance", id, "flow-c"), appID, permitID)
		// Another item is not held.
		if r := e.create(counter, "senior_card", id, "flow-d"); r.status != 201 {
			t.Fatalf("another item: %d %s", r.status, r.raw)
		}
		v, _ := division.Lookup(village)
		if r := e.do("POST", "/v1/permits/"+permitID+"/revoke", e.token("reviewer", v.Town), map[string]any{"reason": "测试撤销"}); r.status != 200 {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		if r := e.create(counter, "elderly_allowance", id, "flow-e"); r.status != 201 || r.body["id"] == appID {
			t.Fatalf("after revocation: %d %s", r.status, r.raw)
		}
	})

	t.Run("rejected_application_frees_the_resident", func(t *testing.T) {
		id, village := e.resident("rural_family_planning_reward")
		counter := e.token("counter", village)
		first := e.create(counter, "rural_family_planning_reward", id, "reject-a")
		if first.status != 201 {
			t.Fatalf("first: %d %s", first.status, first.raw)
		}
		appID := first.body["id"].(string)
		r := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "sig"})
		if r.status != 200 || r.body["status"] != "in_review" {
			t.Fatalf("confirm: %d %s", r.status, r.raw)
		}
		wantHeld(t, e.create(counter, "rural_family_planning_reward", id, "reject-b"), appID, "")
		// Returned to the counter it is still open, and still holds the resident.
		reviewer := e.token("reviewer", field(r.body, "awaiting.division").(string))
		if r := e.do("POST", "/v1/applications/"+appID+"/review", reviewer, map[string]any{"action": "return", "comment": "补充材料"}); r.status != 200 || r.body["status"] != "returned" {
			t.Fatalf("return: %d %s", r.status, r.raw)
		}
		wantHeld(t, e.create(counter, "rural_family_planning_reward", id, "reject-c"), appID, "")
		if r := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "sig"}); r.status != 200 {
			t.Fatalf("confirm again: %d %s", r.status, r.raw)
		}
		if r := e.do("POST", "/v1/applications/"+appID+"/review", reviewer, map[string]any{"action": "reject", "comment": "不符合条件"}); r.status != 200 || r.body["status"] != "rejected" {
			t.Fatalf("reject: %d %s", r.status, r.raw)
		}
		if r := e.create(counter, "rural_family_planning_reward", id, "reject-d"); r.status != 201 {
			t.Fatalf("after rejection: %d %s", r.status, r.raw)
		}
	})

	t.Run("repeatable_item_twice", func(t *testing.T) {
		id, village := e.resident("elderly_allowance")
		counter := e.token("counter", village)
		var ids []any
		for _, key := range []string{"temp-a", "temp-b"} {
			r := e.create(counter, "temporary_assistance", id, key)
			if r.status != 201 {
				t.Fatalf("temporary_assistance with key %s: %d %s", key, r.status, r.raw)
			}
			ids = append(ids, r.body["id"])
		}
		if ids[0] == ids[1] {
			t.Fatalf("one application for two requests: %v", ids)
		}
	})

	t.Run("concurrent_creations_one_succeeds", func(t *testing.T) {
		id, village := e.resident("senior_card")
		counter := e.token("counter", village)
		const n = 8
		rs := make([]response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				rs[i] = e.do("POST", "/v1/applications", counter, map[string]any{"item": "senior_card",
					"applicant": map[string]string{"id_number": id}, "purpose": "测试：并发申请"}, "Idempotency-Key", fmt.Sprintf("race-%d", i))
			})
		}
		wg.Wait()
		var winner string
		for _, r := range rs {
			if r.status == 201 {
				if winner != "" {
					t.Fatalf("two applications created: %s and %v", winner, r.body["id"])
				}
				winner = r.body["id"].(string)
			}
		}
		if winner == "" {
			t.Fatalf("no application created: %v", rs[0].raw)
		}
		for _, r := range rs {
			if r.status != 201 {
				wantHeld(t, r, winner, "")
			}
		}
	})
}

// TestIdempotencyKeyIsPerCaller: a stored result is never replayed to another caller, nor to
// the same caller once it may no longer read the application.
func TestIdempotencyKeyIsPerCaller(t *testing.T) {
	e := newHubEnv(t)
	id, village := e.resident("elderly_allowance")
	var other string
	for _, v := range division.Villages() {
		if v.Code != village {
			other = v.Code
			break
		}
	}
	mint := func(sub, jurisdiction string) string {
		tok, err := e.iss.Mint(auth.Caller{Subject: sub, Role: auth.RoleCounter, Jurisdiction: jurisdiction}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	body := map[string]any{"item": "elderly_allowance", "applicant": map[string]string{"id_number": id}, "purpose": "测试：幂等键"}
	first := e.do("POST", "/v1/applications", mint("counter-shared", village), body, "Idempotency-Key", "shared-key")
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	appID := first.body["id"].(string)

	for _, tc := range []struct {
		name  string
		token string
		body  map[string]any
		want  int
	}{
		// The same subject with another village's jurisdiction (the counter tokens `hub token`
		// used to mint all had one subject): the stored result shows an application of a
		// village it may not see.
		{"same_subject_other_village_same_request", mint("counter-shared", other), body, 403},
		// Another subject of another village, the same key and request: its own attempt, refused
		// for jurisdiction.
		{"other_subject_other_village_same_request", mint("counter-other", other), body, 403},
		// Another subject of the same village: its own attempt, refused because the resident
		// already holds the item (naming the application, which this caller may read).
		{"other_subject_same_village_same_request", mint("counter-colleague", village), body, 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/applications", tc.token, tc.body, "Idempotency-Key", "shared-key")
			if r.status != tc.want || r.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("%d (replayed %q) %s, want %d", r.status, r.header.Get("Idempotent-Replayed"), r.raw, tc.want)
			}
			if tc.want == 403 && strings.Contains(string(r.raw), appID) {
				t.Fatalf("the refusal shows the other caller's application: %s", r.raw)
			}
		})
	}
	// The original caller still gets its replay.
	again := e.do("POST", "/v1/applications", mint("counter-shared", village), body, "Idempotency-Key", "shared-key")
	if again.status != 201 || again.body["id"] != appID || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay to the original caller: %d %s", again.status, again.raw)
	}
	// A later confirmation by the shared subject from the other village is not replayed either.
	confirm := map[string]any{"signature": "sig"}
	if r := e.do("POST", "/v1/applications/"+appID+"/confirm", mint("counter-shared", village), confirm, "Idempotency-Key", "confirm-key"); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/applications/"+appID+"/confirm", mint("counter-shared", other), confirm, "Idempotency-Key", "confirm-key"); r.status != 403 {
		t.Fatalf("confirm replay to the other village: %d %s", r.status, r.raw)
	}
}
