package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestCatalogueStaleKinds: stale_kinds is read with the item, and refused when it names a
// kind the item does not need or comes without stale_allowed.
func TestCatalogueStaleKinds(t *testing.T) {
	item := func(extra map[string]any) map[string]any {
		it := map[string]any{"zh": "x", "en": "x", "stale_allowed": true,
			"needs": map[string]any{"province.person": []any{"applicant.deceased"}, "district.household": []any{"applicant.village"}}}
		for k, v := range extra {
			it[k] = v
		}
		return map[string]any{"items": map[string]any{"heating": it}}
	}
	for _, tc := range []struct {
		name  string
		extra map[string]any
		want  string // "" accepted
	}{
		{"none", nil, ""},
		{"narrowed", map[string]any{"stale_kinds": []any{"district.household"}}, ""},
		{"not_needed", map[string]any{"stale_kinds": []any{"city.insurance"}}, `stale_kinds names "city.insurance", which the item does not need`},
		{"without_stale_allowed", map[string]any{"stale_allowed": false, "stale_kinds": []any{"district.household"}}, "stale_kinds without stale_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, items, err := parseCatalogue(item(tc.extra))
			if tc.want != "" {
				if !errors.Is(err, ErrBundle) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want ErrBundle with %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := tc.extra["stale_kinds"].([]any)
			if len(items) != 1 || len(items[0].StaleKinds) != len(want) {
				t.Fatalf("items = %+v, want stale_kinds %v", items, want)
			}
		})
	}
}

// TestCatalogueEntryOnly: entry_only is read with the item and must name reason codes; an
// entry-only code, like *already_enrolled, is the item's own record for supervision.
func TestCatalogueEntryOnly(t *testing.T) {
	cat := func(entry []any) map[string]any {
		return map[string]any{
			"reasons": map[string]any{"age_above_max": map[string]any{"zh": "x", "en": "x"}},
			"items": map[string]any{"pension": map[string]any{"zh": "x", "en": "x", "entry_only": entry,
				"needs": map[string]any{"province.person": []any{"applicant.birth_date"}}}},
		}
	}
	if _, _, err := parseCatalogue(cat([]any{"age_too_high"})); !errors.Is(err, ErrBundle) || !strings.Contains(err.Error(), `entry_only names "age_too_high"`) {
		t.Fatalf("unknown code: err = %v, want ErrBundle", err)
	}
	_, items, err := parseCatalogue(cat([]any{"age_above_max"}))
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	for code, want := range map[string]bool{"age_above_max": true, "already_enrolled": true, "pension_already_enrolled": true, "age_below_min": false, "deceased": false} {
		if got := it.OwnRecord(code); got != want {
			t.Errorf("OwnRecord(%q) = %v, want %v", code, got, want)
		}
	}
	// The bundle's own catalogue: the pension items declare their entry conditions.
	e, err := New(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range e.Items() {
		switch it.Code {
		case "pension_insurance_enrolment":
			if !it.OwnRecord("age_above_max") || it.OwnRecord("age_below_min") || it.OwnRecord("employed") {
				t.Errorf("%s entry_only = %v", it.Code, it.EntryOnly)
			}
		case "resident_pension_claim":
			if !it.OwnRecord("pension_already_receiving") || it.OwnRecord("age_below_min") || it.OwnRecord("pension_not_enrolled") {
				t.Errorf("%s entry_only = %v", it.Code, it.EntryOnly)
			}
		}
	}
}
