package assembly_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"sanmian/connectors/cache"
	"sanmian/connectors/district"
	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
	"sanmian/hub/evidence/assembly"
)

// TestLandOnlyFromHouseholdRecord: the household's contracted land (applicant.rolls.land_mu)
// is evidence only when the district household record was read. Against the real simulators:
// with the record, the bundle carries the simulator's value (a pointer to 0 for a household
// without land) with the household endpoint's provenance; without it (SkipHouseholdRecord, or
// the record could not be read) land is absent: nil, no "land_mu" in the JSON and no
// provenance entry, never a 0 attributed to the resident record.
func TestLandOnlyFromHouseholdRecord(t *testing.T) {
	p, err := sim.Start(t.Context(), sim.Config{Residents: 400, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pc, cc, dc := clients(t, p)
	asm := assembly.New(pc, cc, dc)

	// Heads of a household with land and of one without, alive and on every platform.
	heads := map[bool]int32{} // has land -> person index
	for _, h := range p.Data.Households {
		head := h.Members[0]
		if _, done := heads[h.LandMu > 0]; !done && p.Data.Persons[head].Death == 0 {
			heads[h.LandMu > 0] = head
		}
	}
	if len(heads) != 2 {
		t.Fatalf("the synthetic district lacks a household with or without land: %v", heads)
	}
	land := evidence.NeedsOptions(map[string][]string{
		evidence.MissingDistrictHousehold: {"applicant.village"},
		evidence.MissingDistrictRolls:     {"applicant.rolls.land_mu", "applicant.rolls.enrolled"},
	})
	applicantOnly := evidence.NeedsOptions(map[string][]string{
		evidence.MissingDistrictHousehold: {"applicant.village"},
		evidence.MissingDistrictRolls:     {"applicant.rolls.enrolled"},
	})
	if land.SkipHouseholdRecord || !applicantOnly.SkipHouseholdRecord {
		t.Fatalf("options: land %+v, applicant only %+v", land, applicantOnly)
	}

	for _, withLand := range []bool{true, false} {
		per := &p.Data.Persons[heads[withLand]]
		hh := &p.Data.Households[per.Household]
		want, err := strconv.ParseFloat(strconv.FormatFloat(float64(hh.LandMu), 'f', 2, 32), 64)
		if err != nil {
			t.Fatal(err)
		}
		name := "no_land"
		if withLand {
			name = "land"
		}
		for _, tc := range []struct {
			name string
			opts evidence.AssembleOptions
		}{{"full", evidence.AssembleOptions{}}, {"needs_land", land}} {
			t.Run(name+"/household_record_"+tc.name, func(t *testing.T) {
				b, err := asm.Assemble(t.Context(), per.ID, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(b.Missing) != 0 || b.Applicant.Rolls == nil {
					t.Fatalf("missing %v, rolls %v", b.Missing, b.Applicant.Rolls)
				}
				if got := b.Applicant.Rolls.LandMu; got == nil || *got != want {
					t.Fatalf("land_mu = %v, want %v", got, want)
				}
				if raw := rollsJSON(t, b); raw["land_mu"] != want {
					t.Errorf("JSON land_mu = %v, want %v", raw["land_mu"], want)
				}
				pv, ok := b.Provenance["applicant.rolls.land_mu"]
				if !ok || pv.Platform != evidence.District || pv.Endpoint != district.EndpointHousehold || pv.Record != hh.No {
					t.Errorf("provenance of land_mu = %+v %v, want the household record %s", pv, ok, hh.No)
				}
			})
		}
		t.Run(name+"/skip_household_record", func(t *testing.T) {
			b, err := asm.Assemble(t.Context(), per.ID, applicantOnly)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Missing) != 0 || b.Applicant.Rolls == nil {
				t.Fatalf("missing %v, rolls %v", b.Missing, b.Applicant.Rolls)
			}
			assertNoLand(t, b)
		})
	}

	// The household record fails: land is absent and district.household is missing. The
	// resident record comes from the cache, so only the household read meets the outage.
	t.Run("household_record_failed", func(t *testing.T) {
		asm := assembly.New(pc, cc, dc, assembly.WithCache(cache.New(cache.Config{})))
		id := p.Data.Persons[heads[true]].ID
		if _, err := asm.Assemble(t.Context(), id, applicantOnly); err != nil {
			t.Fatal(err)
		}
		if err := p.District.SetFaults(sim.FaultConfig{ErrorRate: 1}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := p.District.SetFaults(sim.FaultConfig{}); err != nil {
				t.Error(err)
			}
		}()
		b, err := asm.Assemble(t.Context(), id, land)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b.Missing, []string{evidence.MissingDistrictHousehold}) || b.Applicant.Rolls == nil {
			t.Fatalf("missing %v, rolls %v; want only the household record missing", b.Missing, b.Applicant.Rolls)
		}
		assertNoLand(t, b)
	})
}

// assertNoLand checks that b carries no land: nil, absent from the JSON, no provenance.
func assertNoLand(t *testing.T, b evidence.Bundle) {
	t.Helper()
	if b.Applicant.Rolls.LandMu != nil {
		t.Errorf("land_mu = %v, want absent", *b.Applicant.Rolls.LandMu)
	}
	if v, ok := rollsJSON(t, b)["land_mu"]; ok {
		t.Errorf("JSON carries land_mu %v", v)
	}
	if pv, ok := b.Provenance["applicant.rolls.land_mu"]; ok {
		t.Errorf("provenance of absent land_mu: %+v", pv)
	}
}

// rollsJSON is the applicant's rolls as the bundle's JSON carries them.
func rollsJSON(t *testing.T, b evidence.Bundle) map[string]any {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Applicant struct {
			Rolls map[string]any `json:"rolls"`
		} `json:"applicant"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Applicant.Rolls
}

// TestHouseholdRecordNotFound: when the resident roll names a household the district platform
// does not have, the household evidence is missing (district.household), not empty: no
// members, no land and no homestead are passed on as facts, and the applicant's own records
// still arrive.
func TestHouseholdRecordNotFound(t *testing.T) {
	p, err := sim.Start(t.Context(), sim.Config{Residents: 400, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	id := ""
	for i := range p.Data.Households {
		h := &p.Data.Households[i]
		head := &p.Data.Persons[h.Members[0]]
		if head.Death == 0 && len(h.Members) > 1 && h.LandMu > 0 {
			// Before any request: the resident record now points at a household number the
			// platform's household index does not know.
			h.No = "370114999999999"
			id = head.ID
			break
		}
	}
	if id == "" {
		t.Fatal("no living head of a household with members and land")
	}
	pc, cc, dc := clients(t, p)
	asm := assembly.New(pc, cc, dc)
	b, err := asm.Assemble(t.Context(), id, evidence.AssembleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.Missing, evidence.MissingDistrictHousehold) {
		t.Errorf("missing %v, want %s", b.Missing, evidence.MissingDistrictHousehold)
	}
	if len(b.Household) != 0 {
		t.Errorf("household members %d, want none", len(b.Household))
	}
	if b.Applicant.Rolls == nil || b.Applicant.Rolls.LandMu != nil || b.Applicant.Rolls.Homestead != nil {
		t.Errorf("rolls %+v: want the resident's rolls without land or homestead", b.Applicant.Rolls)
	}
	if b.Applicant.BirthDate == "" || b.Applicant.Village == "" {
		t.Errorf("applicant's own records missing: %+v", b.Applicant)
	}
}
