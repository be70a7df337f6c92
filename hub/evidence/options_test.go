package evidence

import "testing"

func TestProvenanceOf(t *testing.T) {
	b := Bundle{Provenance: map[string]Provenance{
		"applicant.rolls":         {Platform: District, Endpoint: "residents:get"},
		"applicant.rolls.land_mu": {Platform: District, Endpoint: "households:get"},
	}}
	tests := []struct {
		path, endpoint string
		ok             bool
	}{
		{"applicant.rolls.dibao", "residents:get", true},
		{"applicant.rolls.land_mu", "households:get", true},
		{"applicant.rolls", "residents:get", true},
		{"applicant.insurance.pension", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		pv, ok := b.ProvenanceOf(tc.path)
		if ok != tc.ok || pv.Endpoint != tc.endpoint {
			t.Errorf("ProvenanceOf(%q) = %+v, %v", tc.path, pv, ok)
		}
	}
}

func TestNeedsOptions(t *testing.T) {
	elderly := NeedsOptions(map[string][]string{
		"province.person":    {"applicant.name", "applicant.birth_date"},
		"district.household": {"applicant.village"},
		"district.rolls":     {"applicant.rolls.enrolled"},
	}, "applicant.name", "")
	if !elderly.ApplicantOnly || !elderly.SkipHouseholdRecord || elderly.Wants(MissingProvinceLicences) || elderly.Wants(MissingCityInsurance) || !elderly.Wants(MissingProvincePerson) {
		t.Errorf("elderly: %+v", elderly)
	}
	fp := NeedsOptions(map[string][]string{
		"province.person":    {"applicant.sex"},
		"district.household": {"household.sex", "household.deceased"},
	}, "applicant.licences.only_child_honour.number")
	if fp.ApplicantOnly || fp.SkipHouseholdRecord || !fp.Wants(MissingProvinceLicences) || fp.Wants(MissingCityInsurance) {
		t.Errorf("family planning: %+v", fp)
	}
	land := NeedsOptions(map[string][]string{"district.household": {"applicant.rolls.land_mu"}})
	if !land.ApplicantOnly || land.SkipHouseholdRecord {
		t.Errorf("land: %+v", land)
	}
	if all := NeedsOptions(nil); all.ApplicantOnly || !all.Wants(MissingCityInsurance) {
		t.Errorf("no needs: %+v", all)
	}
}

func TestStaleOK(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts AssembleOptions
		kind string
		want bool
	}{
		{"not_allowed", AssembleOptions{}, MissingProvincePerson, false},
		{"every_kind", AssembleOptions{AllowStale: true}, MissingProvincePerson, true},
		{"listed_kind", AssembleOptions{AllowStale: true, StaleKinds: []string{MissingDistrictHousehold}}, MissingDistrictHousehold, true},
		{"unlisted_kind", AssembleOptions{AllowStale: true, StaleKinds: []string{MissingDistrictHousehold}}, MissingProvincePerson, false},
		{"kinds_without_allow", AssembleOptions{StaleKinds: []string{MissingProvincePerson}}, MissingProvincePerson, false},
	} {
		if got := tc.opts.StaleOK(tc.kind); got != tc.want {
			t.Errorf("%s: StaleOK(%s) = %v, want %v", tc.name, tc.kind, got, tc.want)
		}
	}
}
