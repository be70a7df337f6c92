package app_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// tokenResp is the token endpoint's answer, with its status and headers.
type tokenResp struct {
	status int
	header http.Header
	body   map[string]any
}

// takeToken asks the token endpoint for a token: with HTTP Basic when basic is set
// (client_secret_basic), else with the credentials in the form (client_secret_post).
func (e *hubEnv) takeToken(id, secret string, basic bool, scope string) tokenResp {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), "POST", e.url+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := tokenResp{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		e.t.Fatalf("token endpoint answered %d with non-JSON %q", resp.StatusCode, raw)
	}
	return out
}

func (e *hubEnv) mustToken(id, secret string, basic bool) string {
	e.t.Helper()
	r := e.takeToken(id, secret, basic, "")
	if r.status != 200 {
		e.t.Fatalf("token (basic=%v): %d %v", basic, r.status, r.body)
	}
	return r.body["access_token"].(string)
}

func departmentUSCC(t *testing.T) string {
	t.Helper()
	u, err := ident.NewUSCC('1', '1', "370114", "MB0123456")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// registerApp registers a department app as admin and returns its id and secret.
func (e *hubEnv) registerApp(admin string, body map[string]any) (id, secret string) {
	e.t.Helper()
	r := e.do("POST", "/v1/clients", admin, body)
	if r.status != 201 {
		e.t.Fatalf("register: %d %s", r.status, r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		e.t.Errorf("registration answer without Cache-Control: no-store")
	}
	return r.body["client_id"].(string), r.body["client_secret"].(string)
}

func TestDepartmentAppClientCredentials(t *testing.T) {
	e := newHubEnv(t)
	admin := e.token("admin", "")
	uscc := departmentUSCC(t)
	app := map[string]any{"name": "区民政局养老服务系统", "uscc": uscc, "items": []string{"elderly_allowance"},
		"actions":    []string{"application.create", "application.read", "application.list"},
		"rate_limit": map[string]any{"requests_per_second": 100, "burst": 200}, "webhook_url": "https://mz.example.gov.cn/hooks/sanmian"}

	t.Run("registration_refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			token  string
			change map[string]any
			want   int
		}{
			{"counter_may_not_register", e.token("counter", "370114001201"), nil, 403},
			{"department_may_not_register", e.token("department", "", "*"), nil, 403},
			{"bad_uscc_check_character", admin, map[string]any{"uscc": uscc[:17] + string("0123456789ABCDEFGHJKLMNPQRTUWXY"[(strings.IndexByte("0123456789ABCDEFGHJKLMNPQRTUWXY", uscc[17])+1)%31])}, 400},
			{"unknown_item", admin, map[string]any{"items": []string{"no_such_item"}}, 400},
			{"action_not_for_departments", admin, map[string]any{"actions": []string{"application.review"}}, 400},
			{"webhook_plain_http", admin, map[string]any{"webhook_url": "http://mz.example.gov.cn/hook"}, 400},
			{"zero_rate", admin, map[string]any{"rate_limit": map[string]any{"requests_per_second": 0, "burst": 1}}, 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := map[string]any{}
				for k, v := range app {
					body[k] = v
				}
				for k, v := range tc.change {
					body[k] = v
				}
				if r := e.do("POST", "/v1/clients", tc.token, body); r.status != tc.want {
					t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.raw)
				}
			})
		}
	})

	id, secret := e.registerApp(admin, app)
	r := e.do("GET", "/v1/clients/"+id, admin, nil)
	if r.status != 200 || r.body["webhook_url"] != app["webhook_url"] || r.body["uscc"] != uscc || strings.Contains(string(r.raw), secret) {
		t.Fatalf("client view: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/v1/clients", admin, nil); r.status != 200 || len(r.body["clients"].([]any)) != 1 {
		t.Fatalf("client list: %d %s", r.status, r.raw)
	}

	var tok string
	t.Run("token_by_basic_and_post", func(t *testing.T) {
		for _, basic := range []bool{true, false} {
			r := e.takeToken(id, secret, basic, "")
			if r.status != 200 || r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(600) ||
				r.header.Get("Cache-Control") != "no-store" || !strings.Contains(r.body["scope"].(string), "elderly_allowance") {
				t.Fatalf("basic=%v: %d %v %v", basic, r.status, r.header, r.body)
			}
			tok = r.body["access_token"].(string)
		}
	})

	t.Run("token_refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name, id, secret, scope string
			basic                   bool
			status                  int
			code                    string
		}{
			{"wrong_secret_basic", id, secret + "x", "", true, 401, "invalid_client"},
			{"wrong_secret_post", id, "smcs_nope", "", false, 401, "invalid_client"},
			{"unknown_client", "app_unknown", secret, "", true, 401, "invalid_client"},
			{"scope_beyond_grant", id, secret, "senior_card", true, 400, "invalid_scope"},
			{"action_beyond_grant", id, secret, "application.confirm", true, 400, "invalid_scope"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.takeToken(tc.id, tc.secret, tc.basic, tc.scope)
				if r.status != tc.status || r.body["error"] != tc.code {
					t.Fatalf("%d %v, want %d %s", r.status, r.body, tc.status, tc.code)
				}
				if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
			})
		}
		if r := e.takeToken(id, secret, true, "application.read elderly_allowance"); r.status != 200 || r.body["scope"] != "elderly_allowance application.read" {
			t.Fatalf("narrowed scope: %d %v", r.status, r.body)
		}
	})

	// Within its items the app creates and reads; outside them it is refused.
	resID, village := e.resident("elderly_allowance")
	r = e.do("POST", "/v1/applications", tok, map[string]any{"item": "elderly_allowance",
		"applicant": map[string]string{"id_number": resID}, "purpose": "部门应用代办"}, "Idempotency-Key", "dept-app-1")
	if r.status != 201 {
		t.Fatalf("create within scope: %d %s", r.status, r.raw)
	}
	appID := r.body["id"].(string)
	if r := e.do("GET", "/v1/applications/"+appID, tok, nil); r.status != 200 {
		t.Fatalf("read within scope: %d %s", r.status, r.raw)
	}
	// A token narrowed to reading may not create: the actions in its scope limit it.
	reader := e.takeToken(id, secret, false, "application.read")
	if reader.status != 200 {
		t.Fatalf("narrowed token: %d %v", reader.status, reader.body)
	}
	readTok := reader.body["access_token"].(string)
	if r := e.do("GET", "/v1/applications/"+appID, readTok, nil); r.status != 200 {
		t.Fatalf("read with a read-only token: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/applications", readTok, map[string]any{"item": "elderly_allowance",
		"applicant": map[string]string{"id_number": resID}, "purpose": "部门应用代办"}, "Idempotency-Key", "dept-app-3"); r.status != 403 ||
		!strings.Contains(string(r.raw), "not among those granted") {
		t.Fatalf("create with a read-only token: %d %s", r.status, r.raw)
	}
	other, otherVillage := e.resident("senior_card")
	if r := e.do("POST", "/v1/applications", tok, map[string]any{"item": "senior_card",
		"applicant": map[string]string{"id_number": other}, "purpose": "部门应用代办"}, "Idempotency-Key", "dept-app-2"); r.status != 403 {
		t.Fatalf("create outside items: %d %s", r.status, r.raw)
	}
	counterApp := e.do("POST", "/v1/applications", e.token("counter", otherVillage), map[string]any{"item": "senior_card",
		"applicant": map[string]string{"id_number": other}, "purpose": "柜台办理"}, "Idempotency-Key", "counter-1")
	if counterApp.status != 201 {
		t.Fatalf("counter create: %d %s", counterApp.status, counterApp.raw)
	}
	if r := e.do("GET", "/v1/applications/"+counterApp.body["id"].(string), tok, nil); r.status != 403 {
		t.Fatalf("read outside items: %d %s", r.status, r.raw)
	}
	_ = village

	t.Run("rotation_overlap_then_retire", func(t *testing.T) {
		r := e.do("POST", "/v1/clients/"+id+"/secrets", admin, nil)
		if r.status != 201 || r.body["previous_secrets_expire_at"] == nil {
			t.Fatalf("rotate: %d %s", r.status, r.raw)
		}
		newSecret := r.body["client_secret"].(string)
		e.mustToken(id, secret, true)
		e.mustToken(id, newSecret, false)
		v := e.do("GET", "/v1/clients/"+id, admin, nil)
		secrets := v.body["secrets"].([]any)
		oldID := secrets[0].(map[string]any)["id"].(string)
		if r := e.do("DELETE", "/v1/clients/"+id+"/secrets/"+oldID, admin, nil); r.status != 204 {
			t.Fatalf("retire: %d %s", r.status, r.raw)
		}
		if r := e.takeToken(id, secret, true, ""); r.status != 401 {
			t.Fatalf("retired secret still works: %d %v", r.status, r.body)
		}
		if r := e.do("DELETE", "/v1/clients/"+id+"/secrets/sec_nope", admin, nil); r.status != 404 {
			t.Fatalf("retire unknown secret: %d %s", r.status, r.raw)
		}
		secret = newSecret
	})

	t.Run("revoke_refuses_existing_token_at_once", func(t *testing.T) {
		live := e.mustToken(id, secret, true)
		if r := e.do("GET", "/v1/applications/"+appID, live, nil); r.status != 200 {
			t.Fatalf("before revocation: %d %s", r.status, r.raw)
		}
		if r := e.do("POST", "/v1/clients/"+id+"/revoke", admin, nil); r.status != 200 || r.body["status"] != "revoked" {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		for _, tk := range []string{live, tok} {
			if r := e.do("GET", "/v1/applications/"+appID, tk, nil); r.status != 401 {
				t.Fatalf("revoked client's token: %d %s", r.status, r.raw)
			}
		}
		if r := e.takeToken(id, secret, true, ""); r.status != 401 || r.body["error"] != "invalid_client" {
			t.Fatalf("revoked client takes a token: %d %v", r.status, r.body)
		}
		if r := e.do("POST", "/v1/clients/"+id+"/secrets", admin, nil); r.status != 409 {
			t.Fatalf("rotate revoked: %d %s", r.status, r.raw)
		}
	})

	// Every registry change is in the audit chain.
	entries, err := e.app.Store.ListAudit(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, en := range entries {
		if en.Action == store.AuditClient {
			var d struct{ Op string }
			_ = json.Unmarshal(en.Details, &d)
			ops[d.Op]++
		}
	}
	for _, op := range []string{"register", "rotate", "retire_secret", "revoke"} {
		if ops[op] == 0 {
			t.Errorf("no audit entry for %s (have %v)", op, ops)
		}
	}
}

// TestDepartmentAppRateLimit: a burst over the client's limit gets 429s with Retry-After,
// and never a 5xx.
func TestDepartmentAppRateLimit(t *testing.T) {
	e := newHubEnv(t)
	admin := e.token("admin", "")
	id, secret := e.registerApp(admin, map[string]any{"name": "限流测试应用", "uscc": departmentUSCC(t),
		"items": []string{"elderly_allowance"}, "actions": []string{"application.list"},
		"rate_limit": map[string]any{"requests_per_second": 1, "burst": 5}})
	tok := e.mustToken(id, secret, true)

	const n = 40
	var (
		mu     sync.Mutex
		status = map[int]int{}
		wg     sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 8 {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", e.url+"/v1/applications?item=elderly_allowance", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				status[resp.StatusCode]++
				mu.Unlock()
				if resp.StatusCode == 429 {
					if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
						t.Errorf("429 with Retry-After %q", ra)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("429 content type %q", ct)
					}
				}
			}
		}()
	}
	wg.Wait()
	for code, c := range status {
		if code >= 500 {
			t.Errorf("%d responses with status %d", c, code)
		}
	}
	// The burst is 5 and the rate 1/s: of 40 requests in well under the time 35 more tokens
	// need, most are refused; the machine's speed moves only the few at the margin.
	if status[429] < n/2 || status[200] < 5 || status[200]+status[429] != n {
		t.Fatalf("statuses %v", status)
	}
	// Other callers are not limited by this client's bucket.
	if r := e.do("GET", "/v1/applications?item=elderly_allowance", e.token("department", "", "elderly_allowance"), nil); r.status != 200 {
		t.Fatalf("external department token: %d %s", r.status, r.raw)
	}
}
