package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

const formType = "application/x-www-form-urlencoded"

func TestParseTokenRequest(t *testing.T) {
	for _, tc := range []struct {
		name, authz, ctype, query, body string
		want                            tokenRequest
		status                          int
		code                            string
	}{
		{name: "basic", authz: basic("app_1", "s+cret/="), ctype: formType, body: "grant_type=client_credentials&scope=a+b",
			want: tokenRequest{ClientID: "app_1", Secret: "s+cret/=", Scope: "a b", Basic: true}},
		{name: "post", ctype: formType + "; charset=utf-8", body: "grant_type=client_credentials&client_id=app_1&client_secret=x",
			want: tokenRequest{ClientID: "app_1", Secret: "x"}},
		{name: "basic_with_matching_client_id", authz: basic("app_1", "x"), ctype: formType, body: "grant_type=client_credentials&client_id=app_1",
			want: tokenRequest{ClientID: "app_1", Secret: "x", Basic: true}},
		{name: "json_body", ctype: "application/json", body: `{"grant_type":"client_credentials"}`, status: 400, code: "invalid_request"},
		{name: "no_grant_type", ctype: formType, body: "client_id=a&client_secret=b", status: 400, code: "invalid_request"},
		{name: "password_grant", ctype: formType, body: "grant_type=password&client_id=a&client_secret=b", status: 400, code: "unsupported_grant_type"},
		{name: "repeated_parameter", ctype: formType, body: "grant_type=client_credentials&client_id=a&client_id=b&client_secret=c", status: 400, code: "invalid_request"},
		{name: "query_parameters", ctype: formType, query: "client_secret=x", body: "grant_type=client_credentials", status: 400, code: "invalid_request"},
		{name: "two_methods", authz: basic("a", "b"), ctype: formType, body: "grant_type=client_credentials&client_secret=b", status: 400, code: "invalid_request"},
		{name: "basic_client_id_mismatch", authz: basic("a", "b"), ctype: formType, body: "grant_type=client_credentials&client_id=c", status: 400, code: "invalid_request"},
		{name: "no_credentials", ctype: formType, body: "grant_type=client_credentials", status: 401, code: "invalid_client"},
		{name: "bearer_scheme", authz: "Bearer x", ctype: formType, body: "grant_type=client_credentials", status: 401, code: "invalid_client"},
		{name: "basic_not_base64", authz: "Basic !!!", ctype: formType, body: "grant_type=client_credentials", status: 401, code: "invalid_client"},
		{name: "basic_without_colon", authz: "Basic " + base64.StdEncoding.EncodeToString([]byte("abc")), ctype: formType, body: "grant_type=client_credentials", status: 401, code: "invalid_client"},
		{name: "malformed_form", ctype: formType, body: "grant_type=client_credentials&%zz", status: 400, code: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, oe := parseTokenRequest(tc.authz, tc.ctype, tc.query, []byte(tc.body))
			if tc.code != "" {
				if oe == nil || oe.Code != tc.code || oe.status != tc.status {
					t.Fatalf("got %+v, want %d %s", oe, tc.status, tc.code)
				}
				return
			}
			if oe != nil || got != tc.want {
				t.Fatalf("got %+v %+v, want %+v", got, oe, tc.want)
			}
		})
	}
}

// FuzzParseTokenRequest: any input gives either a request with a client id and secret or an
// RFC 6749 error of a known code with a matching status, never a panic; a secret never
// appears in an error description.
func FuzzParseTokenRequest(f *testing.F) {
	f.Add(basic("app_1", "smcs_secret"), formType, "", "grant_type=client_credentials&scope=elderly_allowance")
	f.Add("", formType, "", "grant_type=client_credentials&client_id=a&client_secret=b")
	f.Add("Basic Og==", formType+"; charset=utf-8", "", "grant_type=client_credentials")
	f.Add("", "application/json", "", `{"grant_type":"client_credentials"}`)
	f.Add("", formType, "a=b", "grant_type=client_credentials&grant_type=x&%zz=%")
	codes := map[string]int{"invalid_request": 400, "unsupported_grant_type": 400, "invalid_client": 401}
	f.Fuzz(func(t *testing.T, authz, ctype, query, body string) {
		tr, oe := parseTokenRequest(authz, ctype, query, []byte(body))
		if oe != nil {
			if want, ok := codes[oe.Code]; !ok || want != oe.status {
				t.Fatalf("error %q with status %d", oe.Code, oe.status)
			}
			if tr.Secret != "" && len(tr.Secret) > 3 && strings.Contains(oe.Description, tr.Secret) {
				t.Fatalf("description %q quotes the secret", oe.Description)
			}
			return
		}
		if tr.ClientID == "" || tr.Secret == "" {
			t.Fatalf("accepted without credentials: %+v", tr)
		}
		if query != "" {
			t.Fatal("accepted parameters in the query")
		}
		if form, err := url.ParseQuery(body); err != nil || form.Get("grant_type") != "client_credentials" {
			t.Fatalf("accepted body %q", body)
		}
	})
}

func TestTokenErrorHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		e      *oauthError
		wwwAut bool
	}{
		{"invalid_client_challenges", oauthErr(http.StatusUnauthorized, "invalid_client", ""), true},
		{"invalid_scope_does_not", oauthErr(http.StatusBadRequest, "invalid_scope", ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &headerRecorder{h: http.Header{}}
			writeOAuthError(w, tc.e)
			if (w.h.Get("WWW-Authenticate") != "") != tc.wwwAut || w.status != tc.e.status {
				t.Fatalf("status %d headers %v", w.status, w.h)
			}
		})
	}
}

type headerRecorder struct {
	h      http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(s int)           { r.status = s }
