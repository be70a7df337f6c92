package resilience

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"sanmian/connectors"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fastConfig keeps tests quick: short waits, short attempt timeout.
func fastConfig() Config {
	return Config{RetryMax: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		RetryAfterMax: 20 * time.Millisecond, AttemptTimeout: 500 * time.Millisecond,
		BreakerFailures: 3, BreakerOpen: 100 * time.Millisecond}
}

// countingTransport counts CloseIdleConnections calls on the base transport.
type countingTransport struct {
	*http.Transport
	closes atomic.Int32
}

func (t *countingTransport) CloseIdleConnections() {
	t.closes.Add(1)
	t.Transport.CloseIdleConnections()
}

func newTestClient(t *testing.T, url string, cfg Config, opts ...Option) (*Client, *countingTransport) {
	t.Helper()
	ct := &countingTransport{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := New("test", url, cfg, append([]Option{WithTransport(ct)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, ct
}

// script serves the given statuses in order (repeating the last), with Retry-After on 429.
func script(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		st := statuses[min(i, len(statuses)-1)]
		if st == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(st)
		if st == http.StatusOK {
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		idempotent bool
		statuses   []int
		wantCalls  int32
		wantKind   error
		wantStatus int
	}{
		{"get_retried_after_5xx", http.MethodGet, false, []int{500, 502, 200}, 3, nil, 0},
		{"get_retry_budget_spent", http.MethodGet, false, []int{503}, 4, connectors.ErrUpstream, 503},
		{"post_not_retried_after_5xx", http.MethodPost, false, []int{500, 200}, 1, connectors.ErrUpstream, 500},
		{"idempotent_post_retried", http.MethodPost, true, []int{500, 200}, 2, nil, 0},
		{"post_retried_after_429", http.MethodPost, false, []int{429, 200}, 2, nil, 0},
		{"not_implemented_not_retried", http.MethodGet, false, []int{501}, 1, connectors.ErrUpstream, 501},
		{"not_found_is_an_answer", http.MethodGet, false, []int{404}, 1, connectors.ErrNotFound, 404},
		{"unauthorized_is_auth", http.MethodGet, false, []int{401}, 1, connectors.ErrAuth, 401},
		{"bad_request_is_invalid", http.MethodGet, false, []int{400}, 1, connectors.ErrInvalidRequest, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := script(t, tc.statuses...)
			c, ct := newTestClient(t, srv.URL, fastConfig())
			resp, err := c.Do(t.Context(), Request{Endpoint: "x", Method: tc.method, Body: []byte(`{}`), Idempotent: tc.idempotent})
			if got := n.Load(); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if tc.wantKind == nil {
				if err != nil || resp.Status != 200 || string(resp.Body) != `{"ok":true}` {
					t.Fatalf("Do = %v, %v", resp, err)
				}
				if resp.Attempts != int(tc.wantCalls) {
					t.Errorf("Attempts = %d, want %d", resp.Attempts, tc.wantCalls)
				}
			} else {
				var ce *connectors.Error
				if !errors.Is(err, tc.wantKind) || !errors.As(err, &ce) || ce.Status != tc.wantStatus {
					t.Fatalf("err = %v, want kind %v status %d", err, tc.wantKind, tc.wantStatus)
				}
				if resp == nil || resp.Status != tc.wantStatus {
					t.Errorf("the final response must be returned, got %v", resp)
				}
			}
			if ct.closes.Load() != 0 {
				t.Errorf("CloseIdleConnections reached the shared transport %d times", ct.closes.Load())
			}
		})
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	srv, n := script(t, 429, 429, 200) // Retry-After: 30 (seconds)
	c, _ := newTestClient(t, srv.URL, fastConfig())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Do(ctx, Request{Endpoint: "x"}); err != nil {
		t.Fatalf("Do: %v (calls %d)", err, n.Load())
	}
	if n.Load() != 3 {
		t.Errorf("calls = %d, want 3", n.Load())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false}, {"3", 3 * time.Second, true}, {"-1", 0, false}, {"soon", 0, false},
		{"99999999", time.Hour, true},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-5 * time.Second).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestJitteredBackoffBounds(t *testing.T) {
	for attempt := range 8 {
		for range 50 {
			d := jittered(10*time.Millisecond, 200*time.Millisecond, attempt)
			w := min(200*time.Millisecond, (10*time.Millisecond)<<attempt)
			if d < w/2 || d >= w {
				t.Fatalf("attempt %d: wait %v outside [%v, %v)", attempt, d, w/2, w)
			}
		}
	}
}

func TestBodyFaultsAreRetried(t *testing.T) {
	tests := []struct {
		name  string
		fault func(w http.ResponseWriter)
	}{
		{"truncated_body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			io.WriteString(w, `{"ok":`)
			// The handler returns with fewer bytes than announced: the client sees an
			// unexpected EOF.
		}},
		{"malformed_body", func(w http.ResponseWriter) {
			w.WriteHeader(200)
			io.WriteString(w, `{"ok":tru`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					tc.fault(w)
					return
				}
				io.WriteString(w, `{"ok":true}`)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv.URL, fastConfig())
			resp, err := c.Do(t.Context(), Request{Endpoint: "x"})
			if err != nil || resp.Attempts != 2 {
				t.Fatalf("Do = %+v, %v; want success on the second attempt", resp, err)
			}
		})
	}
}

func TestBodyFaultExhaustedIsDecodeError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, fastConfig())
	_, err := c.Do(t.Context(), Request{Endpoint: "x"})
	if !errors.Is(err, connectors.ErrDecode) {
		t.Fatalf("err = %v, want ErrDecode", err)
	}
}

