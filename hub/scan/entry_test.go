package scan_test

import (
	"slices"
	"testing"

	"sanmian/hub/scan"
	"sanmian/hub/store"
)

// TestScanEntryOnlyConditionsAreNoAlerts: a condition to join an item (the catalogue's
// entry_only) raises no supervision alert on a resident already on the roll, compiled or per
// resident, and verification agrees; the other criteria still do.
func TestScanEntryOnlyConditionsAreNoAlerts(t *testing.T) {
	const (
		insured60 = "370114196001010021" // 66, on the pension scheme's roll, paying
		pensioner = "370114195001010032" // 76, on the claim roll, receiving
		young     = "370114198001010043" // 46, on the claim roll: under the claim age
	)
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			ctx := t.Context()
			res := []store.Resident{
				{IDNumber: insured60, Name: "甲", Sex: "M", BirthDate: "1960-01-01", HukouType: "agricultural", Village: village, HouseholdID: "H1", Relation: "head", Enrolled: []string{"pension_insurance_enrolment"}},
				{IDNumber: pensioner, Name: "乙", Sex: "F", BirthDate: "1950-01-01", HukouType: "agricultural", Village: village, HouseholdID: "H2", Relation: "head", Enrolled: []string{"resident_pension_claim"}},
				{IDNumber: young, Name: "丙", Sex: "M", BirthDate: "1980-01-01", HukouType: "agricultural", Village: village, HouseholdID: "H3", Relation: "head", Enrolled: []string{"resident_pension_claim"}},
			}
			must(t, st.ApplySnapshot(ctx, store.FeedDistrictResidents, res, "1"))
			var facts []store.ProvinceFacts
			for _, r := range res {
				facts = append(facts, store.ProvinceFacts{IDNumber: r.IDNumber, HukouType: "agricultural", HukouVillage: village})
			}
			must(t, st.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, facts, "1"))
			city := []store.CityEnrolment{
				{IDNumber: insured60, Pension: "enrolled", PensionSince: "2012-01-01", Medical: "enrolled", MedicalYear: 2026, Employment: "not_in_labour_force", UpdatedSeq: 1},
				{IDNumber: pensioner, Pension: "receiving", PensionSince: "2010-01-01", PensionMonthly: 188.5, Medical: "enrolled", MedicalYear: 2026, Employment: "not_in_labour_force", UpdatedSeq: 2},
				{IDNumber: young, Pension: "enrolled", PensionSince: "2010-01-01", Medical: "enrolled", MedicalYear: 2026, Employment: "not_in_labour_force", UpdatedSeq: 3},
			}
			must(t, st.ApplyCityEnrolments(ctx, store.FeedCityEnrolments, city, "1"))
			r := &scan.Runner{Engine: eng, Store: st}
			for _, dialect := range []string{be.dialect, ""} {
				rep, err := r.Run(ctx, scan.Options{At: day("2026-12-06"), Dialect: dialect, Verify: true})
				if err != nil {
					t.Fatalf("dialect %q: %v", dialect, err)
				}
				got := map[string][]string{}
				for _, it := range rep.Items {
					for _, a := range it.AlertList {
						got[it.Item] = append(got[it.Item], a.ID+":"+slices.Concat(a.Reasons)[0])
					}
				}
				if len(got["pension_insurance_enrolment"]) != 0 {
					t.Errorf("dialect %q: pension_insurance_enrolment alerts %v, want none (age_above_max is entry-only)", dialect, got["pension_insurance_enrolment"])
				}
				if want := []string{"370114********0043:age_below_min"}; !slices.Equal(got["resident_pension_claim"], want) {
					t.Errorf("dialect %q: resident_pension_claim alerts %v, want %v", dialect, got["resident_pension_claim"], want)
				}
			}
		})
	}
}

// TestEntryOnlyCodesAreCriteria: every entry_only code of a compiled item is a criterion the
// item states over the applicant's facts (so the compiled supervision can leave it out).
func TestEntryOnlyCodesAreCriteria(t *testing.T) {
	eng := engine(t)
	for _, it := range eng.Items() {
		for _, c := range it.EntryOnly {
			if !slices.Contains(eng.Criteria(it.Code), c) {
				t.Errorf("%s: entry_only %q is not among its criteria %v", it.Code, c, eng.Criteria(it.Code))
			}
		}
	}
}
