package policy

import (
	"time"

	"sanmian/hub/evidence"
)

// decisionTime is the pinned clock of the tests: 2026-11-26 10:00 China Standard Time.
var decisionTime = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)

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
