package conformance

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sanmian/connectors"
	"sanmian/connectors/cache"
	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/evidence"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
)

// household returns a household with exactly n members, all living and known everywhere.
func household(t testing.TB, d *synth.District, n int) *synth.Household {
	t.Helper()
	for i := range d.Households {
		h := &d.Households[i]
		if len(h.Members) == n {
			return h
		}
	}
	t.Fatalf("no household of %d", n)
	return nil
}

func resetStats(p *sim.Platforms) {
	for _, s := range p.Servers() {
		s.ResetStats()
	}
}

// syncedIndex syncs the district feed into a real SQLite file and returns the household
// index over it.
func syncedIndex(t testing.TB, e *env) evidence.HouseholdIndex {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := hubsync.District(t.Context(), e.district, st, nil); err != nil {
		t.Fatal(err)
	}
	return hubsync.Index{R: st}
}

// TestHouseholdBatching: a household of 5 costs exactly one call per batch-capable
// endpoint (province rkjc/query and dzzz/query, city batchGet) and one district call per
// member plus one for the household, with and without a household index.
func TestHouseholdBatching(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 600})
	for _, indexed := range []bool{false, true} {
		name := "cold"
		if indexed {
			name = "indexed"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, p, fastResilience())
			if indexed {
				e = newEnv(t, p, fastResilience(), withIndex(syncedIndex(t, e)))
			}
			h := household(t, p.Data, 5)
			head := p.Data.Persons[h.Members[0]]
			if _, err := e.city.Insurance(t.Context(), []string{head.ID}); err != nil { // obtain the token first
				t.Fatal(err)
			}
			resetStats(p)
			b, err := e.asm.Assemble(t.Context(), head.ID, evidence.AssembleOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Missing) != 0 || len(b.Household) != 4 {
				t.Fatalf("missing %v, household %d", b.Missing, len(b.Household))
			}
			want := map[*sim.Server]map[string]int64{
				p.Province: {"POST /gateway/api/rkjc/query": 1, "POST /gateway/api/dzzz/query": 1},
				p.City:     {"POST /api/v2/insured-persons:batchGet": 1},
				p.District: {"GET /open/v1/households/{household_no}": 1, "GET /open/v1/residents/{id_no}": 5},
			}
			wantCalls(t, want)
			if got := p.Province.Stats().IDsRequested; got != 10 {
				t.Errorf("province ids requested = %d, want 10 (5 persons + 5 holders)", got)
			}
		})
	}
}

