package resilience

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
