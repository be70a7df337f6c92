package conformance

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
)

// metricSum sums a counter family by its platform label.
func metricSum(t testing.TB, e *env, name string) map[string]float64 {
	t.Helper()
	fams, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "platform" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// TestFlakyThousandRequests is the acceptance run: with every simulator at 20% 5xx and 5%
// 429 (the built-in flaky profile, fixed seed), 1,000 evidence requests for different
// residents succeed at least 99.9% of the time (complete bundles: nothing Missing), and the
// simulators' own counters show every platform stayed within the retry budget.
func TestFlakyThousandRequests(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 3000, Seed: 42, Faults: sim.ProfileFlaky})
	rc := fastResilience() // the default retry budget (8) per call
	e := newEnv(t, p, rc)
	const n = 1000
	var ok, failed atomic.Int32
	var wg sync.WaitGroup
	jobs := make(chan string)
	for range 8 {
		wg.Go(func() {
			for id := range jobs {
				b, err := e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
				if err == nil && len(b.Missing) == 0 {
					ok.Add(1)
				} else {
					failed.Add(1)
					t.Logf("request failed: %v %v", err, b.Failures)
				}
			}
		})
	}
	for i := range n {
		jobs <- p.Data.Persons[(i*7)%len(p.Data.Persons)].ID
	}
	close(jobs)
	wg.Wait()

	calls := metricSum(t, e, "sanmian_connector_requests_total")
	attempts := metricSum(t, e, "sanmian_connector_attempts_total")
	retries := metricSum(t, e, "sanmian_connector_retries_total")
	rate := float64(ok.Load()) / n
	t.Logf("success %d/%d (%.2f%%)", ok.Load(), n, 100*rate)
	t.Logf("%-9s %7s %9s %8s %10s %10s %s", "platform", "calls", "attempts", "retries", "sim reqs", "budget", "faults")
	for _, s := range p.Servers() {
		st := s.Stats()
		budget := calls[s.Name()] * float64(rc.RetryMax+1)
		t.Logf("%-9s %7.0f %9.0f %8.0f %10d %10.0f %v", s.Name(), calls[s.Name()], attempts[s.Name()], retries[s.Name()], st.Requests, budget, st.Faults)
		if float64(st.Requests) > budget {
			t.Errorf("%s: %d requests exceed the budget of %.0f", s.Name(), st.Requests, budget)
		}
		// Every attempt the client counts should reach the simulator and nothing else should,
		// but a few can legitimately differ on a loaded machine: an attempt whose connection
		// fails or whose hedge is cancelled before the server reads it (client only), and a GET
		// net/http resends itself on a dead kept-alive connection (server only). A counting bug
		// (an uncounted retry loop, attempts counted twice) differs by far more.
		if diff := math.Abs(float64(st.Requests) - attempts[s.Name()]); diff > max(3, 0.005*attempts[s.Name()]) {
			t.Errorf("%s: simulator counted %d requests, the client %0.f attempts", s.Name(), st.Requests, attempts[s.Name()])
		}
	}
	if rate < 0.999 {
		t.Fatalf("success rate %.4f < 0.999", rate)
	}
}