// TestReconciliation: fields come from their authoritative platform with provenance, and
// disagreements are kept as conflicts.
func TestReconciliation(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 3000})
	e := newEnv(t, p, fastResilience())
	var deadNotOnRoll, moved *synth.Person
	for i := range p.Data.Persons {
		per := &p.Data.Persons[i]
		if deadNotOnRoll == nil && per.Death != 0 && !per.DeathOnVillageRoll {
			deadNotOnRoll = per
		}
		if moved == nil && per.HukouVillage != p.Data.Households[per.Household].Village {
			moved = per
		}
	}
	if deadNotOnRoll == nil || moved == nil {
		t.Fatal("the synthetic district has no inconsistency to test")
	}
	b, err := e.asm.Assemble(t.Context(), deadNotOnRoll.ID, evidence.AssembleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Applicant.Deceased || b.Applicant.Rolls == nil || b.Applicant.Rolls.Deceased {
		t.Errorf("deceased: province %v, roll %+v", b.Applicant.Deceased, b.Applicant.Rolls)
	}
	if c := findConflict(b, "applicant.deceased"); c == nil || c.Authority != evidence.Province || len(c.Values) != 2 {
		t.Errorf("no deceased conflict: %+v", b.Conflicts)
	}
	if pv := b.Provenance["applicant.deceased"]; pv.Platform != evidence.Province || pv.Endpoint != "rkjc/query" || pv.FetchedAt.IsZero() {
		t.Errorf("provenance of deceased = %+v", pv)
	}

	b, err = e.asm.Assemble(t.Context(), moved.ID, evidence.AssembleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantVillage := p.Data.Village(moved).Code
	if b.Applicant.Village != wantVillage {
		t.Errorf("village = %s, want the district's %s", b.Applicant.Village, wantVillage)
	}
	if c := findConflict(b, "applicant.village"); c == nil || c.Authority != evidence.District {
		t.Errorf("no village conflict: %+v", b.Conflicts)
	}
	if pv, ok := b.ProvenanceOf("applicant.rolls.dibao"); !ok || pv.Platform != evidence.District {
		t.Errorf("provenance of rolls.dibao = %+v", pv)
	}
	if pv, ok := b.ProvenanceOf("applicant.insurance.pension"); !ok || pv.Platform != evidence.City {
		t.Errorf("provenance of insurance.pension = %+v", pv)
	}
	for i := range b.Applicant.Licences {
		if pv := b.Provenance["applicant.licences."+itoa(i)]; pv.Record != b.Applicant.Licences[i].ID {
			t.Errorf("licence %d provenance record %q", i, pv.Record)
		}
	}
	if strings.Contains(b.Provenance["applicant.name"].Record, moved.ID) {
		t.Error("provenance record carries the full ID number")
	}

	if _, err := e.asm.Assemble(t.Context(), "110101199003074258", evidence.AssembleOptions{}); !errors.Is(err, evidence.ErrUnknownResident) {
		t.Errorf("unknown resident: %v", err)
	}
	if _, err := e.asm.Assemble(t.Context(), "110101199003074259", evidence.AssembleOptions{}); !errors.Is(err, evidence.ErrInvalidIDNumber) {
		t.Errorf("bad check character: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func findConflict(b evidence.Bundle, field string) *evidence.Conflict {
	for i := range b.Conflicts {
		if b.Conflicts[i].Field == field {
			return &b.Conflicts[i]
		}
	}
	return nil
}

// TestCacheSingleFlight: concurrent requests for one person make one upstream call per
// endpoint; a repeated request within the TTL makes none.
func TestCacheSingleFlight(t *testing.T) {
	p := startSim(t, sim.Config{})
	c := cache.New(cache.Config{})
	e := newEnv(t, p, fastResilience(), withCache(c))
	// Slow the platforms a little so the 20 requests overlap.
	for _, s := range p.Servers() {
		s.SetFaults(sim.FaultConfig{Latency: sim.Latency{Median: sim.Duration(20 * time.Millisecond), P99: sim.Duration(20 * time.Millisecond)}})
	}
	h := household(t, p.Data, 3)
	id := p.Data.Persons[h.Members[0]].ID
	resetStats(p)
	var wg sync.WaitGroup
	var fails atomic.Int32
	for range 20 {
		wg.Go(func() {
			b, err := e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
			if err != nil || len(b.Missing) > 0 {
				fails.Add(1)
			}
		})
	}
	wg.Wait()
	if fails.Load() > 0 {
		t.Fatalf("%d requests failed", fails.Load())
	}
	if n := p.Province.Stats().ByEndpoint["POST /gateway/api/rkjc/query"]; n != 1 {
		t.Errorf("rkjc calls = %d, want 1 for 20 concurrent requests", n)
	}
	if n := p.City.Stats().ByEndpoint["POST /api/v2/insured-persons:batchGet"]; n != 1 {
		t.Errorf("batchGet calls = %d, want 1", n)
	}
	resetStats(p)
	if _, err := e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Servers() {
		if n := s.Stats().Requests; n != 0 {
			t.Errorf("%s: %d calls for a cached request", s.Name(), n)
		}
	}
}

// TestOutageProvince: with the province down, the breaker opens and then fails fast,
// cached evidence is served marked stale where the caller allows it (Missing otherwise,
// with an error naming the platform), and the connector recovers when the province returns.
func TestOutageProvince(t *testing.T) {
	p := startSim(t, sim.Config{})
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	c := cache.New(cache.Config{DefaultTTL: time.Minute}, cache.WithClock(clock))
	rc := fastResilience()
	rc.RetryMax = 2
	e := newEnv(t, p, rc, withCache(c))
	h := household(t, p.Data, 3)
	id := p.Data.Persons[h.Members[0]].ID
	if b, err := e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{}); err != nil || len(b.Missing) > 0 {
		t.Fatalf("warm-up: %v %v", err, b.Missing)
	}
	now.Add(int64(2 * time.Minute)) // every cached value is past its TTL
	if err := p.Province.SetFaults(sim.FaultConfig{Outages: []sim.Outage{{Mode: sim.OutageStatus}}}); err != nil {
		t.Fatal(err)
	}
	// Stale allowed: the province's part is served from cache, marked stale.
	b, err := e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Missing) != 0 || !b.Stale || !b.Provenance["applicant.name"].Stale || b.Provenance["applicant.village"].Stale {
		t.Fatalf("stale serve: missing %v stale %v name %+v village %+v", b.Missing, b.Stale, b.Provenance["applicant.name"], b.Provenance["applicant.village"])
	}
	if b.Applicant.Name != p.Data.Persons[h.Members[0]].Name {
		t.Errorf("stale name = %q", b.Applicant.Name)
	}
	// Drive the breaker open, then measure: the province part fails in well under 50 ms.
	for range 3 {
		e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
	}
	start := time.Now()
	_, err = e.province.Persons(t.Context(), []string{id})
	if el := time.Since(start); el > 50*time.Millisecond || !errors.Is(err, connectors.ErrCircuitOpen) {
		t.Fatalf("open breaker: %v after %v", err, el)
	}
	b, err = e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.Missing, evidence.MissingProvincePerson) || !slices.Contains(b.Missing, evidence.MissingProvinceLicences) || b.Stale {
		t.Fatalf("stale not allowed: missing %v stale %v", b.Missing, b.Stale)
	}
	if err := b.Failures[evidence.MissingProvincePerson]; err == nil || err.Error() != "connectors: province: circuit open" {
		t.Errorf("failure = %v, want the platform named", err)
	}
	if b.Applicant.Insurance == nil || b.Applicant.Rolls == nil {
		t.Error("the other platforms' evidence is missing")
	}
	// The province returns: the breaker probes and closes by itself.
	p.Province.SetFaults(sim.FaultConfig{})
	time.Sleep(rc.BreakerOpen + 20*time.Millisecond)
	// The half-open breaker admits one probe; a request racing it may still be refused.
	for try := 0; ; try++ {
		b, err = e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
		if err == nil && len(b.Missing) == 0 && !b.Stale {
			break
		}
		if try == 3 {
			t.Fatalf("after recovery: %v missing %v stale %v", err, b.Missing, b.Stale)
		}
	}
	if s := e.province.Resilience().BreakerState(); s != "closed" {
		t.Errorf("breaker %s", s)
	}
}

