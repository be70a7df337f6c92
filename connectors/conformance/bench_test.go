package conformance

import (
	"context"
	"fmt"
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
			b.Run(profile+"/"+mode, func(b *testing.B) { benchAssemble(b, profile, mode, "all", 0) })
		}
	}
}

// Items whose declared needs (copied from policies/data.yaml) scope the evidence request:
// elderly_allowance reads only the applicant (province person, district resident and
// household records: 3 calls); rural_family_planning_reward reads the household's person
// records and licences but no insurance (no city calls). "all" is what the service asked
// for before requests were scoped: everything about the whole household.
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
	// Warm up: token, connections, and the latency windows the hedger needs (32 answers
	// per endpoint) from residents the measured loop does not ask for.
	for i := range 60 {
		if _, err := e.asm.Assemble(b.Context(), p.Data.Persons[(i*13+7)%len(p.Data.Persons)].ID, evidence.AssembleOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	attempts0, hedges0 := total(metricSum(b, e, "sanmian_connector_attempts_total")), total(metricSum(b, e, "sanmian_connector_hedges_total"))
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
			bd, err := e.asm.Assemble(b.Context(), id, opts)
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
