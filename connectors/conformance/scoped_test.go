package conformance

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"sanmian/connectors/province"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
)

// TestScopedAssembly: an item's declared needs scope the upstream calls. An applicant-only
// item (elderly allowance) costs one province rkjc/query and one district resident read;
// a household item that reads no insurance (rural family-planning reward) makes no city
// call. Simulator counters prove it.
func TestScopedAssembly(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 600})
	e := newEnv(t, p, fastResilience())
	h := household(t, p.Data, 5)
	head := p.Data.Persons[h.Members[0]]
	tests := []struct {
		item      string
		household int
		want      map[*sim.Server]map[string]int64
	}{
		{"elderly_allowance", 0, map[*sim.Server]map[string]int64{
			p.Province: {"POST /gateway/api/rkjc/query": 1},
			p.City:     {},
			p.District: {"GET /open/v1/residents/{id_no}": 1},
		}},
		{"rural_family_planning_reward", 4, map[*sim.Server]map[string]int64{
			p.Province: {"POST /gateway/api/rkjc/query": 1, "POST /gateway/api/dzzz/query": 1},
			p.City:     {},
			p.District: {"GET /open/v1/households/{household_no}": 1, "GET /open/v1/residents/{id_no}": 5},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.item, func(t *testing.T) {
			resetStats(p)
			b, err := e.asm.Assemble(t.Context(), head.ID, evidence.NeedsOptions(benchItems[tc.item]))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Missing) != 0 || len(b.Household) != tc.household {
				t.Fatalf("missing %v, household %d", b.Missing, len(b.Household))
			}
			if b.Applicant.Name == "" || b.Applicant.Village == "" || b.Applicant.Rolls == nil || b.Applicant.Insurance != nil {
				t.Errorf("applicant %+v", b.Applicant)
			}
			wantCalls(t, tc.want)
		})
	}

	// A district outage still shows as both district kinds Missing for the applicant-only
	// item; kinds it did not ask for are never Missing.
	t.Run("district down", func(t *testing.T) {
		if err := p.District.SetFaults(sim.FaultConfig{Outages: []sim.Outage{{}}}); err != nil {
			t.Fatal(err)
		}
		defer p.District.SetFaults(sim.FaultConfig{})
		b, err := e.asm.Assemble(t.Context(), p.Data.Persons[h.Members[1]].ID, evidence.NeedsOptions(benchItems["elderly_allowance"]))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b.Missing, []string{evidence.MissingDistrictHousehold, evidence.MissingDistrictRolls}) {
			t.Errorf("missing %v", b.Missing)
		}
	})
}

// nonceRecorder is a base transport that records the X-Nonce of every attempt sent.
type nonceRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	nonces []string
}

func (r *nonceRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.nonces = append(r.nonces, req.Header.Get("X-Nonce"))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// TestHedgedProvinceRequests: with the realistic latency profile and hedging on, slow
// province queries get a duplicate attempt signed afresh (every attempt has its own nonce,
// the province refuses none as a replay), hedges stay within the budget, every call
// succeeds, and hedges are counted in the metrics, as attempts but not as retries.
func TestHedgedProvinceRequests(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 300, Faults: sim.ProfileRealistic})
	rc := fastResilience()
	rc.AttemptTimeout = 5 * time.Second
	rc.HedgeBudget = 0.1
	e := newEnv(t, p, rc)
	rec := &nonceRecorder{next: http.DefaultTransport.(*http.Transport).Clone()}
	pc, err := province.New(province.Config{BaseURL: p.Province.URL(), AppKey: p.Credentials.ProvinceAppKey,
		Secret: p.Credentials.ProvinceSecret, Resilience: rc}, resilience.WithMetrics(e.metrics), resilience.WithTransport(rec))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	const n = 400
	var wg sync.WaitGroup
	jobs := make(chan string)
	for range 8 {
		wg.Go(func() {
			for id := range jobs {
				if _, err := pc.Persons(t.Context(), []string{id}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		jobs <- p.Data.Persons[i%len(p.Data.Persons)].ID
	}
	close(jobs)
	wg.Wait()

	hedges := metricSum(t, e, "sanmian_connector_hedges_total")["province"]
	attempts := metricSum(t, e, "sanmian_connector_attempts_total")["province"]
	retries := metricSum(t, e, "sanmian_connector_retries_total")["province"]
	st := p.Province.Stats()
	t.Logf("%d calls: %.0f attempts, %.0f hedges, %.0f retries; simulator: %d requests %v", n, attempts, hedges, retries, st.Requests, st.ByStatus)
	if hedges == 0 {
		t.Error("no hedge sent: the realistic tail should trigger some")
	}
	if hedges > rc.HedgeBudget*n+10 {
		t.Errorf("%.0f hedges exceed the budget", hedges)
	}
	if attempts != n+hedges+retries {
		t.Errorf("attempts %.0f != calls %d + hedges %.0f + retries %.0f", attempts, n, hedges, retries)
	}
	rec.mu.Lock()
	seen := map[string]bool{}
	for _, nc := range rec.nonces {
		if len(nc) < 16 || seen[nc] {
			t.Errorf("nonce %q missing or reused", nc)
		}
		seen[nc] = true
	}
	if float64(len(rec.nonces)) != attempts {
		t.Errorf("%d attempts sent, metrics say %.0f", len(rec.nonces), attempts)
	}
	rec.mu.Unlock()
	if st.ByStatus["401"] != 0 {
		t.Errorf("province refused %d attempts (replayed nonce?)", st.ByStatus["401"])
	}
}
