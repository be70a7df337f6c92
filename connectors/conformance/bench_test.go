package conformance

import (
	"context"
	"slices"
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

func BenchmarkAssemble(b *testing.B) {
	for _, profile := range []string{"realistic", "fixed"} {
		for _, mode := range []string{"indexed", "cold", "sequential", "province-only"} {
			b.Run(profile+"/"+mode, func(b *testing.B) { benchAssemble(b, profile, mode) })
		}
	}
}

func benchAssemble(b *testing.B, profile, mode string) {
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
	e := newEnv(b, p, rc)
	if mode == "indexed" {
		e = newEnv(b, p, rc, withIndex(syncedIndex(b, e)))
	}
	if profile == "fixed" {
		for s, med := range map[*sim.Server]time.Duration{p.Province: 40 * time.Millisecond, p.City: 30 * time.Millisecond, p.District: 15 * time.Millisecond} {
			if err := s.SetFaults(sim.FaultConfig{Latency: sim.Latency{Median: sim.Duration(med), P99: sim.Duration(med)}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Warm up: token, connections.
	if _, err := e.asm.Assemble(b.Context(), p.Data.Persons[0].ID, evidence.AssembleOptions{}); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id := p.Data.Persons[(i*13+1)%len(p.Data.Persons)].ID
		start := time.Now()
		switch mode {
		case "sequential":
			sequential(b.Context(), b, e, id)
		case "province-only":
			// The floor: one province call, the slowest platform's single request.
			if _, err := e.province.Persons(b.Context(), []string{id}); err != nil {
				b.Fatal(err)
			}
		default:
			bd, err := e.asm.Assemble(b.Context(), id, evidence.AssembleOptions{})
			if err != nil || len(bd.Missing) > 0 {
				b.Fatalf("%v %v", err, bd.Missing)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*9/10]), "p90-ms")
	b.ReportMetric(ms(sum/time.Duration(len(lat))), "mean-ms")
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
