package app_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/connectors/sim"
	"sanmian/hub/app"
	"sanmian/hub/app/apptest"
	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/seal"
	"sanmian/hub/store"
)

// hubEnv is a real hub (SQLite in a temp dir, the real policy bundle, real connectors)
// over real simulated platforms, served on a loopback HTTP server.
type hubEnv struct {
	t   *testing.T
	url string
	sim *sim.Platforms
	app *app.App
	iss *auth.Issuer
	key ed25519.PrivateKey
	hub *apptest.Hub
}

func newHubEnv(t *testing.T) *hubEnv {
	t.Helper()
	h := apptest.Start(t, apptest.Options{})
	return &hubEnv{t: t, url: h.URL, sim: h.Sim, app: h.App, iss: h.Issuer, key: h.Key, hub: h}
}

// token mints a caller token with the test issuer.
func (e *hubEnv) token(role, jurisdiction string, scope ...string) string {
	e.t.Helper()
	return e.hub.Token(e.t, role, jurisdiction, scope...)
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (e *hubEnv) do(method, path, token string, body any, hdr ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// resident finds a living resident of the synthetic district that the real policy finds
// eligible for item, with the village it lives in (district view), without applying for it.
func (e *hubEnv) resident(item string) (id, village string) {
	e.t.Helper()
	return e.hub.Eligible(e.t, item)
}

func field(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func TestFlowInstantApprovalPermitVerifyRevoke(t *testing.T) {
	e := newHubEnv(t)
	id, village := e.resident("elderly_allowance")
	counter := e.token("counter", village)

	r := e.do("POST", "/v1/applications", counter, map[string]any{"item": "elderly_allowance",
		"applicant": map[string]string{"id_number": id}, "purpose": "高龄补贴申请"}, "Idempotency-Key", "flow-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	appID := r.body["id"].(string)
	if got := field(r.body, "applicant.id_number").(string); got == id || !strings.Contains(got, "********") {
		t.Fatalf("applicant ID number not masked: %q", got)
	}
	if strings.Contains(string(r.raw), id) {
		t.Fatal("the response contains the full ID number")
	}
	if field(r.body, "decision.instant") != true || field(r.body, "status") != "draft" {
		t.Fatalf("decision %v status %v", r.body["decision"], r.body["status"])
	}
	fields := field(r.body, "form.fields").([]any)
	var filled int
	for _, f := range fields {
		fm := f.(map[string]any)
		if fm["source"] != nil {
			filled++
			if src := fm["source"].(map[string]any); src["platform"] == "" || src["record"] == "" || src["fetched_at"] == "" {
				t.Errorf("field %v has incomplete provenance %v", fm["name"], src)
			}
		}
	}
	if filled < 3 {
		t.Fatalf("only %d fields pre-filled: %s", filled, r.raw)
	}

	r = e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "data:image/png;base64,AAAA"})
	if r.status != 200 || r.body["status"] != "approved" || r.body["permit_id"] == nil {
		t.Fatalf("confirm (instant approval): %d %s", r.status, r.raw)
	}
	permitID := r.body["permit_id"].(string)
	r = e.do("GET", "/v1/permits/"+permitID, counter, nil)
	if r.status != 200 || r.body["status"] != "active" {
		t.Fatalf("permit: %d %s", r.status, r.raw)
	}
	token := r.body["token"].(string)
	r = e.do("POST", "/v1/permits/verify", "", map[string]any{"token": token})
	if r.status != 200 || r.body["valid"] != true || r.body["status"] != "active" {
		t.Fatalf("verify: %d %s", r.status, r.raw)
	}
	// Offline, with the JWKS alone.
	jwks := e.do("GET", "/.well-known/jwks.json", "", nil)
	res, err := seal.VerifyJWKS(token, jwks.raw, time.Now())
	if err != nil || !res.Valid {
		t.Fatalf("offline verification: %+v %v", res, err)
	}

	// The printable page: Chinese, the QR code inline, the holder masked.
	pr := e.do("GET", "/v1/permits/"+permitID+"/print", counter, nil)
	page := string(pr.raw)
	if pr.status != 200 || !strings.HasPrefix(pr.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page, "高龄老人补贴") || !strings.Contains(page, "<svg") || strings.Contains(page, id) {
		t.Fatalf("print page: %d %s %.300s", pr.status, pr.header.Get("Content-Type"), page)
	}

	// Revocation by the town reviewer (the sealing office's level), visible through verify.
	v, _ := division.Lookup(village)
	reviewer := e.token("reviewer", v.Town)
	r = e.do("POST", "/v1/permits/"+permitID+"/revoke", reviewer, map[string]any{"reason": "测试撤销"})
	if r.status != 200 || r.body["status"] != "revoked" {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	r = e.do("POST", "/v1/permits/verify", "", map[string]any{"token": token})
	if r.body["valid"] != false || r.body["status"] != "revoked" {
		t.Fatalf("verify after revocation: %s", r.raw)
	}
	// The public status list says so too, verified with the JWKS alone.
	st := e.do("GET", "/v1/permits/status", "", nil)
	res, err = seal.VerifyJWKS(token, jwks.raw, time.Now(), seal.WithStatusListToken(string(st.raw)))
	if err != nil || res.Valid || res.Status != seal.StatusRevoked {
		t.Fatalf("offline verification with the status list: %+v %v", res, err)
	}

	// The resident's data-use record shows the lookup and its purpose.
	r = e.do("GET", "/v1/residents/"+id+"/data-use", counter, nil)
	if r.status != 200 || !strings.Contains(string(r.raw), "高龄补贴申请") {
		t.Fatalf("data use: %d %s", r.status, r.raw)
	}
}

func TestFlowThreeLevelReview(t *testing.T) {
	e := newHubEnv(t)
	id, village := e.resident("rural_family_planning_reward")
	v, _ := division.Lookup(village)
	wa, _ := division.WorkAreaOf(village)
	counter := e.token("counter", village)
	r := e.do("POST", "/v1/applications", counter, map[string]any{"item": "rural_family_planning_reward",
		"applicant": map[string]string{"id_number": id}, "purpose": "奖励扶助申请"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	appID := r.body["id"].(string)
	r = e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{
		"signature": "sig", "declined": []string{"hukou_type"}, "notes": map[string]string{"hukou_type": "户口簿原件已核验"}})
	if r.status != 200 || r.body["status"] != "in_review" || field(r.body, "awaiting.level") != "village" {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	for _, f := range field(r.body, "form.fields").([]any) {
		if fm := f.(map[string]any); fm["name"] == "hukou_type" && (fm["declined"] != true || fm["value"] != nil || fm["note"] != "户口簿原件已核验") {
			t.Fatalf("declined field not sent to manual entry: %v", fm)
		}
	}

	// The counter may not review; a town reviewer may not review at village level.
	if r := e.do("POST", "/v1/applications/"+appID+"/review", counter, map[string]any{"action": "approve"}); r.status != 403 {
		t.Fatalf("counter review: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/applications/"+appID+"/review", e.token("reviewer", v.Town), map[string]any{"action": "approve"}); r.status != 403 {
		t.Fatalf("town reviewer at village level: %d %s", r.status, r.raw)
	}
	steps := []struct{ jurisdiction, next string }{{village, "work_area"}, {wa.Code, "town"}, {v.Town, ""}}
	for _, s := range steps {
		r = e.do("POST", "/v1/applications/"+appID+"/review", e.token("reviewer", s.jurisdiction), map[string]any{"action": "approve", "comment": "同意"})
		if r.status != 200 {
			t.Fatalf("review by %s: %d %s", s.jurisdiction, r.status, r.raw)
		}
		if s.next != "" && field(r.body, "awaiting.level") != s.next {
			t.Fatalf("after %s: awaiting %v", s.jurisdiction, r.body["awaiting"])
		}
	}
	if r.body["status"] != "approved" {
		t.Fatalf("after the town: %s", r.raw)
	}
	p := e.do("GET", "/v1/permits/"+r.body["permit_id"].(string), counter, nil)
	res := e.do("POST", "/v1/permits/verify", "", map[string]any{"token": p.body["token"]})
	reviews, _ := field(res.body, "claims.reviews").([]any)
	if len(reviews) != 3 || field(res.body, "claims.iss") != v.Town {
		t.Fatalf("permit review chain %v issuer %v", reviews, field(res.body, "claims.iss"))
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newHubEnv(t)
	id, village := e.resident("senior_card")
	counter := e.token("counter", village)
	body := map[string]any{"item": "senior_card", "applicant": map[string]string{"id_number": id}, "purpose": "优待证"}
	a := e.do("POST", "/v1/applications", counter, body, "Idempotency-Key", "same-key")
	b := e.do("POST", "/v1/applications", counter, body, "Idempotency-Key", "same-key")
	if a.status != 201 || b.status != 201 || a.body["id"] != b.body["id"] || b.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v / %d %v %q", a.status, a.body["id"], b.status, b.body["id"], b.header.Get("Idempotent-Replayed"))
	}
	body["purpose"] = "另一个目的"
	if c := e.do("POST", "/v1/applications", counter, body, "Idempotency-Key", "same-key"); c.status != 422 {
		t.Fatalf("same key, different request: %d %s", c.status, c.raw)
	}
	// A confirmation retried with its key is replayed, not applied twice (which would fail:
	// the application is no longer a draft).
	appID := a.body["id"].(string)
	// Entering a value for a field the hub filled is refused; a manual field takes one.
	if r := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "sig",
		"values": map[string]string{"applicant_name": "别人"}}); r.status != 400 {
		t.Fatalf("overwriting a platform value: %d %s", r.status, r.raw)
	}
	confirm := map[string]any{"signature": "sig", "values": map[string]string{"phone": "0531-83212345"}}
	c1 := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, confirm, "Idempotency-Key", "confirm-1")
	c2 := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, confirm, "Idempotency-Key", "confirm-1")
	if c1.status != 200 || c2.status != 200 || c2.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(c1.raw, c2.raw) {
		t.Fatalf("confirm replay: %d / %d %q", c1.status, c2.status, c2.header.Get("Idempotent-Replayed"))
	}
	for _, f := range field(c1.body, "form.fields").([]any) {
		if fm := f.(map[string]any); fm["name"] == "phone" && (fm["value"] != "0531-83212345" || field(fm, "source.platform") != "counter") {
			t.Fatalf("entered value: %v", fm)
		}
	}
	if c3 := e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "sig"}); c3.status != 409 {
		t.Fatalf("confirming again without the key: %d, want 409", c3.status)
	}
	list := e.do("GET", "/v1/applications?item=senior_card", counter, nil)
	n := 0
	for _, app := range list.body["applications"].([]any) {
		if app.(map[string]any)["id"] == a.body["id"] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the application is listed %d times", n)
	}
}

