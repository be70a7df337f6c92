package division

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestCounts(t *testing.T) {
	if got := len(Towns()); got != 18 {
		t.Errorf("towns = %d, want 18", got)
	}
	if got := len(WorkAreas()); got != 75 {
		t.Errorf("work areas = %d, want 75", got)
	}
	if got := len(Villages()); got != 525 {
		t.Errorf("villages = %d, want 525", got)
	}
	if got := len(Children(DistrictCode)); got != 18 {
		t.Errorf("children of the district = %d, want 18", got)
	}
	if got := len(VillagesIn(DistrictCode)); got != 525 {
		t.Errorf("VillagesIn(district) = %d, want 525", got)
	}
}

func TestTowns(t *testing.T) {
	want := []struct{ code, name string }{
		{"370114001000", "明水街道"}, {"370114002000", "双山街道"}, {"370114003000", "枣园街道"},
		{"370114004000", "龙山街道"}, {"370114005000", "埠村街道"}, {"370114006000", "圣井街道"},
		{"370114007000", "普集街道"}, {"370114008000", "绣惠街道"}, {"370114009000", "相公庄街道"},
		{"370114010000", "文祖街道"}, {"370114011000", "官庄街道"}, {"370114012000", "高官寨街道"},
		{"370114013000", "白云湖街道"}, {"370114014000", "宁家埠街道"}, {"370114015000", "曹范街道"},
		{"370114100000", "刁镇"}, {"370114101000", "垛庄镇"}, {"370114102000", "黄河镇"},
	}
	towns := Towns()
	if len(towns) != len(want) {
		t.Fatalf("%d towns", len(towns))
	}
	for i, w := range want {
		got := towns[i]
		if got != (Division{Code: w.code, Name: w.name, Level: LevelTown, Parent: DistrictCode, Town: w.code}) {
			t.Errorf("town %d = %+v, want %s %s", i, got, w.code, w.name)
		}
	}
}

func TestWorkAreasPerTown(t *testing.T) {
	total := 0
	for _, town := range Towns() {
		was := Children(town.Code)
		if len(was) < 2 || len(was) > 7 {
			t.Errorf("%s has %d work areas, want 2 to 7", town.Name, len(was))
		}
		total += len(was)
		for i, wa := range was {
			if wa.Level != LevelWorkArea || wa.Parent != town.Code || wa.Town != town.Code {
				t.Errorf("work area %+v not under %s", wa, town.Code)
			}
			if want := town.Code[:9] + "9" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10)); wa.Code != want {
				t.Errorf("work area code %s, want %s", wa.Code, want)
			}
			if vs := Children(wa.Code); len(vs) != 7 {
				t.Errorf("work area %s has %d villages, want 7", wa.Code, len(vs))
			}
		}
	}
	if total != 75 {
		t.Errorf("total work areas %d", total)
	}
	// The largest town (明水, the seat) has the most work areas.
	if n := len(Children("370114001000")); n != 7 {
		t.Errorf("明水街道 has %d work areas, want 7", n)
	}
}

// TestVillagesInExactlyOneWorkArea: every village is a child of exactly one
// work area, and that work area lies in the village's own town.
func TestVillagesInExactlyOneWorkArea(t *testing.T) {
	count := map[string]int{}
	for _, wa := range WorkAreas() {
		for _, v := range Children(wa.Code) {
			count[v.Code]++
			if v.Town != wa.Town {
				t.Errorf("village %s (town %s) in work area %s of town %s", v.Code, v.Town, wa.Code, wa.Town)
			}
		}
	}
	for _, v := range Villages() {
		if count[v.Code] != 1 {
			t.Errorf("village %s is in %d work areas", v.Code, count[v.Code])
		}
		wa, ok := WorkAreaOf(v.Code)
		if !ok || wa.Code != v.Parent || wa.Town != v.Town || wa.Level != LevelWorkArea {
			t.Errorf("WorkAreaOf(%s) = %+v, %v", v.Code, wa, ok)
		}
		if v.Code[:9] != v.Town[:9] {
			t.Errorf("village %s code does not start with its town's %s", v.Code, v.Town[:9])
		}
	}
}

