package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
)

// Evidence assembly latency against the simulators:
//
//	go test -run '^$' -bench Assemble -benchtime 300x ./connectors/conformance/
//
// realistic: the built-in profile (log-normal latency, medians 40/30/15 ms, p99 = 8 x median).
// fixed: constant latency 40/30/15 ms (p99 = median), which shows the structure of the cost
// without the tail: a fan-out pays the slowest platform, a sequential client the sum.
// indexed: the household is known from the synced snapshot (SQLite), so all platforms are
// asked at once; cold: the district is asked first who the members are; sequential: the
// same calls one after another (the baseline the fan-out is measured against);
// province-only: a single rkjc/query call, the floor any evidence request pays.
//
// Metrics: p50-ms, p90-ms and mean-ms of the evidence request; attempts/op and hedge-% from
// the connector metrics. Where every upstream call of a request runs in parallel (indexed,
// province-only) also, per request:
//   - up-p50-ms / up-p90-ms: the slowest upstream call of the same request, as the platform
//     served it: the latency the simulator injected (sim.HeaderLatency); for a hedged call,
//     the answering attempt's injected latency plus how long after the call's first attempt
//     it was sent (the wait for the slow first attempt is the platform's, not the hub's);
//   - over-p50-ms / over-p90-ms: the request minus that call, the hub's own cost (starting
//     goroutines, signing, connections and HTTP, decoding, reconciling, scheduling);
//   - asm-p50-ms: the request minus its longest call as the client saw it (first attempt
//     sent to first answer), the part of over-* spent outside the HTTP exchanges;
//   - floor-p50-ms / floor-p90-ms: the slowest of the same calls (as many per platform)
//     drawn by Monte Carlo from the platforms' configured latency distributions: what a hub
//     costing nothing would get without hedging, the physical floor of the call plan.

func BenchmarkAssemble(b *testing.B) {
	for _, profile := range []string{"realistic", "fixed"} {
		for _, mode := range []string{"indexed", "cold", "sequential", "province-only"} {
			b.Run(profile+"/"+mode, func(b *testing.B) { benchAssemble(b, profile, mode, "all", 0) })
		}
	}
}

// Items whose declared needs (copied from policies/data.yaml) scope the evidence request:
// elderly_allowance reads only the applicant (province rkjc/query and the district resident
// record: 2 calls; the resident record carries the village, so no household record);
// rural_family_planning_reward reads the household's person records and licences but no
// insurance (rkjc/query, dzzz/query, the household record and one resident record per
// member: 3 + members calls, no city call). "all" is what the service asked for before
// requests were scoped: everything about the whole household (4 + members calls).
var benchItems = map[string]map[string][]string{
	"all": nil,
	"elderly_allowance": {
		"province.person":    {"applicant.name", "applicant.id_number", "applicant.birth_date", "applicant.deceased"},
		"district.household": {"applicant.village"},
		"district.rolls":     {"applicant.rolls.enrolled"},
	},
	"rural_family_planning_reward": {
		"province.person":    {"applicant.name", "applicant.id_number", "applicant.sex", "applicant.birth_date", "applicant.hukou_type", "applicant.deceased"},
		"province.licences":  {"applicant.licences.only_child_honour"},
		"district.household": {"applicant.village", "applicant.relation", "household.relation", "household.sex", "household.deceased"},
		"district.rolls":     {"applicant.rolls.enrolled"},
	},
}

// BenchmarkAssembleScoped measures the realistic profile per item scope and hedging budget
// (0: no hedging; 0.05 and 0.1: at most 5% / 10% duplicate attempts), with the household
// index (synced snapshot), and each scope once with the fixed latencies:
//
//	go test -run '^$' -bench AssembleScoped -benchtime 300x ./connectors/conformance/
func BenchmarkAssembleScoped(b *testing.B) {
	for _, item := range []string{"all", "elderly_allowance", "rural_family_planning_reward"} {
		for _, hedge := range []float64{0, 0.05, 0.1} {
			name := fmt.Sprintf("realistic/indexed/%s/hedge=%g", item, hedge)
			b.Run(name, func(b *testing.B) { benchAssemble(b, "realistic", "indexed", item, hedge) })
		}
		b.Run("fixed/indexed/"+item, func(b *testing.B) { benchAssemble(b, "fixed", "indexed", item, 0) })
	}
}