func TestTokenRefusals(t *testing.T) {
	e := newHubEnv(t)
	village := division.Villages()[0].Code
	now := time.Now()
	claims := func(aud string, exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": auth.DemoIssuerName, "sub": "x", "aud": aud, "iat": now.Unix(), "exp": exp.Unix(),
			"role": "counter", "jurisdiction": village}
	}
	sign := func(c jwt.MapClaims, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(e.key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pub := e.key.Public().(ed25519.PublicKey)
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(auth.Audience, now.Add(time.Hour))).SignedString([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims(auth.Audience, now.Add(time.Hour)))
	cases := map[string]string{
		"alg_none":           enc([]byte(`{"alg":"none","typ":"JWT","kid":"`+auth.DemoKeyID+`"}`)) + "." + enc(payload) + ".",
		"hs256_public_key":   hs,
		"expired":            sign(claims(auth.Audience, now.Add(-time.Hour)), auth.DemoKeyID),
		"wrong_audience":     sign(claims("another-hub", now.Add(time.Hour)), auth.DemoKeyID),
		"unknown_kid":        sign(claims(auth.Audience, now.Add(time.Hour)), "no-such-key"),
		"garbage":            "not.a.token",
		"valid_for_contrast": sign(claims(auth.Audience, now.Add(time.Hour)), auth.DemoKeyID),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.do("GET", "/v1/applications", tok, nil)
			want := 401
			if name == "valid_for_contrast" {
				want = 200
			}
			if r.status != want {
				t.Fatalf("%d, want %d: %s", r.status, want, r.raw)
			}
			if want == 401 && (r.body["type"] != "urn:sanmian:problem:invalid-token" || r.header.Get("WWW-Authenticate") == "") {
				t.Fatalf("refusal not a problem document with WWW-Authenticate: %s", r.raw)
			}
		})
	}
}

