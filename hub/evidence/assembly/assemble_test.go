package assembly

import "testing"

// The Assembler itself is exercised end to end against the real simulated platforms in
// sanmian/connectors/conformance and in this package's external tests; this is a pure helper.

func TestRefineRelation(t *testing.T) {
	for _, tc := range []struct{ rel, sex, want string }{
		{"parent", "M", "father"}, {"parent", "F", "mother"}, {"parent", "", "other"}, {"son", "F", "son"},
	} {
		if got := refineRelation(tc.rel, tc.sex); got != tc.want {
			t.Errorf("refineRelation(%q, %q) = %q, want %q", tc.rel, tc.sex, got, tc.want)
		}
	}
}
