package policy

import (
	"math/rand/v2"
	"strconv"
	"time"

	"sanmian/hub/evidence"
)

// The differential corpus: generated evidence bundles on which irvm and topdown must decide
// every item, the scan and the access policy identically. The differential tests use it,
// and so does every reload before a bundle goes live on irvm (see vet.go).

// corpusTime is the decision time of the corpus: 2026-11-26 10:00 China Standard Time.
var corpusTime = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)

const (
	villageA = "370114001201" // 明水街道, work area 370114001901
	villageB = "370114001202" // same work area
	villageC = "370114002201" // 双山街道
)

func prov(platform evidence.Platform, endpoint, record string, stale bool) evidence.Provenance {
	return evidence.Provenance{Platform: platform, Endpoint: endpoint, Record: record,
		FetchedAt: time.Date(2026, 11, 26, 1, 59, 0, 0, time.UTC), Stale: stale}
}

// elder is an 80-year-old (turning 80 on the decision date) rural resident with a spouse, a
// daughter, a grade-2 disability certificate, insurance and rolls; full provenance.
func elder() *evidence.Bundle {
	p := evidence.Person{
		IDNumber: "370114194611260012", Name: "王建国", Sex: "M", BirthDate: "1946-11-26",
		Ethnicity: "汉族", HukouType: evidence.HukouAgricultural, Village: villageA,
		HouseholdID: "370114000001234", Relation: "head", Marital: "married",
		Licences: []evidence.Licence{
			{ID: "1.2.156.3005.2.11100000000013338W.0001.001.X", Type: "id_card", Number: "370114194611260012",
				Issuer: "济南市公安局章丘区分局", IssuerUSCC: "11370181004000000X", IssuedOn: "2010-01-01", Status: "valid"},
			{ID: "1.2.156.3005.2.11100000000013338W.0002.001.Y", Type: "disability", Number: "37011419461126001242",
				Issuer: "章丘区残疾人联合会", IssuerUSCC: "51370181MJ0000000X", IssuedOn: "2020-03-01", ValidUntil: "2030-03-01",
				Status: "valid", Attrs: map[string]any{"category": "physical", "grade": 2}},
		},
		Insurance: &evidence.Insurance{Pension: "receiving", PensionSince: "2006-12-01", PensionMonthly: 210,
			Medical: "enrolled", MedicalYear: 2026, Employment: "not_in_labour_force"},
		Rolls: &evidence.Rolls{Enrolled: []string{"senior_card"}, CollectiveMember: true, LandMu: new(2.5),
			Homestead: &evidence.Homestead{AreaM2: 180, HouseGrade: "B"}},
	}
	spouse := evidence.Person{IDNumber: "370114194803050027", Name: "李秀英", Sex: "F", BirthDate: "1948-03-05",
		HukouType: evidence.HukouAgricultural, Village: villageA, HouseholdID: p.HouseholdID, Relation: "spouse", Marital: "married"}
	daughter := evidence.Person{IDNumber: "370114197501020048", Name: "王丽", Sex: "F", BirthDate: "1975-01-02",
		HukouType: evidence.HukouAgricultural, Village: villageA, HouseholdID: p.HouseholdID, Relation: "daughter", Marital: "married"}
	b := &evidence.Bundle{
		Applicant: p,
		Household: []evidence.Person{spouse, daughter},
		Provenance: map[string]evidence.Provenance{
			"applicant.birth_date":   prov(evidence.Province, "rkjc/query", "R1", false),
			"applicant.deceased":     prov(evidence.Province, "rkjc/query", "R1", false),
			"applicant.name":         prov(evidence.Province, "rkjc/query", "R1", false),
			"applicant.licences.0":   prov(evidence.Province, "dzzz/query", "L0", false),
			"applicant.licences.1":   prov(evidence.Province, "dzzz/query", "L1", false),
			"applicant.insurance":    prov(evidence.City, "insured-persons:batchGet", "C1", false),
			"applicant.rolls":        prov(evidence.District, "residents", "D1", false),
			"applicant.village":      prov(evidence.District, "residents", "D1", false),
			"household.0.relation":   prov(evidence.District, "households", "H1", false),
			"household.1.relation":   prov(evidence.District, "households", "H1", false),
			"household.1.birth_date": prov(evidence.Province, "rkjc/query", "R3", false),
		},
		Conflicts: []evidence.Conflict{},
		Missing:   []string{},
	}
	return b
}