func TestDecodeErrorRetriedThenTyped(t *testing.T) {
	srv, n := script(t, 200)
	c, _ := newTestClient(t, srv.URL, fastConfig())
	_, err := c.Do(t.Context(), Request{Endpoint: "x", Decode: func([]byte) error {
		return connectors.DecodeError("test", "x", "field %s: unknown value", "zt")
	}})
	if !errors.Is(err, connectors.ErrDecode) || n.Load() != 4 {
		t.Fatalf("err = %v after %d calls; want ErrDecode after 4", err, n.Load())
	}
	// Not idempotent: one attempt only.
	n.Store(0)
	_, err = c.Do(t.Context(), Request{Endpoint: "x", Method: http.MethodPost, Decode: func([]byte) error {
		return connectors.DecodeError("test", "x", "bad")
	}})
	if !errors.Is(err, connectors.ErrDecode) || n.Load() != 1 {
		t.Fatalf("POST: err = %v after %d calls; want ErrDecode after 1", err, n.Load())
	}
}

func TestAttemptTimeout(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	cfg := fastConfig()
	cfg.AttemptTimeout = 50 * time.Millisecond
	c, ct := newTestClient(t, srv.URL, cfg)
	resp, err := c.Do(t.Context(), Request{Endpoint: "x"})
	if err != nil || resp.Attempts != 2 {
		t.Fatalf("Do = %+v, %v; want success on the second attempt", resp, err)
	}
	if ct.closes.Load() != 0 {
		t.Error("CloseIdleConnections reached the shared transport")
	}
}

func TestCallerDeadlineAndCancel(t *testing.T) {
	srv, _ := script(t, 503)
	cfg := fastConfig()
	cfg.RetryWaitMin, cfg.RetryWaitMax = 200*time.Millisecond, time.Second
	c, ct := newTestClient(t, srv.URL, cfg)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, Request{Endpoint: "x"})
	if !errors.Is(err, connectors.ErrTimeout) {
		t.Fatalf("deadline: err = %v, want ErrTimeout", err)
	}
	ctx2, cancel2 := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel2)
	_, err = c.Do(ctx2, Request{Endpoint: "x"})
	if !errors.Is(err, connectors.ErrCanceled) {
		t.Fatalf("cancel: err = %v, want ErrCanceled", err)
	}
	if ct.closes.Load() != 0 {
		t.Error("CloseIdleConnections reached the shared transport")
	}
	if c.BreakerState() != "closed" {
		t.Error("a caller giving up must not count against the breaker")
	}
}

func TestUnreachablePlatform(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := newTestClient(t, "http://"+addr, fastConfig())
	_, err = c.Do(t.Context(), Request{Endpoint: "x", Method: http.MethodPost, Body: []byte(`{}`)})
	var ce *connectors.Error
	if !errors.Is(err, connectors.ErrUnavailable) || !errors.As(err, &ce) || ce.Attempts != 4 {
		t.Fatalf("err = %v; want ErrUnavailable after 4 attempts (dial errors are retried even for POST)", err)
	}
	if strings.Contains(err.Error(), "://") {
		t.Errorf("error leaks the URL: %v", err)
	}
}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if down.Load() {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	cfg := fastConfig()
	cfg.RetryMax = NoRetries
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newTestClient(t, srv.URL, cfg, WithMetrics(m))
	for range 3 {
		if _, err := c.Do(t.Context(), Request{Endpoint: "x"}); !errors.Is(err, connectors.ErrUpstream) {
			t.Fatalf("err = %v, want ErrUpstream", err)
		}
	}
	before := n.Load()
	start := time.Now()
	_, err = c.Do(t.Context(), Request{Endpoint: "x"})
	if el := time.Since(start); el > 50*time.Millisecond {
		t.Errorf("open circuit took %v to fail", el)
	}
	if !errors.Is(err, connectors.ErrCircuitOpen) || err.Error() != "connectors: test: circuit open" {
		t.Fatalf("err = %v, want circuit open", err)
	}
	if n.Load() != before {
		t.Error("an open circuit must not contact the platform")
	}
	if got := value(t, m.breaker.WithLabelValues("test")); got != 2 {
		t.Errorf("breaker gauge = %v, want 2 (open)", got)
	}
	down.Store(false)
	time.Sleep(cfg.BreakerOpen + 20*time.Millisecond)
	if _, err := c.Do(t.Context(), Request{Endpoint: "x"}); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if c.BreakerState() != "closed" {
		t.Errorf("state = %s, want closed after a successful probe", c.BreakerState())
	}
	if got := value(t, m.breaker.WithLabelValues("test")); got != 0 {
		t.Errorf("breaker gauge = %v, want 0 (closed)", got)
	}
}

