package resilience

import (
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sanmian/connectors"
)

// slowServer answers after delay(n) for the n-th request (from 0), or when the client
// goes away.
func slowServer(t *testing.T, delay func(n int) time.Duration) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := delay(int(n.Add(1)) - 1)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func hedgeCounts(t *testing.T, m *Metrics) (hedges, wins, retries float64) {
	t.Helper()
	return value(t, m.hedges.WithLabelValues("test", "e")), value(t, m.hedgeWin.WithLabelValues("test", "e")),
		value(t, m.retries.WithLabelValues("test", "e"))
}

// TestHedgeCutsTheTail: one request in 20 is very slow; once the endpoint's p90 is known, a
// slow request is answered by its hedge, long before the slow attempt would have been.
func TestHedgeCutsTheTail(t *testing.T) {
	srv, _ := slowServer(t, func(n int) time.Duration {
		if n%20 == 19 {
			return 2 * time.Second
		}
		return 2 * time.Millisecond
	})
	m, _ := NewMetrics(prometheus.NewRegistry())
	cfg := fastConfig()
	cfg.AttemptTimeout = 5 * time.Second
	cfg.HedgeBudget = 0.5
	c, _ := newTestClient(t, srv.URL, cfg, WithMetrics(m))
	for i := range 200 {
		start := time.Now()
		resp, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"})
		if err != nil {
			t.Fatal(err)
		}
		if i >= hedgeMinSamples+8 && time.Since(start) > time.Second {
			t.Fatalf("request %d took %v: not hedged", i, time.Since(start))
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("status %d", resp.Status)
		}
	}
	hedges, wins, retries := hedgeCounts(t, m)
	if hedges == 0 || wins == 0 || retries != 0 {
		t.Errorf("hedges %v, wins %v, retries %v", hedges, wins, retries)
	}
	t.Logf("hedges %v, wins %v", hedges, wins)
}