func TestCodesUniqueAndWellShaped(t *testing.T) {
	all := append(append(Towns(), WorkAreas()...), Villages()...)
	seen := map[string]bool{DistrictCode: true}
	for _, d := range all {
		if seen[d.Code] {
			t.Errorf("duplicate code %s", d.Code)
		}
		seen[d.Code] = true
		if len(d.Code) != 12 || !WellFormed(d.Code) || !strings.HasPrefix(d.Code, DistrictCode) {
			t.Errorf("bad code shape %q", d.Code)
		}
		tail := d.Code[9:]
		switch d.Level {
		case LevelTown:
			if tail != "000" {
				t.Errorf("town %s does not end in 000", d.Code)
			}
		case LevelWorkArea:
			if tail[0] != '9' || tail == "900" {
				t.Errorf("work area %s not in 901-999", d.Code)
			}
		case LevelVillage:
			if tail < "201" || tail > "399" {
				t.Errorf("village %s not in 201-399", d.Code)
			}
		default:
			t.Errorf("%s has level %v", d.Code, d.Level)
		}
		if err := Validate(d.Code); err != nil {
			t.Errorf("Validate(%s) = %v", d.Code, err)
		}
		if got, ok := Lookup(d.Code); !ok || got != d {
			t.Errorf("Lookup(%s) = %+v, %v", d.Code, got, ok)
		}
	}
	if len(seen) != 1+18+75+525 {
		t.Errorf("%d distinct codes", len(seen))
	}
}

func TestVillageCodesConsecutivePerTown(t *testing.T) {
	for _, town := range Towns() {
		vs := VillagesIn(town.Code)
		for i, v := range vs {
			want := 201 + i
			got := int(v.Code[9]-'0')*100 + int(v.Code[10]-'0')*10 + int(v.Code[11]-'0')
			if got != want {
				t.Errorf("%s: village %d has number %d, want %d", town.Name, i, got, want)
			}
		}
	}
}

func TestNamesUniquePerTown(t *testing.T) {
	for _, town := range Towns() {
		names := map[string]string{}
		for _, d := range append(Children(town.Code), VillagesIn(town.Code)...) {
			if other, dup := names[d.Name]; dup {
				t.Errorf("%s: name %s used by %s and %s", town.Name, d.Name, other, d.Code)
			}
			names[d.Name] = d.Code
			if n := utf8.RuneCountInString(d.Name); n < 2 || n > 10 {
				t.Errorf("implausible name %q", d.Name)
			}
		}
		for _, v := range VillagesIn(town.Code) {
			if !strings.HasSuffix(v.Name, "村") {
				t.Errorf("village name %q does not end in 村", v.Name)
			}
		}
		for _, wa := range Children(town.Code) {
			if !strings.HasSuffix(wa.Name, "工作区") {
				t.Errorf("work area name %q does not end in 工作区", wa.Name)
			}
		}
	}
}

// TestDeterministic pins a few generated names: changing the generator would
// rename villages that stores and fixtures already hold.
func TestDeterministic(t *testing.T) {
	again := build()
	for i, v := range Villages() {
		if again.villages[i] != v {
			t.Fatalf("second build differs at %s", v.Code)
		}
	}
	for code, want := range map[string]string{
		"370114001201": "章丘区明水街道下王村",
		"370114001901": "章丘区明水街道下王工作区",
		"370114002201": "章丘区双山街道徐家官村",
		"370114102000": "章丘区黄河镇",
		DistrictCode:   "章丘区",
	} {
		if got := FullName(code); got != want {
			t.Errorf("FullName(%s) = %q, want %q", code, got, want)
		}
	}
}

func TestContains(t *testing.T) {
	const (
		mingshui   = "370114001000"
		shuangshan = "370114002000"
		waM1       = "370114001901"
		waM2       = "370114001902"
		vM1        = "370114001201" // in waM1
		vM8        = "370114001208" // in waM2
		vS1        = "370114002201"
	)
	tests := []struct {
		name           string
		ancestor, code string
		want           bool
	}{
		{"district_contains_itself", DistrictCode, DistrictCode, true},
		{"district_contains_town", DistrictCode, mingshui, true},
		{"district_contains_work_area", DistrictCode, waM1, true},
		{"district_contains_village", DistrictCode, vS1, true},
		{"town_contains_itself", mingshui, mingshui, true},
		{"town_contains_own_work_area", mingshui, waM2, true},
		{"town_contains_own_village", mingshui, vM8, true},
		{"town_not_other_town", mingshui, shuangshan, false},
		{"town_not_other_towns_village", mingshui, vS1, false},
		{"town_not_district", mingshui, DistrictCode, false},
		{"work_area_contains_own_village", waM1, vM1, true},
		{"work_area_not_sibling_village", waM1, vM8, false},
		{"work_area_not_its_town", waM1, mingshui, false},
		{"work_area_not_sibling", waM1, waM2, false},
		{"village_contains_itself", vM1, vM1, true},
		{"village_not_sibling", vM1, vM8, false},
		{"village_not_its_work_area", vM1, waM1, false},
		{"unknown_code_under_district", DistrictCode, "370114001399", false},
		{"unknown_ancestor_equal_code", "999999", "999999", false},
		{"empty_both", "", "", false},
		{"former_district_code", FormerDistrictCode, vM1, false},
		{"district_not_former_code", DistrictCode, FormerDistrictCode, false},
		{"twelve_digit_district_form", "370114000000", vM1, false},
		{"other_district", "370112", "370112001000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Contains(tt.ancestor, tt.code); got != tt.want {
				t.Errorf("Contains(%q, %q) = %v, want %v", tt.ancestor, tt.code, got, tt.want)
			}
		})
	}
}

