package synth

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"sanmian/hub/division"
	"sanmian/hub/ident"
)

// mediumResidents is the size of the district the shape tests run on: big enough for
// shares to be stable, small enough to build in a fraction of a second.
const mediumResidents = 50_000

var (
	mediumOnce sync.Once
	medium     *District
	mediumErr  error
)

// mediumDistrict is generated once and shared read-only by the tests.
func mediumDistrict(t *testing.T) *District {
	t.Helper()
	mediumOnce.Do(func() { medium, mediumErr = Generate(Config{Residents: mediumResidents, Seed: 7}) })
	if mediumErr != nil {
		t.Fatalf("Generate: %v", mediumErr)
	}
	return medium
}

func smallDistrict(t *testing.T) *District {
	t.Helper()
	d, err := Generate(Config{Seed: 1})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return d
}

// dump writes a canonical text form of every generated value.
func dump(w io.Writer, d *District) {
	bw := bufio.NewWriter(w)
	for i := range d.Persons {
		fmt.Fprintf(bw, "%+v\n", d.Persons[i])
	}
	for h := range d.Households {
		fmt.Fprintf(bw, "%+v\n", d.Households[h])
	}
	bw.Flush()
}

func digest(d *District) string {
	h := sha256.New()
	dump(h, d)
	return hex.EncodeToString(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	gen := func(seed int64, procs int) string {
		t.Helper()
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		d, err := Generate(Config{Residents: 40_000, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return digest(d)
	}
	a := gen(42, 2)
	tests := []struct {
		name  string
		seed  int64
		procs int
		same  bool
	}{
		{"same_seed_again", 42, 2, true},
		{"same_seed_one_cpu", 42, 1, true},
		{"other_seed", 43, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b := gen(tt.seed, tt.procs); (a == b) != tt.same {
				t.Errorf("digest equal = %v, want %v", a == b, tt.same)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d := smallDistrict(t)
	if len(d.Persons) != DefaultResidents {
		t.Errorf("residents = %d, want %d", len(d.Persons), DefaultResidents)
	}
	if !d.Config.Reference.Equal(DefaultReference) {
		t.Errorf("reference = %v", d.Config.Reference)
	}
	exact, err := Generate(Config{Residents: 20_001, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(exact.Persons) != 20_001 {
		t.Errorf("residents = %d, want 20001", len(exact.Persons))
	}
}

func TestTinyDistricts(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 16385} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d, err := Generate(Config{Residents: n, Seed: int64(n)})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Persons) != n {
				t.Errorf("%d persons, want %d", len(d.Persons), n)
			}
			_ = d.Samples(8)
			_ = d.Stats()
			for i := range d.Persons {
				_ = d.Licences(int32(i))
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative_residents", Config{Residents: -1}},
		{"too_many_residents", Config{Residents: 30_000_000}},
		{"reference_before_2000", Config{Reference: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate(tt.cfg); !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestIDNumbers(t *testing.T) {
	d := mediumDistrict(t)
	seen := make(map[string]bool, len(d.Persons))
	for i := range d.Persons {
		p := &d.Persons[i]
		n, err := ident.ParseIDNumber(p.ID)
		if err != nil {
			t.Fatalf("person %d: invalid ID number: %v", i, err)
		}
		if seen[p.ID] {
			t.Fatalf("person %d: duplicate ID number", i)
		}
		seen[p.ID] = true
		if byte(n.Sex) != p.Sex {
			t.Errorf("person %d: sex %c, ID says %c", i, p.Sex, n.Sex)
		}
		if p.ID[6:14] != p.Birth.Compact() {
			t.Errorf("person %d: birth %s not in ID number", i, p.Birth)
		}
		if p.Birth.Year() >= 2017 && p.ID[:6] != division.DistrictCode {
			t.Errorf("person %d born %s: address %s, want %s", i, p.Birth, p.ID[:6], division.DistrictCode)
		}
		if q, j, ok := d.PersonByID(p.ID); !ok || j != int32(i) || q != p {
			t.Fatalf("PersonByID(person %d) = %d, %v", i, j, ok)
		}
		if utf8Len := len([]rune(p.Name)); utf8Len < 2 || utf8Len > 3 {
			t.Errorf("person %d: name of %d characters", i, utf8Len)
		}
	}
	former := 0
	for i := range d.Persons {
		if d.Persons[i].ID[:6] == division.FormerDistrictCode {
			former++
		}
	}
	if share := float64(former) / float64(len(d.Persons)); share < 0.6 {
		t.Errorf("share of %s ID numbers = %.2f, want most", division.FormerDistrictCode, share)
	}
	if _, _, ok := d.PersonByID("370114190001010000"); ok {
		t.Error("PersonByID found an unknown number")
	}
}

func TestHouseholds(t *testing.T) {
	d := mediumDistrict(t)
	inHousehold := make([]int, len(d.Persons))
	nos := map[string]bool{}
	for h := range d.Households {
		hh := &d.Households[h]
		if len(hh.No) != 15 || !strings.HasPrefix(hh.No, division.DistrictCode) || nos[hh.No] {
			t.Fatalf("household %d: bad or duplicate number %q", h, hh.No)
		}
		nos[hh.No] = true
		if got, ok := d.HouseholdByNo(hh.No); !ok || got != hh {
			t.Fatalf("HouseholdByNo(%s) failed", hh.No)
		}
		if len(hh.Members) == 0 {
			t.Fatalf("household %d has no members", h)
		}
		if r := d.Persons[hh.Members[0]].Relation; r != Head {
			t.Errorf("household %d: first member is %s, want head", h, r)
		}
		head := &d.Persons[hh.Members[0]]
		headIdx := hh.Members[0]
		for _, m := range hh.Members[1:] {
			p := &d.Persons[m]
			parentOf := func(child *Person, par int32) bool {
				return par >= 0 && (child.Father == par || child.Mother == par)
			}
			ok := true
			switch p.Relation {
			case Spouse:
				ok = p.Spouse == headIdx
			case Son, Daughter:
				ok = parentOf(p, headIdx) || parentOf(p, head.Spouse)
			case Father, Mother:
				ok = parentOf(head, m)
			case Grandson, Granddaughter:
				ok = (p.Father >= 0 && parentOf(&d.Persons[p.Father], headIdx)) || (p.Mother >= 0 && parentOf(&d.Persons[p.Mother], headIdx)) ||
					(p.Father >= 0 && parentOf(&d.Persons[p.Father], head.Spouse)) || (p.Mother >= 0 && parentOf(&d.Persons[p.Mother], head.Spouse))
			case DaughterInLaw, SonInLaw:
				ok = p.Spouse >= 0 && (parentOf(&d.Persons[p.Spouse], headIdx) || parentOf(&d.Persons[p.Spouse], head.Spouse))
			}
			if !ok {
				t.Errorf("household %d: member %d is %s but not related that way to the head", h, m, p.Relation)
			}
		}
		living := 0
		for k, m := range hh.Members {
			inHousehold[m]++
			p := &d.Persons[m]
			if p.Household != int32(h) {
				t.Errorf("person %d lists household %d, member of %d", m, p.Household, h)
			}
			if k > 0 && p.Relation == Head {
				t.Errorf("household %d: two heads", h)
			}
			if p.Death == 0 {
				living++
			}
		}
		if living > maxHousehold {
			t.Errorf("household %d has %d living members", h, living)
		}
		if hh.HouseGrade < 'A' || hh.HouseGrade > 'D' {
			t.Errorf("household %d: house grade %q", h, hh.HouseGrade)
		}
		if int(hh.Village) >= len(division.Villages()) {
			t.Errorf("household %d: village %d", h, hh.Village)
		}
	}
	for i := range d.Persons {
		p := &d.Persons[i]
		if inHousehold[i] != 1 {
			t.Fatalf("person %d is in %d households", i, inHousehold[i])
		}
		if p.Spouse >= 0 {
			if d.Persons[p.Spouse].Spouse != int32(i) {
				t.Errorf("person %d: spouse %d does not point back", i, p.Spouse)
			}
			if d.Persons[p.Spouse].Sex == p.Sex {
				t.Errorf("person %d: spouse of the same sex", i)
			}
		}
		if p.Marital == Married && p.Spouse < 0 {
			t.Errorf("person %d: married without spouse", i)
		}
		for _, par := range []int32{p.Father, p.Mother} {
			if par < 0 {
				continue
			}
			if gap := ageOn(d.Persons[par].Birth, p.Birth); gap < 16 {
				t.Errorf("person %d: parent %d only %d years older", i, par, gap)
			}
			if !slices.Contains(d.Children(par), int32(i)) {
				t.Errorf("person %d missing from Children(%d)", i, par)
			}
		}
		if p.Father >= 0 && d.Persons[p.Father].Sex != 'M' || p.Mother >= 0 && d.Persons[p.Mother].Sex != 'F' {
			t.Errorf("person %d: parent of the wrong sex", i)
		}
		if p.Death != 0 && (p.Death < p.Birth || p.Death.Time().After(d.Config.Reference)) {
			t.Errorf("person %d: death %s outside life", i, p.Death)
		}
		if p.Birth.Time().After(d.Config.Reference) {
			t.Errorf("person %d born after the reference day", i)
		}
	}
}

// share is a fraction with its accepted range.
type share struct {
	name      string
	num, den  int
	low, high float64
}

func TestShares(t *testing.T) {
	d := mediumDistrict(t)
	s := d.Stats()
	severe := s.DisabledByGrade[1] + s.DisabledByGrade[2]
	onePerson := s.HouseholdSizes[1]
	tests := []share{
		{"aged_60_plus", s.Aged60Plus, s.Living, 0.24, 0.30},
		{"aged_80_plus", s.Aged80Plus, s.Living, 0.028, 0.045},
		{"aged_90_plus", s.Aged90Plus, s.Living, 0.002, 0.008},
		{"aged_100_plus", s.Aged100Plus, s.Living, 0, 0.0003},
		{"children_0_15", s.AgeBands[0].Count, s.Living, 0.11, 0.19},
		{"male", s.Male, s.Living, 0.48, 0.52},
		{"agricultural", s.Agricultural, s.Living, 0.72, 0.86},
		{"disabled", s.Disabled, s.Living, 0.05, 0.07},
		{"disabled_grade_1_2", severe, s.Disabled, 0.35, 0.45},
		{"dibao_households", s.DibaoHouseholds, s.Households, 0.02, 0.03},
		{"tekun", s.Tekun, s.Living, 0.003, 0.008},
		{"deaths_last_year", s.DeceasedLastYear, s.Residents, 0.005, 0.009},
		{"one_person_households", onePerson, s.Households, 0.05, 0.3},
		{"persons_per_household", s.Living, s.Households * 100, 0.022, 0.032},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := float64(tt.num) / float64(tt.den)
			if got < tt.low || got > tt.high {
				t.Errorf("%s = %.4f (%d/%d), want in [%.4f, %.4f]", tt.name, got, tt.num, tt.den, tt.low, tt.high)
			}
		})
	}
	if s.HouseholdSizes[0] > s.Households/50 {
		t.Errorf("%d households without living members", s.HouseholdSizes[0])
	}
	if s.Residents != mediumResidents || s.Living+s.Deceased != s.Residents {
		t.Errorf("residents %d = living %d + deceased %d?", s.Residents, s.Living, s.Deceased)
	}
}

func TestFamilyPlanningFamilies(t *testing.T) {
	d := mediumDistrict(t)
	v := d.view()
	var oneChild, twoDaughters, lost int
	for i := range d.Persons {
		p := &d.Persons[i]
		if p.Sex != 'F' || p.Birth < 19330101 || p.Birth > 19751231 {
			continue
		}
		fp := v.familyPlanning(int32(i))
		switch {
		case fp.children == 1:
			oneChild++
		case fp.children == 2 && fp.daughters == 2:
			twoDaughters++
		}
		if fp.dead > 0 {
			lost++
		}
	}
	for name, n := range map[string]int{"one_child": oneChild, "two_daughters": twoDaughters, "child_deceased": lost} {
		if n < 50 {
			t.Errorf("%s mothers born 1933-1975: %d, want a fair number", name, n)
		}
	}
}

func TestInconsistencies(t *testing.T) {
	d := mediumDistrict(t)
	s := d.Stats()
	for _, kind := range InconsistencyKinds {
		t.Run(kind, func(t *testing.T) {
			got := d.Inconsistent(kind)
			if len(got) != s.Inconsistencies[kind] {
				t.Errorf("Inconsistent = %d persons, Stats = %d", len(got), s.Inconsistencies[kind])
			}
			if len(got) < 10 || len(got) > len(d.Persons)/50 {
				t.Errorf("%d persons, want a small known fraction", len(got))
			}
		})
	}
	if d.Inconsistent("nonsense") != nil {
		t.Error("unknown kind listed persons")
	}
	for _, i := range d.Inconsistent(InconsistencyMovedBetweenVillages) {
		p := &d.Persons[i]
		if d.HukouVillage(p).Code == d.Village(p).Code {
			t.Fatalf("person %d: moved but same village", i)
		}
	}
}

func TestEnrolments(t *testing.T) {
	d := mediumDistrict(t)
	s := d.Stats()
	// programs whose roll the generator fills at rollRate from the likely-eligible
	rolls := []string{"elderly_allowance", "senior_card", "rural_family_planning_reward",
		"only_child_parent_reward", "severe_disability_care_subsidy", "medical_assistance",
		"resident_pension_claim", "pension_insurance_enrolment", "winter_heating_subsidy"}
	for _, code := range rolls {
		t.Run(code, func(t *testing.T) {
			ps := s.Programs[ProgramIndex(code)]
			if ps.Eligible < 100 {
				t.Fatalf("only %d likely eligible", ps.Eligible)
			}
			gap := float64(ps.EligibleNotEnrolled) / float64(ps.Eligible)
			if gap < 0.08 || gap > 0.2 {
				t.Errorf("not enrolled = %.3f of eligible, want 0.08-0.20", gap)
			}
		})
	}
	if s.Programs[ProgElderlyAllowance].EnrolledNotEligible == 0 {
		t.Error("no one enrolled in elderly_allowance while ineligible (the deceased)")
	}
	for _, i := range d.Inconsistent(InconsistencyDeathProvinceOnly) {
		if d.Persons[i].Enrolled&bit(ProgFuneralSubsidy) != 0 {
			t.Errorf("person %d: funeral subsidy paid before the village knew of the death", i)
		}
	}
}

func TestPrograms(t *testing.T) {
	if len(Programs) != 30 || len(Programs) > 32 {
		t.Fatalf("%d programs", len(Programs))
	}
	seen := map[string]bool{}
	for i, p := range Programs {
		if seen[p.Code] || p.Name == "" {
			t.Errorf("program %d %q duplicate or unnamed", i, p.Code)
		}
		seen[p.Code] = true
		if ProgramIndex(p.Code) != i {
			t.Errorf("ProgramIndex(%s) = %d, want %d", p.Code, ProgramIndex(p.Code), i)
		}
	}
	if ProgramIndex("nope") != -1 {
		t.Error("unknown code found")
	}
	// the named indexes must match the slice
	pairs := map[int]string{ProgElderlyAllowance: "elderly_allowance", ProgFuneralSubsidy: "funeral_subsidy",
		ProgEmploymentDifficultyRecognition: "employment_difficulty_recognition", ProgCollectiveMembership: "collective_membership"}
	for k, code := range pairs {
		if Programs[k].Code != code {
			t.Errorf("Programs[%d] = %s, want %s", k, Programs[k].Code, code)
		}
	}
	p := Person{Enrolled: 1<<ProgSeniorCard | 1<<ProgFuneralSubsidy}
	if got := p.EnrolledCodes(); !slices.Equal(got, []string{"senior_card", "funeral_subsidy"}) {
		t.Errorf("EnrolledCodes = %v", got)
	}
}

func TestLicences(t *testing.T) {
	d := smallDistrict(t)
	for _, o := range Offices() {
		u, err := ident.ParseUSCC(o.USCC)
		if err != nil || !u.CheckValid {
			t.Errorf("office %s: USCC %s invalid: %v", o.Name, o.USCC, err)
		}
	}
	types := map[string]int{}
	statuses := map[string]int{}
	ids := map[string]bool{}
	for i := range d.Persons {
		p := &d.Persons[i]
		for _, l := range d.Licences(int32(i)) {
			types[l.Type]++
			statuses[l.Status]++
			if _, err := ident.ParseLicenceID(l.ID); err != nil {
				t.Fatalf("person %d %s: licence id %q: %v", i, l.Type, l.ID, err)
			}
			if ids[l.ID] {
				t.Fatalf("person %d %s: duplicate licence id", i, l.Type)
			}
			ids[l.ID] = true
			if u, err := ident.ParseUSCC(l.Issuer.USCC); err != nil || !u.CheckValid {
				t.Fatalf("issuer %s invalid", l.Issuer.Name)
			}
			if l.Holder != int32(i) || l.TypeName == "" || l.Number == "" || l.Issued == 0 {
				t.Errorf("person %d %s: incomplete licence %+v", i, l.Type, l)
			}
			if l.Issued.Time().After(d.Config.Reference) {
				t.Errorf("person %d %s: issued %s after the reference day", i, l.Type, l.Issued)
			}
			switch l.Type {
			case LicenceDisability:
				if l.Attrs[AttrDisabilityCategory] != p.Disability.String() || l.Attrs[AttrDisabilityGrade] == "" {
					t.Errorf("person %d: disability attrs %v", i, l.Attrs)
				}
				if p.Death == 0 && (l.Status == LicenceExpired) != (p.DisabilityValidUntil < DateOf(d.Config.Reference)) {
					t.Errorf("person %d: disability status %s, valid until %s", i, l.Status, p.DisabilityValidUntil)
				}
			case LicenceMarriage:
				if l.Attrs[AttrSpouseID] != d.Persons[p.Spouse].ID {
					t.Errorf("person %d: marriage spouse attr", i)
				}
			case LicenceOnlyChildHonour:
				if _, _, ok := d.PersonByID(l.Attrs[AttrChildID]); !ok {
					t.Errorf("person %d: honour child unknown", i)
				}
			case LicenceDeath:
				if l.Attrs[AttrDeathDate] != p.Death.String() {
					t.Errorf("person %d: death date attr", i)
				}
			case LicenceIDCard:
				if l.Number != p.ID {
					t.Errorf("person %d: id card number", i)
				}
			}
		}
	}
	for _, typ := range []string{LicenceIDCard, LicenceHouseholdRegister, LicenceMarriage, LicenceDivorce,
		LicenceDisability, LicenceOnlyChildHonour, LicenceBirth, LicenceDeath, LicenceRealEstate} {
		if types[typ] == 0 {
			t.Errorf("no %s licence in the district", typ)
		}
	}
	for _, st := range []string{LicenceValid, LicenceExpired, LicenceRevoked} {
		if statuses[st] == 0 {
			t.Errorf("no licence with status %s", st)
		}
	}
}

func TestIDCardValidity(t *testing.T) {
	d := mediumDistrict(t)
	for i := range d.Persons {
		p := &d.Persons[i]
		if p.IDCardIssued == 0 {
			if ageOn(p.Birth, DateOf(d.Config.Reference)) >= 16 && p.Death == 0 {
				t.Errorf("person %d: adult without ID card", i)
			}
			continue
		}
		ia := ageOn(p.Birth, p.IDCardIssued)
		want := map[bool]int{}[false]
		switch {
		case ia < 16:
			want = 5
		case ia < 26:
			want = 10
		case ia < 46:
			want = 20
		}
		if want == 0 {
			if p.IDCardValidUntil != LongTerm {
				t.Errorf("person %d: issued at %d, valid until %s, want long-term", i, ia, p.IDCardValidUntil)
			}
			continue
		}
		if p.IDCardValidUntil != p.IDCardIssued.addYears(want) {
			t.Errorf("person %d: issued %s at %d, valid until %s, want %d years", i, p.IDCardIssued, ia, p.IDCardValidUntil, want)
		}
	}
}

func TestChanges(t *testing.T) {
	d := smallDistrict(t)
	var all []Change
	for after := uint64(0); ; {
		page := d.Changes(after, 700)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
	if len(all) != len(d.Persons) {
		t.Fatalf("feed has %d changes, want %d", len(all), len(d.Persons))
	}
	for k, c := range all {
		if c.Seq != uint64(k+1) || c.Person != int32(k) || c.Op != OpUpsert {
			t.Fatalf("change %d = %+v", k, c)
		}
	}
	last := d.LastSeq()
	seq := d.Record(5, OpUpsert)
	if seq != last+1 || d.LastSeq() != seq {
		t.Errorf("Record = %d after %d", seq, last)
	}
	if got := d.Changes(last, 10); len(got) != 1 || got[0] != (Change{Seq: seq, Person: 5, Op: OpUpsert}) {
		t.Errorf("Changes after record = %+v", got)
	}
	if d.PersonSeq(5) != seq || d.PersonSeq(6) != 7 {
		t.Errorf("PersonSeq = %d, %d", d.PersonSeq(5), d.PersonSeq(6))
	}
	if got := d.Changes(0, 0); got != nil {
		t.Errorf("limit 0 gave %d changes", len(got))
	}
	if got := d.Changes(seq, 10); len(got) != 0 {
		t.Errorf("changes after the last: %v", got)
	}
}

func TestSamples(t *testing.T) {
	for _, size := range []int{DefaultResidents, mediumResidents} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var d *District
			if size == mediumResidents {
				d = mediumDistrict(t)
			} else {
				d = smallDistrict(t)
			}
			samples := d.Samples(8)
			if len(samples) != 8 {
				t.Fatalf("%d samples", len(samples))
			}
			seen := map[int32]bool{}
			for _, s := range samples {
				p := &d.Persons[s.Person]
				if p.Death != 0 || seen[s.Person] || len(s.Items) == 0 {
					t.Errorf("sample %d: deceased, repeated or without items", s.Person)
				}
				seen[s.Person] = true
				for _, it := range s.Items {
					if ProgramIndex(it) < 0 {
						t.Errorf("sample %d: unknown item %s", s.Person, it)
					}
				}
			}
			first := &d.Persons[samples[0].Person]
			if d.Age(first) < 80 || !slices.Contains(samples[0].Items, "elderly_allowance") {
				t.Errorf("first sample aged %d with %v, want an 80+ not on elderly_allowance", d.Age(first), samples[0].Items)
			}
			if again := d.Samples(8); !slices.EqualFunc(again, samples, func(a, b Sample) bool {
				return a.Person == b.Person && slices.Equal(a.Items, b.Items)
			}) {
				t.Error("samples differ between calls")
			}
		})
	}
}

func TestDate(t *testing.T) {
	tests := []struct {
		name            string
		d               Date
		str, compact    string
		year, month, dy int
	}{
		{"ordinary", 20261101, "2026-11-01", "20261101", 2026, 11, 1},
		{"leap_day", 20000229, "2000-02-29", "20000229", 2000, 2, 29},
		{"zero", 0, "", "", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.d.String() != tt.str || tt.d.Compact() != tt.compact {
				t.Errorf("String %q Compact %q", tt.d.String(), tt.d.Compact())
			}
			if tt.d.Year() != tt.year || tt.d.Month() != tt.month || tt.d.Day() != tt.dy {
				t.Errorf("parts %d %d %d", tt.d.Year(), tt.d.Month(), tt.d.Day())
			}
			if tt.d != 0 && DateOf(tt.d.Time()) != tt.d {
				t.Errorf("Time round trip %v", tt.d.Time())
			}
			if tt.d == 0 && !tt.d.Time().IsZero() {
				t.Error("zero Date has a time")
			}
		})
	}
	start := time.Date(1880, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 0; k < 60000; k += 7 {
		tm := start.AddDate(0, 0, k)
		d := DateOf(tm)
		if got := dateOfDay(d.day()); got != d || d.day() != int(tm.Unix()/86400) {
			t.Fatalf("calendar conversion of %s: %v %d", tm.Format(time.DateOnly), got, d.day())
		}
	}
	if got := Date(20240229).addYears(1); got != 20250228 {
		t.Errorf("addYears from leap day = %v", got)
	}
}

func TestEnumStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{DaughterInLaw.String(), "daughter_in_law"},
		{Relation(200).String(), "other"},
		{Widowed.String(), "widowed"},
		{Physical.String(), "physical"},
		{Physical.Chinese(), "肢体残疾"},
		{PensionReceiving.String(), "receiving"},
		{UnemployedRegistered.String(), "unemployed_registered"},
		{MartyrFamily.String(), "martyr_family"},
		{Vocational.String(), "vocational"},
		{Hui.String(), "回族"},
		{Head.Chinese(), "户主"},
		{Divorced.Chinese(), "离婚"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// The full district holds a million persons: keep the struct compact.
func TestPersonCompact(t *testing.T) {
	if n := unsafe.Sizeof(Person{}); n > 128 {
		t.Errorf("Person is %d bytes, want at most 128", n)
	}
	t.Logf("Person %d bytes, Household %d bytes", unsafe.Sizeof(Person{}), unsafe.Sizeof(Household{}))
}