// mutations are the changes generated bundles combine; each applies to elder().
var mutations = []func(b *evidence.Bundle, r *rand.Rand){
	func(b *evidence.Bundle, r *rand.Rand) { // birthday around every age threshold
		years := []int{1946, 1936, 1926, 1966, 1967, 1965, 1933, 1932, 2008, 2010, 1985}
		days := []string{"-11-26", "-11-27", "-11-25", "-02-29", "-03-01", "-01-01"}
		b.Applicant.BirthDate = strconv.Itoa(years[r.IntN(len(years))]) + days[r.IntN(len(days))]
	},
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Sex = pick(r, "M", "F", "") },
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Applicant.HukouType = pick(r, evidence.HukouAgricultural, evidence.HukouNonAgricultural, "")
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Applicant.Deceased = true
		b.Applicant.DeathDate = "2026-11-01"
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Applicant.Marital = pick(r, "single", "widowed", "divorced", "")
	},
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Village = pick(r, villageB, villageC, "") },
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Rolls = nil },
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.Insurance = nil },
	func(b *evidence.Bundle, r *rand.Rand) {
		var rolls evidence.Rolls
		if b.Applicant.Rolls != nil {
			rolls = *b.Applicant.Rolls
		}
		rolls.Dibao, rolls.Tekun = r.IntN(2) == 0, r.IntN(2) == 0
		rolls.Veteran = pick(r, "", "conscript_family", "disabled_veteran", "martyr_family", "demobilised")
		rolls.InSchool = pick(r, "", "primary", "senior", "university")
		rolls.CollectiveMember = r.IntN(2) == 0
		rolls.Enrolled = [][]string{nil, {}, {"elderly_allowance"}, {"senior_card", "dibao"}}[r.IntN(4)]
		rolls.LandMu = []*float64{nil, new(0.0), new(7.5)}[r.IntN(3)]
		rolls.Homestead = []*evidence.Homestead{nil, {AreaM2: 90, HouseGrade: "C"}, {AreaM2: 120, HouseGrade: "D"}}[r.IntN(3)]
		b.Applicant.Rolls = &rolls
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		var ins evidence.Insurance
		if b.Applicant.Insurance != nil {
			ins = *b.Applicant.Insurance
		}
		ins.Pension = pick(r, "not_enrolled", "enrolled", "receiving", "suspended")
		ins.Medical = pick(r, "not_enrolled", "enrolled")
		ins.Employment = pick(r, "employed", "unemployed_registered", "not_in_labour_force", "unknown")
		ins.UnemployedSince = pick(r, "", "2026-01-01", "2026-10-30")
		ins.EmploymentDifficulty = r.IntN(2) == 0
		b.Applicant.Insurance = &ins
	},
	func(b *evidence.Bundle, r *rand.Rand) { // disability certificate variants
		ls := append([]evidence.Licence(nil), elder().Applicant.Licences...)
		d := ls[1]
		d.Attrs = map[string]any{"category": pick(r, "physical", "visual", "hearing", "intellectual", "mental"),
			"grade": []any{1, 2, 3, 4, "1", "2"}[r.IntN(6)]}
		d.Status = pick(r, "valid", "expired", "revoked")
		d.ValidUntil = pick(r, "", "2026-11-25", "2026-11-26", "2027-01-10", "2030-03-01")
		ls[1] = d
		if r.IntN(4) == 0 {
			ls = ls[:1]
		}
		b.Applicant.Licences = ls
	},
	func(b *evidence.Bundle, r *rand.Rand) { // household shapes
		kids := []evidence.Person{
			{IDNumber: "370114197501020048", Name: "王丽", Sex: "F", BirthDate: "1975-01-02", Relation: "daughter", HukouType: evidence.HukouAgricultural},
			{IDNumber: "370114197803040031", Name: "王强", Sex: "M", BirthDate: "1978-03-04", Relation: "son", HukouType: evidence.HukouAgricultural},
			{IDNumber: "370114198005060026", Name: "王芳", Sex: "F", BirthDate: "1980-05-06", Relation: "daughter", Deceased: r.IntN(2) == 0},
			{IDNumber: "370114201205060026", Name: "王小", Sex: "F", BirthDate: "2012-05-06", Relation: "granddaughter",
				Licences: []evidence.Licence{{Type: "only_child_honour", Status: "valid"}}},
		}
		var hh []evidence.Person
		if r.IntN(2) == 0 {
			hh = append(hh, evidence.Person{Name: "李秀英", Sex: "F", BirthDate: "1948-03-05", Relation: "spouse", Deceased: r.IntN(3) == 0})
		}
		for _, k := range kids {
			if r.IntN(2) == 0 {
				hh = append(hh, k)
			}
		}
		b.Household = hh
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		b.Missing = [][]string{{"city.insurance"}, {"district.rolls"}, {"district.household"}, {"province.licences"}, {"province.person", "district.rolls"}}[r.IntN(5)]
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		f := pick(r, "applicant.deceased", "applicant.village", "applicant.birth_date", "applicant.rolls.dibao",
			"applicant.licences.1", "household.1.relation", "applicant.name")
		b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: f, Authority: evidence.Province,
			Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: true}, {Platform: evidence.District, Value: false}}})
	},
	func(b *evidence.Bundle, r *rand.Rand) {
		k := pick(r, "applicant.rolls", "applicant.insurance", "applicant.licences.1", "applicant.birth_date", "household.1.relation")
		prov := map[string]evidence.Provenance{}
		for key, v := range b.Provenance {
			prov[key] = v
		}
		p := prov[k]
		p.Stale = true
		prov[k] = p
		b.Provenance, b.Stale = prov, true
	},
	func(b *evidence.Bundle, r *rand.Rand) { b.Applicant.IDNumber = pick(r, "", "37011419461126001X") },
	func(b *evidence.Bundle, r *rand.Rand) { // children wherever they live (family-planning items)
		disability := func(grade int) []evidence.Licence {
			return []evidence.Licence{{ID: "D", Type: "disability", Status: "valid", ValidUntil: "2030-01-01",
				Attrs: map[string]any{"category": "physical", "grade": grade}}}
		}
		pool := []evidence.Child{
			{Person: evidence.Person{IDNumber: "370114197501020048", Sex: "F", BirthDate: "1975-01-02"}, Links: []string{"household"}, MotherIDNumber: "370114194803050027"},
			{Person: evidence.Person{IDNumber: "370114197803040031", Sex: "M", Deceased: r.IntN(2) == 0}, Links: []string{"birth_certificate"}, MotherIDNumber: pick(r, "", "370114198001010026")},
			{Person: evidence.Person{IDNumber: "370114198005060026", Sex: "F", Licences: disability(1 + r.IntN(4))}, Links: []string{"population_base", "only_child_honour"}},
			{Person: evidence.Person{IDNumber: "370114198205060021", Sex: "M", Licences: []evidence.Licence{{Type: "death", Status: "valid"}}}, Links: []string{"population_base"}},
			{Person: evidence.Person{IDNumber: "370114200001010012"}, Links: []string{"only_child_honour"}},
		}
		var cs []evidence.Child
		for _, c := range pool {
			if r.IntN(3) == 0 {
				cs = append(cs, c)
			}
		}
		b.Children = cs
		if r.IntN(4) == 0 {
			b.Missing = append(b.Missing, "province.kinship")
		}
		if r.IntN(4) == 0 {
			b.Applicant.Licences = append(b.Applicant.Licences, evidence.Licence{Type: "marriage", Status: "valid",
				Attrs: map[string]any{"spouse_id_number": pick(r, "370114194803050027", "370114198001010026")}})
		}
	},
	func(b *evidence.Bundle, r *rand.Rand) { // members on household items' and the funeral subsidy's rolls
		hh := append([]evidence.Person(nil), b.Household...)
		hh = append(hh, evidence.Person{IDNumber: "370114194803050027", Name: "李秀英", Sex: "F", BirthDate: "1948-03-05",
			Relation: "spouse", Deceased: r.IntN(2) == 0, DeathDate: pick(r, "", "2026-10-01", "2024-01-01")})
		for i := range hh {
			if r.IntN(2) == 0 {
				hh[i].Rolls = &evidence.Rolls{Enrolled: [][]string{nil, {"farmland_protection_subsidy"},
					{"funeral_subsidy"}, {"dilapidated_house_renovation", "senior_card"}}[r.IntN(4)]}
			}
		}
		b.Household = hh
	},
	func(b *evidence.Bundle, r *rand.Rand) { // the funeral subsidy naming the deceased: the claimant
		b.Applicant.Deceased, b.Applicant.DeathDate = true, pick(r, "2026-09-30", "2025-01-01")
		b.Claimant = &evidence.Claimant{IDNumber: pick(r, "370114197501020048", "370114194803050027", "370114199901010011")}
	},
	func(b *evidence.Bundle, r *rand.Rand) { // a death only the province records, or only the roll
		dead := r.IntN(2) == 0
		b.Applicant.Deceased = dead
		b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: "applicant.deceased", Authority: evidence.Province,
			Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: dead}, {Platform: evidence.District, Value: !dead}}})
	},
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// generated returns elder() with a random combination of mutations (0 to 4 of them).
func generated(r *rand.Rand) *evidence.Bundle {
	b := elder()
	for range r.IntN(5) {
		mutations[r.IntN(len(mutations))](b, r)
	}
	return b
}

var diffCallers = []*Caller{
	nil,
	{Sub: "cadre-1", Role: "counter", Jurisdiction: villageA, Scope: []string{"*"}},
	{Sub: "reviewer-1", Role: "reviewer", Jurisdiction: "370114001000", Scope: []string{"*"}},
	{Sub: "auditor-1", Role: "auditor", Jurisdiction: "370114", Scope: []string{"*"}},
	{Sub: "civil-affairs-app", Role: "department", Scope: []string{"elderly_allowance", "senior_card"}},
}
