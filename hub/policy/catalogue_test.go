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
