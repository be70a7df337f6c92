package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestConflictsDeclared: the embedded catalogue declares 特困 and 低保 as not held together,
// citing the social assistance measures, and the engine serves it.
func TestConflictsDeclared(t *testing.T) {
	e, err := New(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cs := e.Conflicts()
	i := slices.IndexFunc(cs, func(c Conflict) bool { return c.Code == "tekun_with_dibao" })
	if i < 0 {
		t.Fatalf("conflicts %+v: no tekun_with_dibao", cs)
	}
	c := cs[i]
	if !slices.Equal(c.Items, []string{"extreme_poverty_support", "minimum_living_allowance"}) ||
		c.Basis.Cite != "《社会救助暂行办法》" || c.ZH == "" || c.EN == "" {
		t.Fatalf("tekun_with_dibao = %+v", c)
	}
}

// TestConflictsChecked: a conflict naming an unknown item, one item, an item twice, a
// non-proactive first item, or no citation is refused; none at all is an empty list.
func TestConflictsChecked(t *testing.T) {
	items := []Item{{Code: "a", Proactive: true}, {Code: "b"}}
	conflict := func(items ...any) map[string]any {
		return map[string]any{"conflicts": map[string]any{"x": map[string]any{"items": items,
			"basis": map[string]any{"cite": "《办法》"}, "zh": "冲突", "en": "conflict"}}}
	}
	for _, tc := range []struct {
		name string
		cat  map[string]any
		want string // "" accepted
	}{
		{"valid", conflict("a", "b"), ""},
		{"none", map[string]any{}, ""},
		{"unknown_item", conflict("a", "c"), `unknown item "c"`},
		{"one_item", conflict("a"), "names 1 items"},
		{"twice", conflict("a", "a"), `item "a" named twice`},
		{"first_not_proactive", conflict("b", "a"), `first item "b" is not proactive`},
		{"no_cite", map[string]any{"conflicts": map[string]any{"x": map[string]any{"items": []any{"a", "b"}, "zh": "冲突", "en": "conflict"}}}, "needs basis.cite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := parseConflicts(tc.cat, items)
			if tc.want != "" {
				if !errors.Is(err, ErrBundle) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want ErrBundle with %q", err, tc.want)
				}
				return
			}
			if err != nil || cs == nil {
				t.Fatalf("conflicts %v, err %v", cs, err)
			}
			if tc.name == "valid" && (len(cs) != 1 || cs[0].Code != "x") {
				t.Fatalf("conflicts %+v", cs)
			}
		})
	}
}
