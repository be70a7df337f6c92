package conformance

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sanmian/connectors/cache"
	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
	"sanmian/hub/evidence/assembly"
)

// env is the three connectors wired to one set of simulators.
type env struct {
	p        *sim.Platforms
	province *province.Client
	city     *city.Client
	district *district.Client
	metrics  *resilience.Metrics
	reg      *prometheus.Registry
	cache    *cache.Cache
	asm      *assembly.Assembler
}

// fastResilience keeps the suite quick: short waits, capped Retry-After, short attempt
// timeout, a breaker that opens after 3 failed calls and probes after 200 ms.
func fastResilience() resilience.Config {
	return resilience.Config{
		RetryMax: resilience.DefaultRetryMax, RetryWaitMin: 2 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond,
		RetryAfterMax: 10 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond,
		BreakerFailures: 3, BreakerOpen: 200 * time.Millisecond,
	}
}

type envOption func(*envConfig)

type envConfig struct {
	creds sim.Credentials
	cache *cache.Cache
	index evidence.HouseholdIndex
	// transport, when set, gives each platform's client its base transport (by platform
	// name: province, city, district).
	transport func(platform string) http.RoundTripper
}

func withCreds(c sim.Credentials) envOption          { return func(e *envConfig) { e.creds = c } }
func withCache(c *cache.Cache) envOption             { return func(e *envConfig) { e.cache = c } }
func withIndex(ix evidence.HouseholdIndex) envOption { return func(e *envConfig) { e.index = ix } }
func withTransport(f func(platform string) http.RoundTripper) envOption {
	return func(e *envConfig) { e.transport = f }
}

func newEnv(t testing.TB, p *sim.Platforms, rc resilience.Config, opts ...envOption) *env {
	t.Helper()
	ec := envConfig{creds: p.Credentials}
	for _, o := range opts {
		o(&ec)
	}
	reg := prometheus.NewRegistry()
	m, err := resilience.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{p: p, metrics: m, reg: reg, cache: ec.cache}
	client := func(platform string) []resilience.Option {
		o := []resilience.Option{resilience.WithMetrics(m)}
		if ec.transport != nil {
			o = append(o, resilience.WithTransport(ec.transport(platform)))
		}
		return o
	}
	e.province, err = province.New(province.Config{BaseURL: p.Province.URL(), AppKey: ec.creds.ProvinceAppKey, Secret: ec.creds.ProvinceSecret, Resilience: rc}, client("province")...)
	if err != nil {
		t.Fatal(err)
	}
	e.city, err = city.New(city.Config{BaseURL: p.City.URL(), ClientID: ec.creds.CityClientID, ClientSecret: ec.creds.CityClientSecret, Resilience: rc}, client("city")...)
	if err != nil {
		t.Fatal(err)
	}
	e.district, err = district.New(district.Config{BaseURL: p.District.URL(), APIKey: ec.creds.DistrictAPIKey, Resilience: rc}, client("district")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.province.Close(); e.city.Close(); e.district.Close() })
	var aopts []assembly.AssemblerOption
	if ec.cache != nil {
		aopts = append(aopts, assembly.WithCache(ec.cache))
	}
	if ec.index != nil {
		aopts = append(aopts, assembly.WithHouseholdIndex(ec.index))
	}
	e.asm = assembly.New(e.province, e.city, e.district, aopts...)
	return e
}

// wantCalls checks that each simulated platform served exactly the given calls per endpoint
// since its counters were last reset, and nothing else.
func wantCalls(t *testing.T, want map[*sim.Server]map[string]int64) {
	t.Helper()
	for srv, eps := range want {
		st := srv.Stats()
		var total int64
		for ep, n := range eps {
			if st.ByEndpoint[ep] != n {
				t.Errorf("%s %s: %d calls, want %d", srv.Name(), ep, st.ByEndpoint[ep], n)
			}
			total += n
		}
		if st.Requests != total {
			t.Errorf("%s: %d requests, want %d (%v)", srv.Name(), st.Requests, total, st.ByEndpoint)
		}
	}
}