// TestHedgeBudget: with latencies spread evenly, about a tenth of the attempts outlast the
// p90 delay, but the token bucket lets at most HedgeBudget of them (plus the burst) hedge.
func TestHedgeBudget(t *testing.T) {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	srv, served := slowServer(t, func(int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(2+rng.IntN(20)) * time.Millisecond
	})
	m, _ := NewMetrics(prometheus.NewRegistry())
	cfg := fastConfig()
	cfg.HedgeBudget = 0.02
	c, _ := newTestClient(t, srv.URL, cfg, WithMetrics(m))
	const n = 400
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Go(func() {
			for range jobs {
				if _, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	hedges, _, _ := hedgeCounts(t, m)
	if limit := cfg.HedgeBudget*n + hedgeBurst; hedges > limit {
		t.Errorf("%v hedges for %d calls, budget %v", hedges, n, limit)
	}
	attempts := value(t, m.attempts.WithLabelValues("test", "e"))
	if attempts != n+hedges || float64(served.Load()) > attempts {
		t.Errorf("attempts %v, hedges %v, served %d", attempts, hedges, served.Load())
	}
	t.Logf("%v hedges, %v attempts for %d calls", hedges, attempts, n)
}

// TestHedgeOnlyIdempotent: a POST not marked idempotent is never duplicated.
func TestHedgeOnlyIdempotent(t *testing.T) {
	srv, served := slowServer(t, func(n int) time.Duration {
		if n%4 == 3 {
			return 60 * time.Millisecond
		}
		return time.Millisecond
	})
	m, _ := NewMetrics(prometheus.NewRegistry())
	cfg := fastConfig()
	cfg.HedgeBudget = 0.5
	c, _ := newTestClient(t, srv.URL, cfg, WithMetrics(m))
	for range 80 {
		if _, err := c.Do(t.Context(), Request{Endpoint: "e", Method: http.MethodPost, Path: "/x", Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if hedges, _, _ := hedgeCounts(t, m); hedges != 0 || served.Load() != 80 {
		t.Errorf("hedges %v, served %d", hedges, served.Load())
	}
}

// TestHedgeFailedAttemptWaitsForTheOther: a hedged attempt that fails (5xx) does not end
// the race while the other attempt can still succeed.
func TestHedgeFailedAttemptWaitsForTheOther(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if i > 40 && i%2 == 1 { // the slow first attempt, then its hedge fails at once
			select {
			case <-time.After(50 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		} else if i > 40 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	m, _ := NewMetrics(prometheus.NewRegistry())
	cfg := fastConfig()
	cfg.HedgeBudget = 0.5
	cfg.RetryMax = NoRetries
	c, _ := newTestClient(t, srv.URL, cfg, WithMetrics(m))
	for range 40 {
		if _, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	c.hedge.mu.Lock()
	c.hedge.tokens = 5
	c.hedge.mu.Unlock()
	resp, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("%v %v", resp, err)
	}
	if hedges, _, _ := hedgeCounts(t, m); hedges != 1 {
		t.Errorf("hedges %v", hedges)
	}
}

func TestHedgeConfig(t *testing.T) {
	for _, c := range []Config{{HedgeBudget: -0.1}, {HedgeBudget: 0.6}, {HedgeQuantile: 1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if d := (Config{}).WithDefaults(); d.HedgeBudget != 0 || d.HedgeQuantile != DefaultHedgeQuantile {
		t.Errorf("defaults %+v", d)
	}
}

// hedgeStep is one attempt slot of a scripted call: a single answer, or a hedged pair in
// which the first request to arrive answers only after the second one has answered (so the
// pair overlaps and the second answer is seen first).
type hedgeStep struct {
	pair          bool
	first, second int // statuses; second is unused for a single answer
}

// pairServer answers warm requests with 200 at once (to fill the latency window), then plays
// steps. The outcome of a pair does not depend on which of its requests is the hedge.
func pairServer(t *testing.T, warm int, steps []hedgeStep) (*httptest.Server, *atomic.Int32) {
	type role struct {
		status       int
		wait, signal chan struct{}
	}
	var roles []role
	for _, s := range steps {
		if !s.pair {
			roles = append(roles, role{status: s.first})
			continue
		}
		ch := make(chan struct{})
		roles = append(roles, role{status: s.first, wait: ch}, role{status: s.second, signal: ch})
	}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1 - warm
		if i < 0 {
			io.WriteString(w, `{"ok":true}`)
			return
		}
		if i >= len(roles) {
			w.WriteHeader(http.StatusInternalServerError) // unexpected attempt: the count check fails
			return
		}
		ro := roles[i]
		if ro.wait != nil {
			select {
			case <-ro.wait:
			case <-r.Context().Done():
				return
			case <-time.After(3 * time.Second): // no hedge came: the hedge count check fails
			}
			// Give the client time to take the other answer first. The order only makes
			// the test sharper: the expected outcome of a pair is the same either way.
			select {
			case <-time.After(30 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		if ro.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(ro.status)
		if ro.status == http.StatusOK {
			// Larger than the transport's buffers: the winner's body is still being read
			// when the loser is canceled.
			io.WriteString(w, `{"ok":true,"pad":"`+strings.Repeat("x", 256<<10)+`"}`)
		}
		if ro.signal != nil {
			http.NewResponseController(w).Flush()
			close(ro.signal)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestHedgedPairOutcomes: a hedged attempt and its duplicate together are one attempt slot
// of the retry loop. The call fails over to the next slot only when both fail, a failed
// answer never hides the other's success, a pair spends one retry (not two), the canceled
// loser is not a breaker failure, and a call that fails after all its pairs is one breaker
// failure.
func TestHedgedPairOutcomes(t *testing.T) {
	pair := func(first, second int) hedgeStep { return hedgeStep{pair: true, first: first, second: second} }
	single := func(status int) hedgeStep { return hedgeStep{first: status} }
	cases := []struct {
		name     string
		retryMax int
		steps    []hedgeStep
		fail     bool
		attempts int // HTTP attempts, hedges included
		retries  float64
		hedges   float64
	}{
		{
			name:     "slow_attempt_fails_after_duplicate_succeeded",
			retryMax: 3,
			steps:    []hedgeStep{pair(http.StatusBadGateway, http.StatusOK)},
			attempts: 2,
			hedges:   1,
		},
		{
			name:     "duplicate_fails_first_slow_attempt_succeeds",
			retryMax: 3,
			steps:    []hedgeStep{pair(http.StatusOK, http.StatusServiceUnavailable)},
			attempts: 2,
			hedges:   1,
		},
		{
			name:     "duplicate_rate_limited_slow_attempt_succeeds",
			retryMax: 3,
			steps:    []hedgeStep{pair(http.StatusOK, http.StatusTooManyRequests)},
			attempts: 2,
			hedges:   1,
		},
		{
			name:     "both_fail_one_retry_spent",
			retryMax: 3,
			steps:    []hedgeStep{pair(http.StatusServiceUnavailable, http.StatusBadGateway), single(http.StatusOK)},
			attempts: 3,
			retries:  1,
			hedges:   1,
		},
		{
			name:     "every_pair_fails_budget_counts_slots",
			retryMax: 2,
			steps: []hedgeStep{
				pair(http.StatusServiceUnavailable, http.StatusBadGateway),
				pair(http.StatusTooManyRequests, http.StatusInternalServerError),
				pair(http.StatusBadGateway, http.StatusTooManyRequests),
			},
			fail:     true,
			attempts: 6,
			retries:  2,
			hedges:   3,
		},
	}
	const warm = hedgeMinSamples + 8
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, served := pairServer(t, warm, tc.steps)
			m, _ := NewMetrics(prometheus.NewRegistry())
			cfg := fastConfig()
			cfg.RetryMax = tc.retryMax
			cfg.AttemptTimeout = 5 * time.Second
			cfg.BreakerFailures = 2
			// A small budget: warm-up and retries never earn a whole token, so only the
			// tokens given below can pay for hedges.
			cfg.HedgeBudget = 0.01
			c, _ := newTestClient(t, srv.URL, cfg, WithMetrics(m))
			for range warm {
				if _, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"}); err != nil {
					t.Fatal(err)
				}
			}
			pairs := 0
			for _, s := range tc.steps {
				if s.pair {
					pairs++
				}
			}
			c.hedge.mu.Lock()
			c.hedge.tokens = float64(pairs)
			c.hedge.mu.Unlock()

			resp, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"})
			attempts := 0
			if tc.fail {
				var ce *connectors.Error
				if !errors.As(err, &ce) || !errors.Is(err, connectors.ErrUpstream) {
					t.Fatalf("want an upstream error, got %v", err)
				}
				attempts = ce.Attempts
			} else {
				if err != nil || resp.Status != http.StatusOK {
					t.Fatalf("want 200, got %v %v", resp, err)
				}
				attempts = resp.Attempts
			}
			hedges, _, retries := hedgeCounts(t, m)
			if attempts != tc.attempts || retries != tc.retries || hedges != tc.hedges {
				t.Errorf("attempts %d, retries %v, hedges %v; want %d, %v, %v", attempts, retries, hedges, tc.attempts, tc.retries, tc.hedges)
			}
			if got := int(served.Load()) - warm; got != tc.attempts {
				t.Errorf("server saw %d attempts, want %d", got, tc.attempts)
			}
			wantFailures := uint32(0)
			if tc.fail {
				wantFailures = 1
			}
			if n := c.breaker.Counts(); n.TotalFailures != wantFailures || c.BreakerState() != "closed" {
				t.Errorf("breaker %s with %d failed calls, want closed with %d", c.BreakerState(), n.TotalFailures, wantFailures)
			}
		})
	}
}