// TestOutageProvinceProfile: the built-in outage-province profile: without any cache the
// province evidence is Missing, with the error naming the platform; the rest is there.
func TestOutageProvinceProfile(t *testing.T) {
	p := startSim(t, sim.Config{Faults: sim.ProfileOutageProvince})
	rc := fastResilience()
	rc.RetryMax = 1
	e := newEnv(t, p, rc)
	for i := range 8 {
		id := p.Data.Persons[i].ID
		start := time.Now()
		b, err := e.asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(b.Missing, evidence.MissingProvincePerson) || b.Applicant.Rolls == nil {
			t.Fatalf("missing %v", b.Missing)
		}
		if i >= 5 {
			if !errors.Is(b.Failures[evidence.MissingProvincePerson], connectors.ErrCircuitOpen) {
				t.Errorf("request %d: %v, want circuit open", i, b.Failures[evidence.MissingProvincePerson])
			}
			if el := time.Since(start); el > 200*time.Millisecond {
				t.Errorf("request %d took %v with the breaker open", i, el)
			}
		}
	}
}

// TestChildrenWhereverTheyLive: with province.kinship asked for, the bundle carries every
// child the province links to the applicant, those living in other households included,
// each with its own province record, licences and how it is linked; the household children
// carry the household link too. Without the kind, no kinship call is made. With the province
// down, province.kinship is missing (the children are not guessed from the household).
func TestChildrenWhereverTheyLive(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 1000})
	e := newEnv(t, p, fastResilience())
	d := p.Data
	kinds := []string{evidence.MissingProvincePerson, evidence.MissingProvinceLicences, evidence.MissingProvinceKinship,
		evidence.MissingCityInsurance, evidence.MissingDistrictHousehold, evidence.MissingDistrictRolls}
	var parent int32 = -1
	for i := range d.Persons {
		per := &d.Persons[i]
		ks := d.Children(int32(i))
		if per.Death != 0 || (per.Relation != synth.Head && per.Relation != synth.Spouse) || len(ks) < 2 {
			continue
		}
		home, away := 0, 0
		for _, k := range ks {
			if d.Persons[k].Household == per.Household {
				home++
			} else {
				away++
			}
		}
		if home > 0 && away > 0 {
			parent = int32(i)
			break
		}
	}
	if parent < 0 {
		t.Fatal("no parent with children at home and elsewhere")
	}
	per := &d.Persons[parent]
	resetStats(p)
	b, err := e.asm.Assemble(t.Context(), per.ID, evidence.AssembleOptions{Kinds: kinds})
	if err != nil || len(b.Missing) != 0 {
		t.Fatalf("%v, missing %v", err, b.Missing)
	}
	if n := p.Province.Stats().ByEndpoint["POST /gateway/api/qsgx/query"]; n != 1 {
		t.Errorf("qsgx calls = %d, want 1", n)
	}
	ks := d.Children(parent)
	if len(b.Children) != len(ks) {
		t.Fatalf("%d children, want %d: %+v", len(b.Children), len(ks), b.Children)
	}
	for i, k := range ks {
		kp, c := &d.Persons[k], b.Children[i]
		if c.IDNumber != kp.ID || c.Name != kp.Name || c.BirthDate != kp.Birth.String() || c.Deceased != (kp.Death != 0) {
			t.Errorf("child %d = %+v, want %s %s", i, c.Person, kp.ID, kp.Name)
		}
		if len(c.Licences) != len(d.Licences(k)) {
			t.Errorf("child %d: %d licences, want %d", i, len(c.Licences), len(d.Licences(k)))
		}
		athome := kp.Household == per.Household
		if slices.Contains(c.Links, evidence.LinkHousehold) != athome || !(slices.Contains(c.Links, evidence.LinkBirthCertificate) || slices.Contains(c.Links, evidence.LinkPopulationBase)) {
			t.Errorf("child %d (at home %v): links %v", i, athome, c.Links)
		}
		if kp.Mother >= 0 && c.MotherIDNumber != d.Persons[kp.Mother].ID {
			t.Errorf("child %d: mother %q, want %s", i, c.MotherIDNumber, d.Persons[kp.Mother].ID)
		}
		if pv := b.Provenance["children."+strconv.Itoa(i)+".deceased"]; pv.Endpoint != "rkjc/query" {
			t.Errorf("child %d: provenance of deceased %+v", i, pv)
		}
	}

	resetStats(p)
	if b, err := e.asm.Assemble(t.Context(), per.ID, evidence.AssembleOptions{}); err != nil || len(b.Children) != 0 {
		t.Fatalf("without the kind: %v, %d children", err, len(b.Children))
	}
	if n := p.Province.Stats().ByEndpoint["POST /gateway/api/qsgx/query"]; n != 0 {
		t.Errorf("qsgx calls without the kind = %d, want 0", n)
	}

	if err := p.Province.SetFaults(sim.FaultConfig{Outages: []sim.Outage{{Mode: sim.OutageStatus}}}); err != nil {
		t.Fatal(err)
	}
	b, err = e.asm.Assemble(t.Context(), per.ID, evidence.AssembleOptions{Kinds: kinds})
	if err != nil || !slices.Contains(b.Missing, evidence.MissingProvinceKinship) || !slices.Contains(b.Missing, evidence.MissingProvincePerson) {
		t.Fatalf("province down: %v, missing %v", err, b.Missing)
	}
}
