package app_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sanmian/hub/division"
)

// update rewrites the golden files of TestResponseShapesGolden: go test ./hub/app -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// volatileKeys are the JSON members whose values differ from run to run (ids, times, tokens,
// request ids, digests, keys): the golden files show them as <name> or <name#n>, numbered by
// first appearance so that equal values stay visibly equal.
var volatileKeys = map[string]bool{
	"id": true, "application_id": true, "permit_id": true, "decision_id": true, "decisionId": true,
	"applicationId": true, "permitId": true, "jti": true, "token": true, "request_id": true,
	"hash": true, "prev_hash": true, "head_hash": true, "signature": true, "subject": true,
	"kid": true, "sub_digest": true, "input_digest": true, "inputDigest": true,
	"cursor": true, "endCursor": true, "startCursor": true, "next": true, "hld": true, "cnf": true,
	"sub": true,
}

// timeKeys are members that hold times (RFC 3339 strings or Unix seconds).
var timeKeys = map[string]bool{"iat": true, "exp": true, "nbf": true, "at": true}

// maskedID matches a 32-character hex id with a masked run of digits.
var maskedID = regexp.MustCompile(`[0-9a-f]*\*+[0-9a-f]*`)

// placeholderID matches the placeholder of an id.
var placeholderID = regexp.MustCompile(`<(id|permit_id|application_id)#[0-9]+>`)

// normaliser replaces volatile values consistently across one test's documents.
type normaliser struct {
	seen  map[string]string // value -> placeholder
	count map[string]int
}

func newNormaliser() *normaliser {
	return &normaliser{seen: map[string]string{}, count: map[string]int{}}
}

func isTimeKey(k string) bool {
	return timeKeys[k] || strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "At")
}

// register walks v and assigns a placeholder to every volatile string value.
func (n *normaliser) register(key string, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // placeholders are numbered in a stable order
		for _, k := range keys {
			n.register(k, x[k])
		}
	case []any:
		for _, e := range x {
			n.register(key, e)
		}
	case string:
		if x == "" || !volatileKeys[key] {
			return
		}
		if _, ok := n.seen[x]; !ok {
			n.count[key]++
			n.seen[x] = fmt.Sprintf("<%s#%d>", key, n.count[key])
		}
	}
}

// replace returns v with volatile values replaced: registered values wherever they occur
// (also inside text such as a problem's detail or instance), times by <time>.
func (n *normaliser) replace(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = n.replace(k, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = n.replace(key, e)
		}
		if key == "evidence" {
			// A permit's evidence digests are sorted by digest, which differs per run.
			sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
		}
		return out
	case string:
		if isTimeKey(key) && x != "" {
			return "<time>"
		}
		if key == "digest" {
			return "<digest>"
		}
		if p, ok := n.seen[x]; ok {
			return p
		}
		// Longest first, so a value containing another is replaced whole.
		vals := make([]string, 0, len(n.seen))
		for s := range n.seen {
			if len(s) >= 8 && strings.Contains(x, s) {
				vals = append(vals, s)
			}
		}
		sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
		for _, s := range vals {
			x = strings.ReplaceAll(x, s, n.seen[s])
		}
		if key != "instance" && key != "detail" {
			return x
		}
		// Text (a path, a message) names ids as "<id>": the hub masks runs of digits in text
		// that look like an ID number, which an id's hex digits sometimes do.
		x = maskedID.ReplaceAllStringFunc(x, func(m string) string {
			if len(m) == 32 {
				return "<id>"
			}
			return m
		})
		return placeholderID.ReplaceAllString(x, "<id>")
	case float64:
		if isTimeKey(key) {
			return "<time>"
		}
		if key == "seq" || key == "last_seq" || key == "status_index" || key == "idx" {
			return "<" + key + ">"
		}
	}
	return v
}

// golden is one recorded exchange: the status, the headers clients rely on, and the
// normalised body.
type golden struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Replayed    string `json:"idempotent_replayed,omitempty"`
	Body        any    `json:"body"`
}

func (n *normaliser) check(t *testing.T, name string, r response) {
	t.Helper()
	var body any
	if err := json.Unmarshal(r.raw, &body); err != nil {
		t.Fatalf("%s: not JSON: %d %.300s", name, r.status, r.raw)
	}
	n.register("", body)
	g := golden{Status: r.status, ContentType: r.header.Get("Content-Type"), Replayed: r.header.Get("Idempotent-Replayed"),
		Body: n.replace("", body)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run with -update to create it)", name, err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s: response differs from %s\n--- got ---\n%s", name, path, buf.Bytes())
	}
}

