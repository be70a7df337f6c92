package evidence

import "testing"

// The Assembler itself is exercised end to end against the real simulated platforms in
// sanmian/connectors/conformance; these are the pure helpers.

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

func TestRefineRelation(t *testing.T) {
	for _, tc := range []struct{ rel, sex, want string }{
		{"parent", "M", "father"}, {"parent", "F", "mother"}, {"parent", "", "other"}, {"son", "F", "son"},
	} {
		if got := refineRelation(tc.rel, tc.sex); got != tc.want {
			t.Errorf("refineRelation(%q, %q) = %q, want %q", tc.rel, tc.sex, got, tc.want)
		}
	}
}
