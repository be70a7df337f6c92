package resilience

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Hedged requests ("The Tail at Scale", Dean and Barroso, 2013). An idempotent attempt that
// has not been answered after about the endpoint's recent p90 latency (Config.HedgeQuantile)
// gets one duplicate; the first good answer wins and the other attempt is canceled. A token
// bucket caps the extra load at Config.HedgeBudget of the attempts (plus a small burst):
// every attempt that is not a hedge earns HedgeBudget tokens, a hedge spends one.
//
// The latency window holds the answered attempts' times to response headers; when a hedge
// wins, the attempt it duplicated is recorded with the hedge's time, a lower bound (the
// window is slightly optimistic, so hedges fire a little early; the bucket still caps them).
// A canceled loser may never reach the platform, so a platform's own request count can be
// lower than the attempts counted here by up to the number of hedges.
//
// The hedger sits above the instrumentation, the rate limiter and the signing middleware in
// the attempt chain, so a hedge is counted as an attempt (not as a retry), waits for the rate
// limiter like any attempt, and is signed afresh (new timestamp and nonce).

const (
	hedgeWindow     = 512 // latencies kept per endpoint
	hedgeMinSamples = 32  // observations before an endpoint is hedged at all
	hedgeRecompute  = 16  // the delay is recomputed every this many observations
	hedgeBurst      = 10  // most hedges the bucket can hold
)

// hedgeKey marks the context of a hedge attempt (instrumented counts it as a hedge).
type hedgeKey struct{}

func isHedge(ctx context.Context) bool { v, _ := ctx.Value(hedgeKey{}).(bool); return v }

// latencyWindow is a ring of recent attempt latencies of one endpoint with its cached
// quantile.
type latencyWindow struct {
	buf   [hedgeWindow]time.Duration
	n     int // samples stored (<= hedgeWindow)
	next  int // ring position
	since int // observations since the delay was computed
	delay time.Duration
}

type hedger struct {
	c        *Client
	next     http.RoundTripper
	budget   float64
	quantile float64
	minDelay time.Duration

	mu     sync.Mutex
	tokens float64
	lat    map[string]*latencyWindow
}

func newHedger(c *Client, cfg Config, next http.RoundTripper) *hedger {
	return &hedger{c: c, next: next, budget: cfg.HedgeBudget, quantile: cfg.HedgeQuantile,
		minDelay: cfg.HedgeMinDelay, lat: map[string]*latencyWindow{}}
}

// observe records one attempt's latency (to response headers) for endpoint.
func (h *hedger) observe(endpoint string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.lat[endpoint]
	if w == nil {
		w = &latencyWindow{}
		h.lat[endpoint] = w
	}
	w.buf[w.next] = d
	w.next = (w.next + 1) % hedgeWindow
	w.n = min(w.n+1, hedgeWindow)
	w.since++
	if w.n >= hedgeMinSamples && (w.delay == 0 || w.since >= hedgeRecompute) {
		s := slices.Clone(w.buf[:w.n])
		slices.Sort(s)
		w.delay = max(s[min(len(s)-1, int(float64(len(s))*h.quantile))], h.minDelay)
		w.since = 0
	}
}

// plan earns the budget of one first attempt and returns the endpoint's hedge delay (false
// while there are too few observations).
func (h *hedger) plan(endpoint string) (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokens = min(h.tokens+h.budget, hedgeBurst)
	w := h.lat[endpoint]
	if w == nil || w.delay == 0 {
		return 0, false
	}
	return w.delay, true
}

// take spends one hedge token if there is one.
func (h *hedger) take() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tokens < 1 {
		return false
	}
	h.tokens--
	return true
}

type hedgeResult struct {
	resp  *http.Response
	err   error
	hedge bool
	took  time.Duration
}

// good reports whether an answer ends the race: a transport error, a 5xx or a 429 does not
// while the other attempt may still succeed.
func (r hedgeResult) good() bool {
	return r.err == nil && r.resp.StatusCode < 500 && r.resp.StatusCode != http.StatusTooManyRequests
}

// cancelOnClose cancels an attempt's context once its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func (h *hedger) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateOf(req.Context())
	if st == nil || !st.idempotent || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return h.next.RoundTrip(req)
	}
	delay, ok := h.plan(st.endpoint)
	start := time.Now()
	if !ok {
		resp, err := h.next.RoundTrip(req)
		if (hedgeResult{resp: resp, err: err}).good() {
			h.observe(st.endpoint, time.Since(start))
		}
		return resp, err
	}

	results := make(chan hedgeResult, 2)
	launch := func(r *http.Request, hedge bool) context.CancelFunc {
		ctx, cancel := context.WithCancel(r.Context())
		r = r.WithContext(ctx)
		go func() {
			resp, err := h.next.RoundTrip(r)
			results <- hedgeResult{resp: resp, err: err, hedge: hedge, took: time.Since(start)}
		}()
		return cancel
	}
	cancels := []context.CancelFunc{launch(req, false)}
	timer := time.NewTimer(delay)
	defer timer.Stop()

	pending := 1
	var first *hedgeResult // a failed answer kept while the other attempt runs
	for {
		select {
		case <-timer.C:
			if pending == 0 || len(cancels) > 1 || !h.take() {
				continue
			}
			body := req.Body
			if req.GetBody != nil {
				b, err := req.GetBody()
				if err != nil {
					continue
				}
				body = b
			}
			hr := req.Clone(context.WithValue(req.Context(), hedgeKey{}, true))
			hr.Body = body
			cancels = append(cancels, launch(hr, true))
			pending++
			continue
		case r := <-results:
			pending--
			if !r.hedge && r.good() {
				h.observe(st.endpoint, r.took)
			}
			if !r.good() && pending > 0 {
				// Wait for the other attempt; keep this answer in case it fails too.
				if first != nil {
					discard(*first)
				}
				first = &r
				continue
			}
			if first != nil {
				discard(*first)
			}
			if pending > 0 {
				if r.hedge {
					// The hedge won: the first attempt took at least this long.
					h.observe(st.endpoint, r.took)
					h.c.metrics.hedgeWon(h.c.platform, st.endpoint)
				}
				go func() { discard(<-results) }()
			} else if r.hedge && r.good() {
				h.c.metrics.hedgeWon(h.c.platform, st.endpoint)
			}
			return h.finish(r, cancels)
		}
	}
}

// finish returns the winning answer, canceling every other attempt; the winner's context
// ends when its body is closed.
func (h *hedger) finish(r hedgeResult, cancels []context.CancelFunc) (*http.Response, error) {
	win := 0
	if r.hedge {
		win = 1
	}
	for i, c := range cancels {
		if i != win {
			c()
		}
	}
	if r.err != nil {
		cancels[win]()
		return nil, r.err
	}
	r.resp.Body = cancelOnClose{ReadCloser: r.resp.Body, cancel: cancels[win]}
	return r.resp, nil
}

// discard closes a losing answer's body.
func discard(r hedgeResult) {
	if r.resp != nil {
		io.Copy(io.Discard, io.LimitReader(r.resp.Body, 64<<10))
		r.resp.Body.Close()
	}
}
