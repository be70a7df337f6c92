package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sanmian/hub/clients"
)

// tokenOnly is a registry whose token endpoint refuses every secret but "good".
type tokenOnly struct{ Clients }

func (tokenOnly) Token(_ context.Context, id, secret, _ string) (clients.Token, error) {
	if secret != "good" {
		return clients.Token{}, clients.ErrInvalidClient
	}
	return clients.Token{AccessToken: "t-" + id, TokenType: "Bearer", ExpiresIn: 600}, nil
}

// TestTokenEndpointRateLimited: one client id from one address gets its burst, then 429
// with Retry-After and a problem document, granted or refused alike; the same id from
// another address is not affected; one address naming many ids is stopped by its own
// bucket; time refills the buckets.
func TestTokenEndpointRateLimited(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	lim := newTokenLimiter()
	lim.now = func() time.Time { return now }
	cr := clientRoutes{reg: tokenOnly{}, limit: lim}
	take := func(addr, id, secret string) *httptest.ResponseRecorder {
		body := fmt.Sprintf("grant_type=client_credentials&client_id=%s&client_secret=%s", id, secret)
		r := httptest.NewRequest(http.MethodPost, TokenPath, strings.NewReader(body))
		r.Header.Set("Content-Type", formType)
		r.RemoteAddr = addr + ":40000"
		w := httptest.NewRecorder()
		cr.token(w, r)
		return w
	}
	for i := range TokenBurstPerClient {
		secret := "good"
		if i%2 == 1 {
			secret = "bad" // refusals count too
		}
		if w := take("10.0.0.1", "app_a", secret); w.Code != http.StatusOK && w.Code != http.StatusUnauthorized {
			t.Fatalf("request %d within the burst: %d %s", i, w.Code, w.Body)
		}
	}
	w := take("10.0.0.1", "app_a", "good")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		t.Fatalf("over the client's burst: %d %v %s", w.Code, w.Header(), w.Body)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Type != "urn:sanmian:problem:rate-limited" || p.Status != 429 {
		t.Fatalf("problem document %s (%v)", w.Body, err)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatal("429 without Cache-Control: no-store")
	}
	if w := take("10.0.0.2", "app_a", "good"); w.Code != http.StatusOK {
		t.Fatalf("the same client id from another address: %d", w.Code)
	}
	now = now.Add(time.Second) // 2 requests per second refill
	for i := range 2 {
		if w := take("10.0.0.1", "app_a", "good"); w.Code != http.StatusOK {
			t.Fatalf("refilled request %d: %d", i, w.Code)
		}
	}
	if w := take("10.0.0.1", "app_a", "good"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("after the refill is used: %d", w.Code)
	}

	// One address naming a new client id each time meets its address bucket.
	for i := range TokenBurstPerAddr {
		if w := take("10.0.0.9", fmt.Sprintf("app_%d", i), "bad"); w.Code != http.StatusUnauthorized {
			t.Fatalf("request %d within the address burst: %d", i, w.Code)
		}
	}
	if w := take("10.0.0.9", "app_new", "good"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("over the address burst: %d", w.Code)
	}
}