// TestContainsAgainstTown cross-checks Contains with the Town and Parent fields
// over every pair of town and village.
func TestContainsAgainstTown(t *testing.T) {
	for _, town := range Towns() {
		for _, v := range Villages() {
			if got, want := Contains(town.Code, v.Code), v.Town == town.Code; got != want {
				t.Fatalf("Contains(%s, %s) = %v", town.Code, v.Code, got)
			}
		}
	}
	for _, wa := range WorkAreas() {
		for _, v := range Villages() {
			if got, want := Contains(wa.Code, v.Code), v.Parent == wa.Code; got != want {
				t.Fatalf("Contains(%s, %s) = %v", wa.Code, v.Code, got)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		wantErr error
	}{
		{"district", DistrictCode, nil},
		{"town", "370114015000", nil},
		{"last_town", "370114102000", nil},
		{"work_area", "370114102903", nil},
		{"village", "370114101214", nil},
		{"empty", "", ErrMalformedCode},
		{"five_digits", "37011", ErrMalformedCode},
		{"letter", "37011400100A", ErrMalformedCode},
		{"nine_digits", "370114001", ErrMalformedCode},
		{"fullwidth_digits", "３７０１１４", ErrMalformedCode},
		{"former_district", FormerDistrictCode, ErrUnknownCode},
		{"other_district", "370112", ErrUnknownCode},
		{"twelve_digit_district", "370114000000", ErrUnknownCode},
		{"missing_town", "370114016000", ErrUnknownCode},
		{"village_past_end", "370114101215", ErrUnknownCode},
		{"work_area_past_end", "370114101903", ErrUnknownCode},
		{"village_number_200", "370114001200", ErrUnknownCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate(%q) = %v, want %v", tt.code, err, tt.wantErr)
			}
		})
	}
}

func TestValidateDoesNotEchoMalformedInput(t *testing.T) {
	const idNumber = "37011419560301123X"
	if err := Validate(idNumber); err == nil || strings.Contains(err.Error(), "1956") {
		t.Errorf("Validate(id number) = %v", err)
	}
}

func TestChildrenAndLookupEdges(t *testing.T) {
	if got := Children("370114001201"); got != nil {
		t.Errorf("Children(village) = %v, want nil", got)
	}
	if got := Children("nope"); got != nil {
		t.Errorf("Children(unknown) = %v, want nil", got)
	}
	if _, ok := WorkAreaOf("370114001901"); ok {
		t.Errorf("WorkAreaOf(work area) ok")
	}
	if _, ok := WorkAreaOf("370114001000"); ok {
		t.Errorf("WorkAreaOf(town) ok")
	}
	if d, ok := Lookup(DistrictCode); !ok || d != (Division{Code: DistrictCode, Name: "章丘区", Level: LevelDistrict}) {
		t.Errorf("Lookup(district) = %+v, %v", d, ok)
	}
	if got := FullName("370114999999"); got != "" {
		t.Errorf("FullName(unknown) = %q", got)
	}
	if got := VillagesIn("370114001201"); len(got) != 1 || got[0].Code != "370114001201" {
		t.Errorf("VillagesIn(village) = %v", got)
	}
	if got := VillagesIn("370114001901"); len(got) != 7 {
		t.Errorf("VillagesIn(work area) = %d", len(got))
	}
	if VillagesIn("x") != nil {
		t.Errorf("VillagesIn(unknown) not nil")
	}
	if !IsDistrictAddressCode("370181") || !IsDistrictAddressCode("370114") || IsDistrictAddressCode("370112") {
		t.Errorf("IsDistrictAddressCode wrong")
	}
}