func TestCrossVillageRefusalIsAudited(t *testing.T) {
	e := newHubEnv(t)
	id, village := e.resident("senior_card")
	var other string
	for _, v := range division.Villages() {
		if v.Code != village {
			other = v.Code
			break
		}
	}
	r := e.do("POST", "/v1/applications", e.token("counter", other), map[string]any{"item": "senior_card",
		"applicant": map[string]string{"id_number": id}, "purpose": "越权查询"})
	if r.status != 403 || r.body["type"] != "urn:sanmian:problem:forbidden" {
		t.Fatalf("cross-village create: %d %s", r.status, r.raw)
	}
	audit := e.do("GET", "/v1/audit/entries?limit=1000", e.token("auditor", division.DistrictCode), nil)
	if audit.status != 200 {
		t.Fatalf("audit: %d %s", audit.status, audit.raw)
	}
	found := false
	for _, en := range audit.body["entries"].([]any) {
		m := en.(map[string]any)
		if m["action"] == "refusal" && m["actor"] == "counter-"+other {
			found = true
		}
	}
	if !found {
		t.Fatalf("no refusal entry for the cross-village request in %s", audit.raw)
	}
	if strings.Contains(string(audit.raw), id) {
		t.Fatal("the audit listing shows a full ID number")
	}
}