// TestResponseShapesGolden records the REST (and GraphQL) answers department apps and
// auditors build on (DESIGN.md section 3) against golden files, volatile values normalised:
// a refactoring of the service or the API that changes a member, a status or a problem type
// shows up here.
func TestResponseShapesGolden(t *testing.T) {
	e := newHubEnv(t)
	n := newNormaliser()
	n.seen[e.url] = "<hub>"
	id, village := e.resident("elderly_allowance")
	v, _ := division.Lookup(village)
	counter := e.token("counter", village)
	auditor := e.token("auditor", division.DistrictCode)
	var other string
	for _, dv := range division.Villages() {
		if dv.Code != village {
			other = dv.Code
			break
		}
	}
	gql := func(token, query string, vars map[string]any) response {
		return e.do("POST", "/graphql", token, map[string]any{"query": query, "variables": vars})
	}

	n.check(t, "item_get", e.do("GET", "/v1/items/elderly_allowance", "", nil))
	n.check(t, "item_unknown_problem", e.do("GET", "/v1/items/free_money", "", nil))

	create := map[string]any{"item": "elderly_allowance", "applicant": map[string]string{"id_number": id}, "purpose": "高龄补贴申请"}
	r := e.do("POST", "/v1/applications", counter, create, "Idempotency-Key", "golden-1")
	n.check(t, "application_create", r)
	appID, _ := r.body["id"].(string)
	n.check(t, "application_create_replayed", e.do("POST", "/v1/applications", counter, create, "Idempotency-Key", "golden-1"))
	create2 := map[string]any{"item": "elderly_allowance", "applicant": map[string]string{"id_number": id}, "purpose": "另一个目的"}
	n.check(t, "application_create_key_reuse_problem", e.do("POST", "/v1/applications", counter, create2, "Idempotency-Key", "golden-1"))
	n.check(t, "application_create_held_problem", e.do("POST", "/v1/applications", counter, create2))
	n.check(t, "application_create_forbidden_problem", e.do("POST", "/v1/applications", e.token("counter", other), create))
	n.check(t, "application_create_invalid_problem", e.do("POST", "/v1/applications", counter,
		map[string]any{"item": "elderly_allowance", "applicant": map[string]string{"id_number": "110105194912310021"}, "purpose": "p"}))
	n.check(t, "unauthenticated_problem", e.do("GET", "/v1/applications", "", nil))

	n.check(t, "application_get", e.do("GET", "/v1/applications/"+appID, counter, nil))
	n.check(t, "application_get_not_found_problem", e.do("GET", "/v1/applications/01ARZ3NDEKTSV4RRFFQ69G5FAV", counter, nil))
	n.check(t, "application_list", e.do("GET", "/v1/applications?division="+village+"&item=elderly_allowance", counter, nil))
	n.check(t, "application_list_invalid_problem", e.do("GET", "/v1/applications?status=pending", counter, nil))

	n.check(t, "application_graphql", gql(counter, `query($id: ID!) { application(id: $id) {
		id itemCode status applicantIdNumber division { code } awaiting { level }
		form { name label value declined source { platform endpoint record stale } }
		decision { id itemCode applicationId eligible reasons missing autofill instant revision }
		reviews { level action comment } permitId } }`, map[string]any{"id": appID}))

	confirm := map[string]any{"signature": "data:image/png;base64,AAAA"}
	r = e.do("POST", "/v1/applications/"+appID+"/confirm", counter, confirm, "Idempotency-Key", "golden-confirm")
	n.check(t, "application_confirm_instant", r)
	n.check(t, "application_confirm_replayed", e.do("POST", "/v1/applications/"+appID+"/confirm", counter, confirm, "Idempotency-Key", "golden-confirm"))
	n.check(t, "application_confirm_state_problem", e.do("POST", "/v1/applications/"+appID+"/confirm", counter, confirm))
	permitID, _ := r.body["permit_id"].(string)

	r = e.do("GET", "/v1/permits/"+permitID, counter, nil)
	n.check(t, "permit_get", r)
	token, _ := r.body["token"].(string)
	n.check(t, "permit_verify", e.do("POST", "/v1/permits/verify", "", map[string]any{"token": token}))
	n.check(t, "permit_get_forbidden_problem", e.do("GET", "/v1/permits/"+permitID, e.token("counter", other), nil))
	reviewer := e.token("reviewer", v.Town)
	revoke := map[string]any{"reason": "测试撤销"}
	n.check(t, "permit_revoke", e.do("POST", "/v1/permits/"+permitID+"/revoke", reviewer, revoke, "Idempotency-Key", "golden-revoke"))
	n.check(t, "permit_revoke_replayed", e.do("POST", "/v1/permits/"+permitID+"/revoke", reviewer, revoke, "Idempotency-Key", "golden-revoke"))
	n.check(t, "permit_revoke_state_problem", e.do("POST", "/v1/permits/"+permitID+"/revoke", reviewer, revoke))
	n.check(t, "permit_verify_revoked", e.do("POST", "/v1/permits/verify", "", map[string]any{"token": token}))

	// A reviewed item: confirm sends it to the village; a return sends it back.
	id2, village2 := e.resident("rural_family_planning_reward")
	counter2 := e.token("counter", village2)
	r = e.do("POST", "/v1/applications", counter2, map[string]any{"item": "rural_family_planning_reward",
		"applicant": map[string]string{"id_number": id2}, "purpose": "奖励扶助申请"})
	n.check(t, "application_create_reviewed_item", r)
	app2, _ := r.body["id"].(string)
	n.check(t, "application_confirm_to_review", e.do("POST", "/v1/applications/"+app2+"/confirm", counter2, map[string]any{
		"signature": "sig", "declined": []string{"hukou_type"}, "notes": map[string]string{"hukou_type": "户口簿原件已核验"}}))
	n.check(t, "application_review_forbidden_problem", e.do("POST", "/v1/applications/"+app2+"/review", counter2, map[string]any{"action": "approve"}))
	villageReviewer := e.token("reviewer", village2)
	n.check(t, "application_review_approve", e.do("POST", "/v1/applications/"+app2+"/review", villageReviewer,
		map[string]any{"action": "approve", "comment": "同意"}, "Idempotency-Key", "golden-review"))
	n.check(t, "application_review_replayed", e.do("POST", "/v1/applications/"+app2+"/review", villageReviewer,
		map[string]any{"action": "approve", "comment": "同意"}, "Idempotency-Key", "golden-review"))
	wa, _ := division.WorkAreaOf(village2)
	n.check(t, "application_review_return", e.do("POST", "/v1/applications/"+app2+"/review", e.token("reviewer", wa.Code),
		map[string]any{"action": "return", "comment": "请补充材料"}))
	n.check(t, "application_review_invalid_problem", e.do("POST", "/v1/applications/"+app2+"/review", e.token("reviewer", wa.Code),
		map[string]any{"action": "maybe"}))
	n.check(t, "application_graphql_reviewed", gql(counter2, `query($id: ID!) { application(id: $id) {
		id status awaiting { level } reviews { level action comment reviewer } decision { eligible reasons } } }`,
		map[string]any{"id": app2}))

	decisionID, _ := field(r.body, "decision.decision_id").(string)
	if decisionID == "" {
		var ar response = e.do("GET", "/v1/applications/"+app2, counter2, nil)
		decisionID, _ = field(ar.body, "decision.decision_id").(string)
	}
	n.check(t, "decision_graphql", gql(auditor, `query($id: ID!) { decision(id: $id) {
		id itemCode applicationId eligible reasons missing autofill instant revision
		replay { recordedRevision sameRevision inputIntact identical eligible reasons } } }`, map[string]any{"id": decisionID}))

	n.check(t, "data_use", e.do("GET", "/v1/residents/"+id+"/data-use", counter, nil))
	n.check(t, "data_use_forbidden_problem", e.do("GET", "/v1/residents/"+id+"/data-use", e.token("counter", other), nil))
	n.check(t, "data_use_graphql", gql(counter, `query($id: String!) { dataUse(idNumber: $id, first: 3) {
		edges { node { actor role action itemCode purpose } } pageInfo { hasNextPage } } }`, map[string]any{"id": id}))
	n.check(t, "audit_entries_forbidden_problem", e.do("GET", "/v1/audit/entries", counter, nil))
	// The last entries: those this test wrote (the eligibility checks that found the
	// residents come before them and depend on the district).
	all := e.do("GET", "/v1/audit/entries?limit=1000", auditor, nil)
	last, _ := all.body["last_seq"].(float64)
	if all.status != 200 || last == 0 {
		t.Fatalf("audit entries: %d %.300s", all.status, all.raw)
	}
	n.check(t, "audit_entries", e.do("GET", fmt.Sprintf("/v1/audit/entries?after=%d&limit=30", max(int64(last)-30, 0)), auditor, nil))
	// Structured reasons on GraphQL, as REST gives them (after the audit listing: a GraphQL
	// replay writes an audit entry).
	n.check(t, "decision_graphql_reason_details", gql(auditor, `query($id: ID!) { decision(id: $id) {
		reasons reasonDetails { code rule zh en } replay { reasonDetails { code rule zh en } } } }`, map[string]any{"id": decisionID}))
}