// TestReturnsCopies: a caller modifying a returned slice does not change the
// tree.
func TestReturnsCopies(t *testing.T) {
	for name, get := range map[string]func() []Division{
		"towns": Towns, "work_areas": WorkAreas, "villages": Villages,
		"children":         func() []Division { return Children(DistrictCode) },
		"villages_in_town": func() []Division { return VillagesIn("370114001000") },
	} {
		s := get()
		s[0].Name = "changed"
		if get()[0].Name == "changed" {
			t.Errorf("%s: modifying the result changed the tree", name)
		}
	}
}

func TestSortedByCode(t *testing.T) {
	for name, s := range map[string][]Division{"towns": Towns(), "work_areas": WorkAreas(), "villages": Villages()} {
		for i := 1; i < len(s); i++ {
			if s[i-1].Code >= s[i].Code {
				t.Errorf("%s not sorted at %d", name, i)
			}
		}
	}
}

func TestLevel(t *testing.T) {
	tests := []struct {
		level Level
		name  string
	}{
		{LevelDistrict, "district"}, {LevelTown, "town"}, {LevelWorkArea, "work_area"}, {LevelVillage, "village"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.level.String() != tt.name {
				t.Errorf("String() = %q", tt.level.String())
			}
			got, err := ParseLevel(tt.name)
			if err != nil || got != tt.level {
				t.Errorf("ParseLevel = %v, %v", got, err)
			}
			b, err := json.Marshal(map[string]Level{"l": tt.level})
			if err != nil || string(b) != `{"l":"`+tt.name+`"}` {
				t.Errorf("json = %s, %v", b, err)
			}
			var back map[string]Level
			if err := json.Unmarshal(b, &back); err != nil || back["l"] != tt.level {
				t.Errorf("json round trip = %v, %v", back, err)
			}
		})
	}
	for _, bad := range []string{"", "Town", "workarea", "work-area", "province"} {
		if _, err := ParseLevel(bad); !errors.Is(err, ErrUnknownLevel) {
			t.Errorf("ParseLevel(%q) err = %v", bad, err)
		}
	}
	if s := Level(0).String(); s != "Level(0)" {
		t.Errorf("Level(0).String() = %q", s)
	}
	if _, err := json.Marshal(Level(9)); !errors.Is(err, ErrUnknownLevel) {
		t.Errorf("marshal invalid level: %v", err)
	}
}

func TestConcurrentReaders(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, v := range Villages() {
				if !Contains(DistrictCode, v.Code) || FullName(v.Code) == "" {
					t.Errorf("village %s", v.Code)
				}
			}
		})
	}
	wg.Wait()
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		DistrictCode, FormerDistrictCode, "370114001000", "370114001901", "370114001201", "370114102903",
		"370114000000", "", "37011400100A", "３７０１１４", "370114001399", "\xff\xff\xff\xff\xff\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		d, ok := Lookup(code)
		err := Validate(code)
		if ok != (err == nil) {
			t.Fatalf("Lookup ok=%v but Validate err=%v", ok, err)
		}
		if !ok {
			if !errors.Is(err, ErrMalformedCode) && !errors.Is(err, ErrUnknownCode) {
				t.Fatalf("Validate error %v wraps neither sentinel", err)
			}
			if errors.Is(err, ErrMalformedCode) == WellFormed(code) {
				t.Fatalf("malformed=%v for well-formed=%v", errors.Is(err, ErrMalformedCode), WellFormed(code))
			}
			if Contains(DistrictCode, code) || FullName(code) != "" || Children(code) != nil {
				t.Fatalf("unknown code %q treated as known", code)
			}
			return
		}
		if d.Code != code || !Contains(DistrictCode, code) || !Contains(code, code) {
			t.Fatalf("known code %q: %+v", code, d)
		}
		if !strings.HasPrefix(FullName(code), DistrictName) {
			t.Fatalf("FullName(%q) = %q", code, FullName(code))
		}
		if d.Level != LevelDistrict {
			if _, ok := Lookup(d.Parent); !ok || !Contains(d.Parent, code) || !Contains(d.Town, code) {
				t.Fatalf("%q: parent %q or town %q unknown or not containing it", code, d.Parent, d.Town)
			}
		}
	})
}