func TestBadInputProblems(t *testing.T) {
	e := newHubEnv(t)
	village := division.Villages()[0].Code
	counter := e.token("counter", village)
	cases := []struct {
		name  string
		body  string
		ctype string
		want  int
		field string
	}{
		{"bad_check_character", `{"item":"senior_card","applicant":{"id_number":"110105194912310021"},"purpose":"p"}`, "application/json", 400, "applicant.id_number"},
		{"unknown_item", `{"item":"free_money","applicant":{"id_number":"11010519491231002X"},"purpose":"p"}`, "application/json", 400, "item"},
		{"missing_purpose", `{"item":"senior_card","applicant":{"id_number":"11010519491231002X"}}`, "application/json", 400, "purpose"},
		{"unknown_field", `{"item":"senior_card","applicant":{"id_number":"11010519491231002X"},"purpose":"p","extra":1}`, "application/json", 400, ""},
		{"not_json", `item=senior_card`, "application/json", 400, ""},
		{"wrong_media_type", `{}`, "text/plain", 415, ""},
		{"too_large", `{"purpose":"` + strings.Repeat("x", 600<<10) + `"}`, "application/json", 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", e.url+"/v1/applications", strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+counter)
			req.Header.Set("Content-Type", tc.ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != tc.want || resp.Header.Get("Content-Type") != "application/problem+json" || p["request_id"] == "" {
				t.Fatalf("%d %v, want %d problem", resp.StatusCode, p, tc.want)
			}
			if tc.field != "" && !strings.Contains(fmt.Sprint(p["errors"]), tc.field) {
				t.Fatalf("problem does not name %s: %v", tc.field, p)
			}
		})
	}
}

func TestConcurrentFinalApprovalsIssueOnePermit(t *testing.T) {
	e := newHubEnv(t)
	// An item without instant approval, reviewed up to the town.
	id, village := e.resident("rural_family_planning_reward")
	v, _ := division.Lookup(village)
	counter := e.token("counter", village)
	r := e.do("POST", "/v1/applications", counter, map[string]any{"item": "rural_family_planning_reward",
		"applicant": map[string]string{"id_number": id}, "purpose": "护理补贴"})
	appID := r.body["id"].(string)
	r = e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{"signature": "sig"})
	// Walk every level but the last.
	for r.body["status"] == "in_review" {
		level := field(r.body, "awaiting.level").(string)
		div := field(r.body, "awaiting.division").(string)
		if level == "town" {
			break
		}
		r = e.do("POST", "/v1/applications/"+appID+"/review", e.token("reviewer", div), map[string]any{"action": "approve"})
	}
	if r.body["status"] != "in_review" || field(r.body, "awaiting.division") != v.Town {
		t.Fatalf("not at the town level: %s", r.raw)
	}
	const n = 6
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each approval is a different reviewer of the town (different idempotency scope).
			tok, _ := e.iss.Mint(auth.Caller{Subject: fmt.Sprintf("town-reviewer-%d", i), Role: "reviewer", Jurisdiction: v.Town}, time.Hour)
			codes[i] = e.do("POST", "/v1/applications/"+appID+"/review", tok, map[string]any{"action": "approve"}).status
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
		default:
			t.Fatalf("unexpected status %d among %v", c, codes)
		}
	}
	if ok != 1 {
		t.Fatalf("%d approvals succeeded, want exactly 1: %v", ok, codes)
	}
	final := e.do("GET", "/v1/applications/"+appID, counter, nil)
	if final.body["status"] != "approved" || final.body["permit_id"] == nil {
		t.Fatalf("final state: %s", final.raw)
	}
	if rep, err := e.app.Store.VerifyAudit(t.Context(), mustKeys(t, e)); err != nil || !rep.Intact {
		t.Fatalf("audit chain after the race: %+v %v", rep, err)
	}
}

func mustKeys(t *testing.T, e *hubEnv) map[string]crypto.PublicKey {
	t.Helper()
	keys, err := store.AuditPublicKeys(t.Context(), e.app.Store)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
