package policy

import (
	"sync"

	"sanmian/hub/division"
)

// DivisionData returns the division tree in the shape the access policy reads as
// data.sanmian.divisions: every code (district, towns, work areas, villages) mapped to
// {"level": "district"|"town"|"work_area"|"village", "path": [code, parent, ..., "370114"]}.
// It is generated once from package sanmian/hub/division and shared read-only.
func DivisionData() map[string]any { return divisionData() }

var divisionData = sync.OnceValue(func() map[string]any {
	out := map[string]any{}
	add := func(d division.Division) {
		path := []any{}
		for c := d.Code; c != ""; {
			path = append(path, c)
			p, ok := division.Lookup(c)
			if !ok {
				break
			}
			c = p.Parent
		}
		out[d.Code] = map[string]any{"level": d.Level.String(), "path": path}
	}
	if d, ok := division.Lookup(division.DistrictCode); ok {
		add(d)
	}
	for _, list := range [][]division.Division{division.Towns(), division.WorkAreas(), division.Villages()} {
		for _, d := range list {
			add(d)
		}
	}
	return out
})