func TestNotFoundAndAuthDoNotTripBreaker(t *testing.T) {
	srv, _ := script(t, 404, 404, 404, 404, 401, 401, 401, 401)
	c, _ := newTestClient(t, srv.URL, fastConfig())
	for range 8 {
		c.Do(t.Context(), Request{Endpoint: "x"})
	}
	if c.BreakerState() != "closed" {
		t.Fatalf("state = %s, want closed", c.BreakerState())
	}
}

func TestRateLimitAppliesToEveryAttempt(t *testing.T) {
	srv, n := script(t, 500, 500, 500, 200)
	cfg := fastConfig()
	cfg.RateLimit, cfg.RateBurst = 20, 1 // one attempt per 50 ms
	c, _ := newTestClient(t, srv.URL, cfg)
	start := time.Now()
	if _, err := c.Do(t.Context(), Request{Endpoint: "x"}); err != nil {
		t.Fatal(err)
	}
	// Four attempts through a 20/s limiter with burst 1 cannot take less than 150 ms.
	if el := time.Since(start); el < 140*time.Millisecond {
		t.Errorf("4 attempts took %v: the limiter did not apply to retries", el)
	}
	if n.Load() != 4 {
		t.Errorf("calls = %d", n.Load())
	}
}

func TestMiddlewareRunsPerAttempt(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("X-Attempt-Nonce"))
		if len(seen) < 3 {
			w.WriteHeader(502)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	var k atomic.Int32
	sign := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("X-Attempt-Nonce", fmt.Sprint(k.Add(1)))
			return next.RoundTrip(r)
		})
	}
	c, _ := newTestClient(t, srv.URL, fastConfig(), WithMiddleware(sign))
	if _, err := c.Do(t.Context(), Request{Endpoint: "x", Method: http.MethodPost, Idempotent: true, Body: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "1,2,3" {
		t.Errorf("nonces = %v, want a fresh one per attempt", seen)
	}
}

func TestMetricsCountAttemptsAndRetries(t *testing.T) {
	srv, _ := script(t, 500, 429, 200)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err != nil {
		t.Fatalf("registering twice: %v", err)
	}
	c, _ := newTestClient(t, srv.URL, fastConfig(), WithMetrics(m))
	if _, err := c.Do(t.Context(), Request{Endpoint: "x"}); err != nil {
		t.Fatal(err)
	}
	checks := map[string]float64{
		"attempts":     value(t, m.attempts.WithLabelValues("test", "x")),
		"retries":      value(t, m.retries.WithLabelValues("test", "x")),
		"server_error": value(t, m.failures.WithLabelValues("test", "server_error")),
		"rate_limited": value(t, m.failures.WithLabelValues("test", "rate_limited")),
		"requests_ok":  value(t, m.requests.WithLabelValues("test", "x", "ok")),
	}
	want := map[string]float64{"attempts": 3, "retries": 2, "server_error": 1, "rate_limited": 1, "requests_ok": 1}
	for k, v := range want {
		if checks[k] != v {
			t.Errorf("%s = %v, want %v", k, checks[k], v)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if err := (Config{RetryWaitMin: -1}).Validate(); err == nil {
		t.Error("negative wait accepted")
	}
	if err := (Config{RetryMax: -2}).Validate(); err == nil {
		t.Error("retry_max -2 accepted")
	}
	d := Config{}.WithDefaults()
	if d.RetryMax != DefaultRetryMax || d.RetryAfterMax != DefaultRetryAfterMax {
		t.Errorf("defaults = %+v", d)
	}
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	t.Fatal("not a counter or gauge")
	return 0
}