func benchAssemble(b *testing.B, profile, mode, item string, hedge float64) {
	cfg := sim.Config{Residents: 3000, Seed: 5}
	if profile == "realistic" {
		cfg.Faults = sim.ProfileRealistic
	}
	p, err := sim.Start(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	rc := fastResilience()
	rc.AttemptTimeout = 5 * time.Second // never cut the latency tail short
	rc.HedgeBudget = hedge
	opts := evidence.NeedsOptions(benchItems[item])
	up := &upstream{}
	e := newEnv(b, p, rc, withTransport(up.transport))
	if mode == "indexed" {
		e = newEnv(b, p, rc, withIndex(syncedIndex(b, e)), withTransport(up.transport))
	}
	if profile == "fixed" {
		for s, med := range map[*sim.Server]time.Duration{p.Province: 40 * time.Millisecond, p.City: 30 * time.Millisecond, p.District: 15 * time.Millisecond} {
			if err := s.SetFaults(sim.FaultConfig{Latency: sim.Latency{Median: sim.Duration(med), P99: sim.Duration(med)}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Warm up: token, connections, and the latency windows the hedger needs (32 answers
	// per endpoint) from residents the measured loop does not ask for.
	for i := range 60 {
		if _, err := e.asm.Assemble(b.Context(), p.Data.Persons[(i*13+7)%len(p.Data.Persons)].ID, evidence.AssembleOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	attempts0, hedges0 := total(metricSum(b, e, "sanmian_connector_attempts_total")), total(metricSum(b, e, "sanmian_connector_hedges_total"))
	lat := make([]time.Duration, 0, b.N)
	reqs := make([]upstreamRequest, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := p.Data.Persons[(i*13+1)%len(p.Data.Persons)].ID
		start := time.Now()
		up.reset()
		switch mode {
		case "sequential":
			sequential(b.Context(), b, e, id)
		case "province-only":
			// The floor: one province call, the slowest platform's single request.
			if _, err := e.province.Persons(b.Context(), []string{id}); err != nil {
				b.Fatal(err)
			}
		default:
			bd, err := e.asm.Assemble(b.Context(), id, opts)
			if err != nil || len(bd.Missing) > 0 {
				b.Fatalf("%v %v", err, bd.Missing)
			}
		}
		took := time.Since(start)
		lat = append(lat, took)
		reqs = append(reqs, up.request(start, took))
	}
	b.StopTimer()
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 90)), "p90-ms")
	b.ReportMetric(ms(sum/time.Duration(len(lat))), "mean-ms")
	if mode == "indexed" || mode == "province-only" {
		reportFloor(b, p, reqs)
	}
	attempts := total(metricSum(b, e, "sanmian_connector_attempts_total")) - attempts0
	hedges := total(metricSum(b, e, "sanmian_connector_hedges_total")) - hedges0
	b.ReportMetric(attempts/float64(len(lat)), "attempts/op")
	if attempts > 0 {
		b.ReportMetric(100*hedges/(attempts-hedges), "hedge-%")
	}
}

func total(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

// sequential makes the assembler's calls one after another: district resident, household,
// member residents, then province persons, licences and city insurance.
func sequential(ctx context.Context, b *testing.B, e *env, id string) {
	r, err := e.district.Resident(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	h, err := e.district.Household(ctx, r.HouseholdID)
	if err != nil {
		b.Fatal(err)
	}
	ids := []string{}
	for _, m := range h.Members {
		ids = append(ids, m.IDNumber)
		if m.IDNumber != id {
			if _, err := e.district.Resident(ctx, m.IDNumber); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := e.province.Persons(ctx, ids); err != nil {
		b.Fatal(err)
	}
	if _, err := e.province.Licences(ctx, ids); err != nil {
		b.Fatal(err)
	}
	if _, err := e.city.Insurance(ctx, ids); err != nil {
		b.Fatal(err)
	}
}

// upstream records the upstream attempts of the evidence request in progress (the benchmark
// makes one request at a time): platform, call (method, URL and body: a hedge or a retry
// repeats them, another call of the same request differs), when it was sent, when its
// response headers arrived, and the latency the simulator injected (sim.HeaderLatency). An
// attempt without a 2xx answer (a hedge's loser, cancelled; a 5xx that is retried) is
// recorded as sent only. Safe for concurrent use.
type upstream struct {
	mu       sync.Mutex
	attempts []*upstreamAttempt // recorded when sent, completed when answered
}

type upstreamAttempt struct {
	platform, call string
	start, end     time.Time
	injected       time.Duration
	answered       bool
}

// upstreamRequest is what one evidence request cost and what its upstream calls took.
type upstreamRequest struct {
	took time.Duration
	// slowest is the largest upstream time among the request's calls: for each call, the
	// injected latency of its first answered attempt plus, for a hedge or retry, how long
	// after the call's first attempt that attempt was sent (without hedging: the injected
	// latency of the call's only attempt).
	slowest time.Duration
	// seen is the longest call as the client saw it: from its first attempt sent to the
	// first answer's headers.
	seen  time.Duration
	calls map[string]int // upstream calls per platform
	n     int
}

// transport returns the recording base transport for one platform's client, pooled like
// the resilience client's default transport.
func (u *upstream) transport(platform string) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	return &recordingTransport{u: u, platform: platform, next: t}
}

func (u *upstream) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.attempts = nil
}

// request summarises the attempts sent since start (an attempt of an earlier request that
// ended late is left out).
func (u *upstream) request(start time.Time, took time.Duration) upstreamRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	type call struct {
		platform       string
		first          time.Time
		upstream, seen time.Duration
		answered       bool
	}
	calls := map[string]*call{}
	for _, a := range u.attempts {
		if a.start.Before(start) {
			continue
		}
		k := a.platform + " " + a.call
		c := calls[k]
		if c == nil {
			c = &call{platform: a.platform, first: a.start}
			calls[k] = c
		}
		if a.start.Before(c.first) {
			c.first = a.start
		}
	}
	for _, a := range u.attempts {
		c := calls[a.platform+" "+a.call]
		if a.start.Before(start) || !a.answered {
			continue
		}
		up, seen := a.start.Sub(c.first)+a.injected, a.end.Sub(c.first)
		if !c.answered || seen < c.seen {
			c.upstream, c.seen, c.answered = up, seen, true
		}
	}
	r := upstreamRequest{took: took, calls: map[string]int{}}
	for _, c := range calls {
		if !c.answered {
			continue
		}
		r.slowest, r.seen = max(r.slowest, c.upstream), max(r.seen, c.seen)
		r.calls[c.platform]++
		r.n++
	}
	return r
}

type recordingTransport struct {
	u        *upstream
	platform string
	next     *http.Transport
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	call := req.Method + " " + req.URL.RequestURI()
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		call += " " + string(body)
	}
	// Recorded when sent: a cancelled attempt may return only after its request is over,
	// and its start still belongs to that request's call.
	a := &upstreamAttempt{platform: t.platform, call: call, start: time.Now()}
	t.u.mu.Lock()
	t.u.attempts = append(t.u.attempts, a)
	t.u.mu.Unlock()
	resp, err := t.next.RoundTrip(req)
	end := time.Now()
	if err == nil && resp.StatusCode/100 == 2 {
		if v, perr := strconv.ParseFloat(resp.Header.Get(sim.HeaderLatency), 64); perr == nil {
			t.u.mu.Lock()
			a.end, a.injected, a.answered = end, time.Duration(v*float64(time.Millisecond)), true
			t.u.mu.Unlock()
		}
	}
	return resp, err
}

func (t *recordingTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }

// reportFloor reports, per request, the slowest upstream call and the hub's overhead over it,
// and the Monte Carlo floor of the same calls (see the file comment).
func reportFloor(b *testing.B, p *sim.Platforms, reqs []upstreamRequest) {
	slowest := make([]time.Duration, 0, len(reqs))
	over := make([]time.Duration, 0, len(reqs))
	asm := make([]time.Duration, 0, len(reqs))
	for _, r := range reqs {
		if r.n == 0 {
			b.Fatal("a request made no upstream call carrying " + sim.HeaderLatency)
		}
		slowest = append(slowest, r.slowest)
		over = append(over, r.took-r.slowest)
		asm = append(asm, r.took-r.seen)
	}
	b.ReportMetric(ms(percentile(slowest, 50)), "up-p50-ms")
	b.ReportMetric(ms(percentile(slowest, 90)), "up-p90-ms")
	b.ReportMetric(ms(percentile(over, 50)), "over-p50-ms")
	b.ReportMetric(ms(percentile(over, 90)), "over-p90-ms")
	b.ReportMetric(ms(percentile(asm, 50)), "asm-p50-ms")
	dist := map[string]sim.Latency{}
	for _, s := range p.Servers() {
		dist[s.Name()] = s.Faults().Latency
	}
	floor := floorSamples(reqs, dist, 200)
	b.ReportMetric(ms(percentile(floor, 50)), "floor-p50-ms")
	b.ReportMetric(ms(percentile(floor, 90)), "floor-p90-ms")
}

// floorSamples draws, for every measured request, n times the slowest of the upstream calls
// it made (how many per platform), each from its platform's log-normal latency as
// the simulator draws it: median m, sigma = ln(p99/m)/2.3263 (p99 defaults to 4m), capped
// at 5 x p99. The pooled draws are the latency a hub with no cost of its own would see for
// the same mix of requests. Seeded: the same requests give the same floor.
func floorSamples(reqs []upstreamRequest, dist map[string]sim.Latency, n int) []time.Duration {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(l sim.Latency) float64 {
		med, p99 := float64(l.Median.D()), float64(l.P99.D())
		if med <= 0 {
			return 0
		}
		if p99 <= 0 {
			p99 = 4 * med
		}
		sigma := math.Log(p99/med) / 2.3263
		return min(med*math.Exp(sigma*rng.NormFloat64()), 5*p99)
	}
	out := make([]time.Duration, 0, len(reqs)*n)
	for _, r := range reqs {
		for range n {
			var slowest float64
			for _, platform := range slices.Sorted(maps.Keys(r.calls)) {
				for range r.calls[platform] {
					slowest = max(slowest, draw(dist[platform]))
				}
			}
			out = append(out, time.Duration(slowest))
		}
	}
	return out
}

// percentile returns the q-th percentile (0-100) of ds by the nearest-rank rule used
// throughout these benchmarks (the element at index len*q/100 of the sorted values); ds is
// sorted in place.
func percentile(ds []time.Duration, q int) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)*q/100, len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
