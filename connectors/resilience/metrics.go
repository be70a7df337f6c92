package resilience

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the connector metrics of all platforms, labelled by platform. One Metrics
// is shared by the three clients and the evidence cache; it is safe for concurrent use. A
// nil *Metrics records nothing.
//
//	sanmian_connector_requests_total{platform,endpoint,outcome}   calls (outcome ok or the error kind)
//	sanmian_connector_attempts_total{platform,endpoint}           HTTP attempts, retries included
//	sanmian_connector_retries_total{platform,endpoint}            attempts after the first (hedges excluded)
//	sanmian_connector_hedges_total{platform,endpoint}             hedged duplicate attempts sent (Config.HedgeBudget)
//	sanmian_connector_hedge_wins_total{platform,endpoint}         hedges that answered first
//	sanmian_connector_failures_total{platform,kind}               failed attempts and calls by kind
//	sanmian_connector_breaker_state{platform}                     0 closed, 1 half-open, 2 open
//	sanmian_connector_request_duration_seconds{platform,endpoint} whole call, retries included
//	sanmian_evidence_cache_total{platform,kind,result}            cache hit, miss, stale
type Metrics struct {
	requests *prometheus.CounterVec
	attempts *prometheus.CounterVec
	retries  *prometheus.CounterVec
	hedges   *prometheus.CounterVec
	hedgeWin *prometheus.CounterVec
	failures *prometheus.CounterVec
	breaker  *prometheus.GaugeVec
	latency  *prometheus.HistogramVec
	cache    *prometheus.CounterVec
}

// NewMetrics creates the connector metrics and registers them on reg (nil: not registered,
// useful in tests). Registering twice on one registry returns the collectors already there,
// so several hubs in one test process may share a registry.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_connector_requests_total",
			Help: "Calls to a data platform by endpoint and outcome (ok or the error kind).",
		}, []string{"platform", "endpoint", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_connector_attempts_total",
			Help: "HTTP attempts sent to a data platform, retries included.",
		}, []string{"platform", "endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_connector_retries_total",
			Help: "HTTP attempts after the first one of a call.",
		}, []string{"platform", "endpoint"}),
		hedges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_connector_hedges_total",
			Help: "Hedged duplicate attempts sent to a data platform after an idempotent attempt was slower than the endpoint's recent p90.",
		}, []string{"platform", "endpoint"}),
		hedgeWin: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_connector_hedge_wins_total",
			Help: "Hedged attempts that answered before the attempt they duplicated.",
		}, []string{"platform", "endpoint"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_connector_failures_total",
			Help: "Failed attempts (server_error, rate_limited, timeout, network, truncated, malformed, auth, client_error) and rejected calls (circuit_open) by kind.",
		}, []string{"platform", "kind"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sanmian_connector_breaker_state",
			Help: "Circuit breaker state per platform: 0 closed, 1 half-open, 2 open.",
		}, []string{"platform"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sanmian_connector_request_duration_seconds",
			Help:    "Duration of a call to a data platform, retries and waits included.",
			Buckets: []float64{.005, .01, .02, .04, .06, .08, .1, .2, .4, .8, 1.6, 3.2, 6.4},
		}, []string{"platform", "endpoint"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanmian_evidence_cache_total",
			Help: "Evidence cache lookups by platform, evidence kind and result (hit, miss, stale).",
		}, []string{"platform", "kind", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.requests = register(reg, m.requests, &err)
	m.attempts = register(reg, m.attempts, &err)
	m.retries = register(reg, m.retries, &err)
	m.hedges = register(reg, m.hedges, &err)
	m.hedgeWin = register(reg, m.hedgeWin, &err)
	m.failures = register(reg, m.failures, &err)
	m.breaker = register(reg, m.breaker, &err)
	m.latency = register(reg, m.latency, &err)
	m.cache = register(reg, m.cache, &err)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c on reg, returning the collector already registered under the same
// description when there is one.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		if *errp == nil {
			*errp = err
		}
	}
	return c
}

func (m *Metrics) call(platform, endpoint, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(platform, endpoint, outcome).Inc()
	m.latency.WithLabelValues(platform, endpoint).Observe(d.Seconds())
}

func (m *Metrics) attempt(platform, endpoint string, retry bool) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(platform, endpoint).Inc()
	if retry {
		m.retries.WithLabelValues(platform, endpoint).Inc()
	}
}

func (m *Metrics) hedge(platform, endpoint string) {
	if m == nil {
		return
	}
	m.hedges.WithLabelValues(platform, endpoint).Inc()
}

func (m *Metrics) hedgeWon(platform, endpoint string) {
	if m == nil {
		return
	}
	m.hedgeWin.WithLabelValues(platform, endpoint).Inc()
}

func (m *Metrics) failure(platform, kind string) {
	if m == nil {
		return
	}
	m.failures.WithLabelValues(platform, kind).Inc()
}

func (m *Metrics) breakerState(platform string, state float64) {
	if m == nil {
		return
	}
	m.breaker.WithLabelValues(platform).Set(state)
}

// CacheResult counts one evidence cache lookup: result is "hit", "miss" or "stale". It
// satisfies the observer interface of connectors/cache.
func (m *Metrics) CacheResult(platform, kind, result string) {
	if m == nil {
		return
	}
	m.cache.WithLabelValues(platform, kind, result).Inc()
}
