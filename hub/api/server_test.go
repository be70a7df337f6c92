package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sanmian/hub/api"
)

func newTestServer(t *testing.T, setup func(*api.Server)) *httptest.Server {
	t.Helper()
	s := api.New(api.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if setup != nil {
		setup(s)
	}
	api.Routes(s, api.Parts{}) // the operations endpoints and the not-found fallback
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestHealthReadyMetrics(t *testing.T) {
	failing := true
	ts := newTestServer(t, func(s *api.Server) {
		s.AddCheck("store", func(ctx context.Context) error { return nil })
		s.AddCheck("policy", func(ctx context.Context) error {
			if failing {
				return errors.New("bundle not loaded")
			}
			return nil
		})
	})

	resp, body := get(t, ts.URL+"/healthz", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get(api.RequestIDHeader) == "" {
		t.Fatal("healthz: no request id header")
	}

	resp, body = get(t, ts.URL+"/readyz", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a failing check: got %d, want 503", resp.StatusCode)
	}
	var rd struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(body, &rd); err != nil {
		t.Fatal(err)
	}
	if rd.Status != "not_ready" || rd.Checks["policy"] != "failed" || rd.Checks["store"] != "ok" {
		t.Fatalf("readyz body: %+v", rd)
	}
	if strings.Contains(string(body), "bundle not loaded") {
		t.Fatalf("readyz shows a check's error text: %s", body)
	}

	failing = false
	resp, _ = get(t, ts.URL+"/readyz", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("readyz all ok: got %d", resp.StatusCode)
	}

	_, body = get(t, ts.URL+"/metrics", nil)
	for _, want := range []string{`sanmian_http_requests_total{code="503",method="GET",route="GET /readyz"} 1`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestProblemDocuments(t *testing.T) {
	ts := newTestServer(t, func(s *api.Server) {
		s.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	})
	cases := []struct {
		name, path string
		status     int
		typ        string
	}{
		{"unknown_path", "/v9/nothing", 404, "urn:sanmian:problem:not-found"},
		{"handler_panic", "/boom", 500, "urn:sanmian:problem:internal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, ts.URL+tc.path, map[string]string{api.RequestIDHeader: "caller-chosen-id-1"})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var p api.Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != tc.typ || p.Status != tc.status || p.Instance != tc.path || p.RequestID != "caller-chosen-id-1" {
				t.Fatalf("problem %+v", p)
			}
			if strings.Contains(string(body), "kaboom") {
				t.Fatal("internal panic text leaked to the client")
			}
		})
	}
}

func TestRequestIDRejectsHostileValues(t *testing.T) {
	ts := newTestServer(t, nil)
	resp, _ := get(t, ts.URL+"/healthz", map[string]string{api.RequestIDHeader: "<script>"})
	if id := resp.Header.Get(api.RequestIDHeader); id == "<script>" || len(id) != 24 {
		t.Fatalf("hostile request id not replaced: %q", id)
	}
}
