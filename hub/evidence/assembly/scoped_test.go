package assembly_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"

	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
	"sanmian/hub/evidence/assembly"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
	"sanmian/policies"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// catalogueItem is what this test reads of an item in the policy catalogue: the evidence
// its rule needs and the evidence paths its form is filled from.
type catalogueItem struct {
	Needs map[string][]string `yaml:"needs"`
	Form  []struct {
		Path string `yaml:"path"`
	} `yaml:"form"`
}

// catalogue returns the items of the real policy catalogue that declare needs, with the
// paths each reads (needs paths and form paths).
func catalogue(t *testing.T) map[string]catalogueItem {
	t.Helper()
	raw, err := policies.Bundle.ReadFile("data.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sanmian struct {
			Catalogue struct {
				Items map[string]catalogueItem `yaml:"items"`
			} `yaml:"catalogue"`
		} `yaml:"sanmian"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	items := map[string]catalogueItem{}
	for code, it := range doc.Sanmian.Catalogue.Items {
		if len(it.Needs) > 0 {
			items[code] = it
		}
	}
	if len(items) < 10 {
		t.Fatalf("only %d items with needs in the catalogue", len(items))
	}
	return items
}

func (it catalogueItem) options() evidence.AssembleOptions {
	return evidence.NeedsOptions(it.Needs, it.formPaths()...)
}

func (it catalogueItem) formPaths() []string {
	var ps []string
	for _, f := range it.Form {
		ps = append(ps, f.Path)
	}
	return ps
}

// paths is every evidence path the item reads.
func (it catalogueItem) paths() []string {
	var ps []string
	for _, k := range slices.Sorted(maps.Keys(it.Needs)) {
		ps = append(ps, it.Needs[k]...)
	}
	for _, p := range it.formPaths() {
		if p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestScopedEvidenceEqualsFull: for every item of the real catalogue that declares needs,
// the evidence assembled with the item's scoped call plan (NeedsOptions: no household
// record for an applicant-only item that reads no land or homestead, no other members, no
// licences or insurance unless read) is, on every path the item reads, the evidence of the
// full call plan: same values, provenance naming the same platform, endpoint and record,
// and the same conflicts. Against the real simulators, with and without the household
// index, for residents that include every deliberate inconsistency of the synthetic
// district (a death the village roll has not recorded, a household register left in
// another village). It also checks that the scoped plan never costs more upstream calls
// than the full one, and that an applicant-only item that reads no land costs exactly one
// district call (the resident record) besides its province and city batches.
func TestScopedEvidenceEqualsFull(t *testing.T) {
	items := catalogue(t)
	p, err := sim.Start(t.Context(), sim.Config{Residents: 3000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cold, indexed := assemblers(t, p)

	// Residents: every one showing a cross-level inconsistency, every member of their
	// households, and a spread of the rest.
	pick := map[int32]bool{}
	for i := range p.Data.Persons {
		per := &p.Data.Persons[i]
		if (per.Death != 0 && !per.DeathOnVillageRoll) || per.HukouVillage != p.Data.Households[per.Household].Village {
			for _, m := range p.Data.Households[per.Household].Members {
				pick[m] = true
			}
		}
		if i%41 == 0 {
			pick[int32(i)] = true
		}
	}
	residents := slices.Sorted(maps.Keys(pick))
	if len(residents) > 300 {
		residents = residents[:300]
	}

	// Items with the same options make the same calls: assemble once per distinct plan.
	plans := map[string][]string{} // options key -> item codes
	for _, code := range slices.Sorted(maps.Keys(items)) {
		k := fmt.Sprintf("%+v", items[code].options())
		plans[k] = append(plans[k], code)
	}
	seen := map[string]int{} // conflict fields met ("household.N.x" as "household.x")
	for _, ri := range residents {
		id := p.Data.Persons[ri].ID
		resetStats(p)
		full, err := cold.Assemble(t.Context(), id, everything)
		if err != nil {
			t.Fatalf("full %d: %v", ri, err)
		}
		fullCalls := requests(p)
		if len(full.Missing) != 0 {
			t.Fatalf("full %d: missing %v", ri, full.Missing)
		}
		for _, c := range full.Conflicts {
			f := c.Field
			if seg := strings.SplitN(f, ".", 3); seg[0] == "household" && len(seg) == 3 {
				f = "household." + seg[2]
			}
			seen[f]++
		}
		for _, codes := range plans {
			opts := items[codes[0]].options()
			for name, asm := range map[string]*assembly.Assembler{"cold": cold, "indexed": indexed} {
				resetStats(p)
				scoped, err := asm.Assemble(t.Context(), id, opts)
				if err != nil {
					t.Fatalf("%s %s %d: %v", name, codes[0], ri, err)
				}
				calls := requests(p)
				if calls[total] > fullCalls[total] {
					t.Errorf("%s %s: %d calls, more than the full plan's %d", name, codes[0], calls[total], fullCalls[total])
				}
				if opts.ApplicantOnly && opts.SkipHouseholdRecord {
					want := map[string]int64{"province": 1 + b2i(wants(opts, evidence.MissingProvinceLicences)),
						"city": b2i(wants(opts, evidence.MissingCityInsurance)), "district": 1}
					want[total] = want["province"] + want["city"] + want["district"]
					if !maps.Equal(calls, want) {
						t.Errorf("%s %s: calls %v, want %v (one resident read, no household record)", name, codes[0], calls, want)
					}
				}
				for _, code := range codes {
					compareScoped(t, fmt.Sprintf("%s/%s/%d", name, code, ri), items[code], opts, full, scoped)
				}
			}
		}
	}
	// The sample must contain the inconsistencies the comparison is about.
	if seen["applicant.deceased"] == 0 || seen["applicant.village"] == 0 || seen["household.deceased"] == 0 || seen["household.village"] == 0 {
		t.Errorf("conflicts met: %v; the sample lacks an inconsistency", seen)
	}
}

const total = "total"

// everything asks for every evidence kind, the applicant's children included.
var everything = evidence.AssembleOptions{Kinds: []string{evidence.MissingProvincePerson, evidence.MissingProvinceLicences,
	evidence.MissingProvinceKinship, evidence.MissingCityInsurance, evidence.MissingDistrictHousehold, evidence.MissingDistrictRolls}}

// requests returns the data requests each simulator served since the last reset.
func requests(p *sim.Platforms) map[string]int64 {
	out := map[string]int64{}
	for _, s := range p.Servers() {
		n := s.Stats().Requests
		out[s.Name()] = n
		out[total] += n
	}
	return out
}

func resetStats(p *sim.Platforms) {
	for _, s := range p.Servers() {
		s.ResetStats()
	}
}

// assemblers returns two Assemblers over the same real clients: one without a household
// index (the district is asked who the members are) and one with the index over the
// district feed synced into a real SQLite file.
func assemblers(t *testing.T, p *sim.Platforms) (cold, indexed *assembly.Assembler) {
	t.Helper()
	pc, cc, dc := clients(t, p)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := hubsync.District(t.Context(), dc, st, nil); err != nil {
		t.Fatal(err)
	}
	// The city token is fetched once here so that call counts compare like with like.
	if _, err := cc.Insurance(t.Context(), []string{p.Data.Persons[0].ID}); err != nil {
		t.Fatal(err)
	}
	return assembly.New(pc, cc, dc), assembly.New(pc, cc, dc, assembly.WithHouseholdIndex(hubsync.Index{R: st}))
}

// clients returns the real clients of the three simulated platforms, closed when t ends.
func clients(t *testing.T, p *sim.Platforms) (*province.Client, *city.Client, *district.Client) {
	t.Helper()
	rc := resilience.Config{}
	pc, err := province.New(province.Config{BaseURL: p.Province.URL(), AppKey: p.Credentials.ProvinceAppKey, Secret: p.Credentials.ProvinceSecret, Resilience: rc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pc.Close)
	cc, err := city.New(city.Config{BaseURL: p.City.URL(), ClientID: p.Credentials.CityClientID, ClientSecret: p.Credentials.CityClientSecret, Resilience: rc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Close)
	dc, err := district.New(district.Config{BaseURL: p.District.URL(), APIKey: p.Credentials.DistrictAPIKey, Resilience: rc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	return pc, cc, dc
}

// compareScoped checks the scoped bundle against the full one on every path item reads.
func compareScoped(t *testing.T, name string, item catalogueItem, opts evidence.AssembleOptions, full, scoped evidence.Bundle) {
	t.Helper()
	if len(scoped.Missing) != 0 || scoped.Stale {
		t.Errorf("%s: missing %v stale %v", name, scoped.Missing, scoped.Stale)
	}
	fullIdx, scopedIdx := memberIndex(full), memberIndex(scoped)
	for _, path := range item.paths() {
		seg := strings.Split(path, ".")
		switch seg[0] {
		case "applicant":
			comparePerson(t, name, "applicant", "applicant", seg[1:], full, scoped, full.Applicant, scoped.Applicant)
		case "household":
			if !slices.Equal(slices.Sorted(maps.Keys(fullIdx)), slices.Sorted(maps.Keys(scopedIdx))) {
				t.Errorf("%s: household %v, want %v", name, slices.Sorted(maps.Keys(scopedIdx)), slices.Sorted(maps.Keys(fullIdx)))
				continue
			}
			for id, fi := range fullIdx {
				si := scopedIdx[id]
				comparePerson(t, name, "household."+strconv.Itoa(fi), "household."+strconv.Itoa(si), seg[1:], full, scoped, full.Household[fi], scoped.Household[si])
			}
		case "children":
			if len(full.Children) != len(scoped.Children) {
				t.Errorf("%s: %d children, want %d", name, len(scoped.Children), len(full.Children))
				continue
			}
			for i := range full.Children {
				p := "children." + strconv.Itoa(i)
				if fv, sv := value(t, full.Children[i], seg[1:]), value(t, scoped.Children[i], seg[1:]); fv != sv {
					t.Errorf("%s: %s.%s = %s, want %s", name, p, strings.Join(seg[1:], "."), sv, fv)
				}
				if fv, sv := provenance(full, full.Children[i].Person, p, seg[1:]), provenance(scoped, scoped.Children[i].Person, p, seg[1:]); fv != sv {
					t.Errorf("%s: provenance of %s.%s = %s, want %s", name, p, strings.Join(seg[1:], "."), sv, fv)
				}
			}
		default:
			t.Fatalf("%s: unknown path %q", name, path)
		}
	}
	// Conflicts: the full plan's conflicts about the persons the scoped bundle carries, on
	// values of the platforms the scoped plan asks. (An item that asks nothing of the city
	// does not see a province/city name disagreement; the synthetic district has none.)
	want := conflictSet(t, full, fullIdx, func(c evidence.Conflict) bool {
		if opts.ApplicantOnly && !strings.HasPrefix(c.Field, "applicant.") {
			return false
		}
		if strings.HasPrefix(c.Field, "children.") && !slices.Contains(opts.Kinds, evidence.MissingProvinceKinship) {
			return false
		}
		for _, v := range c.Values {
			if v.Platform == evidence.City && !wants(opts, evidence.MissingCityInsurance) {
				return false
			}
		}
		return true
	})
	got := conflictSet(t, scoped, scopedIdx, func(evidence.Conflict) bool { return true })
	if !slices.Equal(got, want) {
		t.Errorf("%s: conflicts\n%v\nwant\n%v", name, got, want)
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func wants(o evidence.AssembleOptions, kind string) bool {
	return len(o.Kinds) == 0 || slices.Contains(o.Kinds, kind)
}

// memberIndex maps each household member's ID number to its index in b.Household.
func memberIndex(b evidence.Bundle) map[string]int {
	m := map[string]int{}
	for i, p := range b.Household {
		m[p.IDNumber] = i
	}
	return m
}

// conflictSet renders b's conflicts kept by keep, with household indexes replaced by the
// member's ID number so that two bundles compare, sorted.
func conflictSet(t *testing.T, b evidence.Bundle, idx map[string]int, keep func(evidence.Conflict) bool) []string {
	t.Helper()
	byIndex := map[string]string{}
	for id, i := range idx {
		byIndex[strconv.Itoa(i)] = id
	}
	var out []string
	for _, c := range b.Conflicts {
		if !keep(c) {
			continue
		}
		field := c.Field
		if seg := strings.SplitN(field, ".", 3); seg[0] == "household" && len(seg) == 3 {
			field = "household." + byIndex[seg[1]] + "." + seg[2]
		}
		v, err := json.Marshal(c.Values)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s", field, c.Authority, v))
	}
	slices.Sort(out)
	return out
}

// comparePerson compares one person's value and provenance at rest (a path below
// "applicant" or "household"); fp and sp are the person's prefixes in each bundle.
func comparePerson(t *testing.T, name, fp, sp string, rest []string, full, scoped evidence.Bundle, fPer, sPer evidence.Person) {
	t.Helper()
	path := fp + "." + strings.Join(rest, ".")
	if fv, sv := value(t, fPer, rest), value(t, sPer, rest); fv != sv {
		t.Errorf("%s: %s = %s, want %s", name, path, sv, fv)
	}
	if fv, sv := provenance(full, fPer, fp, rest), provenance(scoped, sPer, sp, rest); fv != sv {
		t.Errorf("%s: provenance of %s = %s, want %s", name, path, sv, fv)
	}
}

// value renders the JSON value of person at rest; "licences.<type>[.field...]" selects the
// licences of that type.
func value(t *testing.T, per any, rest []string) string {
	t.Helper()
	raw, err := json.Marshal(per)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if rest[0] == "licences" && len(rest) > 1 {
		var sel []any
		for _, l := range v.(map[string]any)["licences"].([]any) {
			if l.(map[string]any)["type"] == rest[1] {
				sel = append(sel, dig(l, rest[2:]))
			}
		}
		v = sel
	} else {
		v = dig(v, rest)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func dig(v any, rest []string) any {
	for _, s := range rest {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[s]
	}
	return v
}

// provenance renders where b says the value at prefix.rest came from (platform, endpoint,
// record, stale; not the fetch time); for "licences.<type>" the provenance of each licence
// of that type.
func provenance(b evidence.Bundle, per evidence.Person, prefix string, rest []string) string {
	show := func(pv evidence.Provenance, ok bool) string {
		if !ok {
			return "none"
		}
		return fmt.Sprintf("%s %s %s stale=%v", pv.Platform, pv.Endpoint, pv.Record, pv.Stale)
	}
	if rest[0] == "licences" && len(rest) > 1 {
		var out []string
		for i, l := range per.Licences {
			if l.Type == rest[1] {
				pv, ok := b.Provenance[prefix+".licences."+strconv.Itoa(i)]
				out = append(out, show(pv, ok))
			}
		}
		pv, ok := b.Provenance[prefix+".licences"]
		return show(pv, ok) + " " + strings.Join(out, "; ")
	}
	return show(b.ProvenanceOf(prefix + "." + strings.Join(rest, ".")))
}
