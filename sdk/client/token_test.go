package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenSource: the source authenticates with HTTP Basic, keeps a token until the last
// tenth of its lifetime, and reports the endpoint's refusals (RFC 6749 errors and 429).
func TestTokenSource(t *testing.T) {
	var calls atomic.Int64
	var mode atomic.Value
	mode.Store("ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		id, secret, ok := r.BasicAuth()
		// RFC 6749 section 2.3.1: both are form-encoded before they are joined.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if r.URL.Path != "/oauth/token" || !ok || id != "app_1" || secret != "smcs_s+cret" || r.FormValue("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_request"}`)
			return
		}
		switch mode.Load() {
		case "revoked":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
		case "limited":
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"type":"urn:sanmian:problem:rate-limited","title":"Too many","status":429,"detail":"slow down"}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":600,"scope":"elderly_allowance"}`, n)
		}
	}))
	defer srv.Close()
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	ts := &TokenSource{HubURL: srv.URL, ClientID: "app_1", ClientSecret: "smcs_s+cret", Now: func() time.Time { return now }}
	ctx := context.Background()
	for range 3 {
		if tok, err := ts.Token(ctx); err != nil || tok != "tok-1" {
			t.Fatalf("Token = %q, %v", tok, err)
		}
	}
	now = now.Add(539 * time.Second) // renewed from 540 s (the last tenth of 600 s)
	if tok, _ := ts.Token(ctx); tok != "tok-1" {
		t.Fatalf("renewed early: %q", tok)
	}
	now = now.Add(time.Second)
	if tok, _ := ts.Token(ctx); tok != "tok-2" {
		t.Fatalf("not renewed in the last tenth: %q", tok)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err := ts.Authorize(ctx, req); err != nil || req.Header.Get("Authorization") != "Bearer tok-2" {
		t.Fatalf("Authorize: %v %q", err, req.Header.Get("Authorization"))
	}

	var te *TokenError
	ts.Invalidate()
	mode.Store("revoked")
	if _, err := ts.Token(ctx); !errors.As(err, &te) || te.Status != 401 || te.Code != "invalid_client" || te.Description == "" {
		t.Fatalf("revoked: %v", err)
	}
	mode.Store("limited")
	if _, err := ts.Token(ctx); !errors.As(err, &te) || te.Status != 429 || te.RetryAfter != 7*time.Second || te.Description != "slow down" {
		t.Fatalf("rate limited: %v %+v", err, te)
	}
}
