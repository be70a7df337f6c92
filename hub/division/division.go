package division

import (
	"fmt"
	"slices"
)

// DistrictCode is the GB/T 2260 code of Zhangqiu district (章丘区) since 2016.
const DistrictCode = "370114"

// FormerDistrictCode is the code of the former county-level city 章丘市,
// still carried by the ID numbers of residents registered before 2016.
const FormerDistrictCode = "370181"

// DistrictName is the district's name as it starts every FullName.
const DistrictName = "章丘区"

// Level is the level of a division in the tree. The zero value is not a valid
// level.
type Level int

// Levels, from the root down.
const (
	LevelDistrict Level = iota + 1
	LevelTown
	LevelWorkArea
	LevelVillage
)

var levelNames = [...]string{
	LevelDistrict: "district",
	LevelTown:     "town",
	LevelWorkArea: "work_area",
	LevelVillage:  "village",
}

// String returns "district", "town", "work_area" or "village" (the names
// used in the API and the policies), or "Level(n)" for an invalid value.
func (l Level) String() string {
	if l >= LevelDistrict && l <= LevelVillage {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel returns the level named s, exactly as Level.String spells it.
func ParseLevel(s string) (Level, error) {
	for l := LevelDistrict; l <= LevelVillage; l++ {
		if levelNames[l] == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownLevel, s)
}

// MarshalText implements encoding.TextMarshaler (JSON and YAML use it); an
// invalid level is an error.
func (l Level) MarshalText() ([]byte, error) {
	if l < LevelDistrict || l > LevelVillage {
		return nil, fmt.Errorf("%w: %d", ErrUnknownLevel, int(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler using ParseLevel.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Division is one node of the tree. Code is its GB/T 2260 / statistical code,
// Name its own name (not the full path), Parent the code of the node above
// ("" for the district; a village's Parent is its work area), Town the code
// of the town it lies in (its own code for a town, "" for the district).
type Division struct {
	Code   string
	Name   string
	Level  Level
	Parent string
	Town   string
}

// tree is the whole district, built once at initialisation and read-only
// afterwards.
type tree struct {
	byCode    map[string]Division
	children  map[string][]Division // sorted by code
	towns     []Division
	workAreas []Division
	villages  []Division
}

var districtTree = build()

// Lookup returns the division with the given code. The district is known
// only by its 6-digit code; FormerDistrictCode is not in the tree.
func Lookup(code string) (Division, bool) {
	d, ok := districtTree.byCode[code]
	return d, ok
}

// Towns returns the 18 subdistricts and towns, sorted by code. The slice is
// a fresh copy the caller may modify.
func Towns() []Division { return slices.Clone(districtTree.towns) }

// WorkAreas returns the 75 work areas, sorted by code; a fresh copy.
func WorkAreas() []Division { return slices.Clone(districtTree.workAreas) }

// Villages returns the 525 villages, sorted by code; a fresh copy.
func Villages() []Division { return slices.Clone(districtTree.villages) }

// Children returns the divisions directly below code, sorted by code: the
// towns of the district, the work areas of a town, the villages of a work
// area. It returns nil for a village or an unknown code.
func Children(code string) []Division { return slices.Clone(districtTree.children[code]) }

// VillagesIn returns the villages under code (the code itself if it is a
// village), sorted by code: all 525 for the district, those of a town or of a
// work area. It returns nil for an unknown code.
func VillagesIn(code string) []Division {
	d, ok := Lookup(code)
	if !ok {
		return nil
	}
	switch d.Level {
	case LevelDistrict:
		return Villages()
	case LevelTown:
		var out []Division
		for _, wa := range districtTree.children[code] {
			out = append(out, districtTree.children[wa.Code]...)
		}
		return out // work areas and their villages are both in code order
	case LevelWorkArea:
		return Children(code)
	default:
		return []Division{d}
	}
}

// WorkAreaOf returns the work area a village belongs to; false if village is
// not a known village code.
func WorkAreaOf(village string) (Division, bool) {
	v, ok := Lookup(village)
	if !ok || v.Level != LevelVillage {
		return Division{}, false
	}
	return Lookup(v.Parent)
}

// Contains reports whether code is ancestor itself or lies below it in the
// tree. Both must be known codes: an unknown code is contained in nothing and
// contains nothing, not even itself, so a malformed jurisdiction never
// matches. DistrictCode contains every known code.
func Contains(ancestor, code string) bool {
	if _, ok := Lookup(ancestor); !ok {
		return false
	}
	for c := code; c != ""; {
		d, ok := Lookup(c)
		if !ok {
			return false
		}
		if c == ancestor {
			return true
		}
		c = d.Parent
	}
	return false
}

// Validate returns nil if code is a known division of any level, an error
// wrapping ErrMalformedCode if it is not 6 or 12 digits, and one wrapping
// ErrUnknownCode otherwise.
func Validate(code string) error {
	if _, ok := Lookup(code); ok {
		return nil
	}
	if !WellFormed(code) {
		// The value is not echoed: a malformed "code" may be an ID number
		// passed by mistake, and errors end up in logs.
		return fmt.Errorf("%w: %d bytes, want 6 or 12 digits", ErrMalformedCode, len(code))
	}
	return fmt.Errorf("%w: %s is not a division of %s %s", ErrUnknownCode, code, DistrictName, DistrictCode)
}

// FullName returns the name path from the district down to code, without the
// work area for a village: "章丘区明水街道东陈村", "章丘区明水街道",
// "章丘区明水街道东陈工作区", "章丘区". It returns "" for an unknown code.
func FullName(code string) string {
	d, ok := Lookup(code)
	if !ok {
		return ""
	}
	if d.Level == LevelDistrict {
		return d.Name
	}
	town := districtTree.byCode[d.Town]
	if d.Level == LevelTown {
		return DistrictName + town.Name
	}
	return DistrictName + town.Name + d.Name
}

// IsDistrictAddressCode reports whether a 6-digit ID-number address code
// belongs to the district: DistrictCode or FormerDistrictCode.
func IsDistrictAddressCode(code string) bool {
	return code == DistrictCode || code == FormerDistrictCode
}

// WellFormed reports whether code has the form of a division code: 6 digits (a county) or 12
// (a statistical division), whether or not such a division exists.
func WellFormed(code string) bool {
	if len(code) != 6 && len(code) != 12 {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
