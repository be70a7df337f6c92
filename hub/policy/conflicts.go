package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Conflict is a cross-item conflict the catalogue declares (data.sanmian.catalogue.conflicts):
// items one person may not hold together under the programmes' public rules. The supervision
// scan reports a resident on the rolls of two or more of Items, under Items[0] (a proactive
// item), with reason Code.
type Conflict struct {
	Code  string   `json:"code"`
	Items []string `json:"items"` // at least two item codes; the first owns the alerts
	Basis Basis    `json:"basis"`
	ZH    string   `json:"zh"`
	EN    string   `json:"en"`
}

// Conflicts returns the cross-item conflicts of the loaded revision, sorted by code.
func (e *Engine) Conflicts() []Conflict { return e.state.Load().conflicts }

// parseConflicts decodes the catalogue's conflicts and checks them against the items: every
// item exists, no item twice, at least two, the first proactive (the scan reports under it),
// a citation and both texts.
func parseConflicts(cat map[string]any, items []Item) ([]Conflict, error) {
	raw, ok := cat["conflicts"]
	if !ok || raw == nil {
		return []Conflict{}, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: catalogue conflicts: %v", ErrBundle, err)
	}
	var m map[string]Conflict
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: catalogue conflicts: %v", ErrBundle, err)
	}
	byCode := make(map[string]Item, len(items))
	for _, it := range items {
		byCode[it.Code] = it
	}
	out := make([]Conflict, 0, len(m))
	for code, c := range m {
		c.Code = code
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: conflict %s: %s", ErrBundle, code, fmt.Sprintf(format, a...))
		}
		if len(c.Items) < 2 {
			return nil, bad("names %d items, want at least two", len(c.Items))
		}
		for k, ic := range c.Items {
			if _, ok := byCode[ic]; !ok {
				return nil, bad("unknown item %q", ic)
			}
			if slices.Contains(c.Items[:k], ic) {
				return nil, bad("item %q named twice", ic)
			}
		}
		if !byCode[c.Items[0]].Proactive {
			return nil, bad("first item %q is not proactive (the scan reports under it)", c.Items[0])
		}
		if c.Basis.Cite == "" || c.ZH == "" || c.EN == "" {
			return nil, bad("needs basis.cite, zh and en")
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Conflict) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}
