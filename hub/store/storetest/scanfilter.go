package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"sanmian/hub/store"
)

// testScanPass: one pass selects each filter's worklist (Eligible holds, not on the item's
// roll) and supervision list (on the roll, Keeps does not hold; none for a screen, whose Keeps
// is ""), with the rows' enrolments and
// the values of the expressions; a numeric column compares with the quoted literal a policy
// compiler writes for a number; a town or village division reads that division only.
func testScanPass(t *testing.T, s store.Store) {
	ctx := t.Context()
	res := Residents(1, 36)
	res[1].Enrolled = []string{"x_item", "y_item"} // resident 2: grade 3, enrolled
	res[3].Enrolled = []string{"x_item"}           // resident 4: grade 1, enrolled
	must(t, s.ApplySnapshot(ctx, "district", res, "d"))
	var facts []store.ProvinceFacts
	for _, i := range []int{2, 4, 6, 8} { // grades 3, 1, 3, 1
		f := ProvinceFacts(i, false)
		f.Deceased, f.DeathDate = false, ""
		facts = append(facts, f)
	}
	must(t, s.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, facts, "p"))
	grade := "scan_residents.province_synced = TRUE AND scan_residents.disability_grade <= '2'"
	filters := []store.ItemFilter{{Item: "x_item", Eligible: grade, Keeps: grade}}
	id := func(i int) string { return Resident(i).IDNumber }
	type got struct {
		id, village string
		enrolled    string
		vals        string
	}
	for _, tc := range []struct {
		name, division string
		want           []got
	}{
		// resident 8: eligible, not enrolled (worklist); resident 2: enrolled, not kept
		// (supervision); resident 4: enrolled and kept, not selected.
		{"district", "", []got{{id(2), Resident(2).Village, "[x_item y_item]", "[false true]"}, {id(8), Resident(8).Village, "[]", "[true true]"}}},
		{"town", Resident(8).Village[:9], []got{{id(8), Resident(8).Village, "[]", "[true true]"}}},
		{"village", Resident(2).Village, []got{{id(2), Resident(2).Village, "[x_item y_item]", "[false true]"}}},
		{"other_town", Resident(7).Village[:9], nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rows []got
			err := s.ScanPass(ctx, store.PassScope{Division: tc.division}, filters, []string{grade, "scan_residents.id_number <> ''"}, func(r *store.ScanResident, enrolled []string, vals []bool) error {
				rows = append(rows, got{r.IDNumber, r.Village, fmt.Sprint(enrolled), fmt.Sprint(vals)})
				if !r.ProvinceSynced || r.Province.DisabilityNumber == "" {
					t.Errorf("row %s without its province facts: %+v", r.IDNumber, r.Province)
				}
				return nil
			})
			must(t, err)
			if fmt.Sprint(rows) != fmt.Sprint(tc.want) {
				t.Fatalf("rows %v\nwant %v", rows, tc.want)
			}
		})
	}
	// A screen (Keeps "") selects its worklist only: resident 2, enrolled and not kept, is not
	// selected; resident 8 is.
	for _, division := range []string{"", Resident(8).Village[:9]} {
		var ids []string
		err := s.ScanPass(ctx, store.PassScope{Division: division}, []store.ItemFilter{{Item: "x_item", Eligible: grade}}, []string{grade}, func(r *store.ScanResident, _ []string, _ []bool) error {
			ids = append(ids, r.IDNumber)
			return nil
		})
		must(t, err)
		if fmt.Sprint(ids) != fmt.Sprint([]string{id(8)}) {
			t.Fatalf("screen over %q selected %v, want [%s]", division, ids, id(8))
		}
	}
	// EachScanResident reads a division's rows with their own enrolments, nothing outside it.
	for _, division := range []string{"", Resident(2).Village[:9], Resident(2).Village, Resident(7).Village[:9]} {
		got := map[string]string{}
		must(t, s.EachScanResident(ctx, division, func(r *store.ScanResident, enrolled []string) error {
			if !strings.HasPrefix(r.Village, division) {
				t.Errorf("EachScanResident(%q) read %s of village %s", division, r.IDNumber, r.Village)
			}
			got[r.IDNumber] = fmt.Sprint(enrolled)
			return nil
		}))
		n, err := s.CountScanResidents(ctx, division)
		must(t, err)
		if len(got) != n || n == 0 {
			t.Fatalf("EachScanResident(%q) read %d rows, CountScanResidents %d", division, len(got), n)
		}
		for i, want := range map[int]string{2: "[x_item y_item]", 4: "[x_item]", 8: "[]"} {
			if g, ok := got[id(i)]; ok && g != want || !ok && strings.HasPrefix(Resident(i).Village, division) {
				t.Fatalf("EachScanResident(%q): resident %d enrolled %q (read: %v), want %s", division, i, g, ok, want)
			}
		}
	}
	for division, want := range map[string]int{"": 36, "370114": 36, Resident(8).Village[:9]: 2, Resident(8).Village: 1, "370114999": 0} {
		n, err := s.CountScanResidents(ctx, division)
		must(t, err)
		if n != want {
			t.Fatalf("CountScanResidents(%q) = %d, want %d", division, n, want)
		}
	}
}

// testScanLargeDistrict: a whole-district read of more than 50,000 residents (the SQLite store
// then reads two halves of the ID range at once) yields every row once, in ID order, each with
// its own enrolments and values: the scan's load (EachScanResident) and its compiled pass
// (ScanPass: worklist and supervision rows of one filter, with an expression per row).
func testScanLargeDistrict(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 60_000
	res := Residents(1, n)
	for len(res) > 0 {
		k := min(len(res), 5000)
		must(t, s.ApplySnapshot(ctx, "district", res[:k], "d"))
		res = res[k:]
	}
	var last string
	count, enrolled := 0, 0
	err := s.EachScanResident(ctx, "", func(r *store.ScanResident, items []string) error {
		if r.IDNumber <= last {
			t.Fatalf("row %s after %s: not in ID order", r.IDNumber, last)
		}
		last = r.IDNumber
		var i int
		if _, err := fmt.Sscanf(r.IDNumber[7:], "%d", &i); err != nil {
			t.Fatalf("row %s: %v", r.IDNumber, err)
		}
		if want := Resident(i); fmt.Sprint(items) != fmt.Sprint(want.Enrolled) && len(items)+len(want.Enrolled) > 0 || r.Village != want.Village {
			t.Fatalf("row %s: enrolled %v in %s, want %v in %s", r.IDNumber, items, r.Village, want.Enrolled, want.Village)
		}
		count++
		enrolled += len(items)
		return nil
	})
	must(t, err)
	if count != n {
		t.Fatalf("%d rows read, want %d", count, n)
	}
	// Women are eligible (worklist: not on the roll); an enrolment is kept only for residents
	// born before 1960 (supervision: the others on the roll).
	f := store.ItemFilter{Item: "elderly_allowance", Eligible: "scan_residents.sex = 'F'", Keeps: "scan_residents.birth_date < '1960'"}
	want := 0
	for i := 1; i <= n; i++ {
		r := Resident(i)
		on := slices.Contains(r.Enrolled, f.Item)
		if !on && r.Sex == "F" || on && r.BirthDate >= "1960" {
			want++
		}
	}
	last, count = "", 0
	err = s.ScanPass(ctx, store.PassScope{}, []store.ItemFilter{f}, []string{"scan_residents.sex = 'F'"}, func(r *store.ScanResident, items []string, vals []bool) error {
		if r.IDNumber <= last {
			t.Fatalf("pass row %s after %s: not in ID order", r.IDNumber, last)
		}
		last = r.IDNumber
		on := slices.Contains(items, f.Item)
		if vals[0] != (r.Sex == "F") || !(!on && r.Sex == "F" || on && r.BirthDate >= "1960") {
			t.Fatalf("pass row %s (sex %s, born %s, enrolled %v) with value %v: not selected by the filter", r.IDNumber, r.Sex, r.BirthDate, items, vals)
		}
		count++
		return nil
	})
	must(t, err)
	if count != want {
		t.Fatalf("the pass selected %d rows, want %d", count, want)
	}
}

// testPassHouseholdLastDeath: the derived column store.HouseholdLastDeath is the latest death
// date the province records, on or before the pass's date, of the resident or a member of
// their household; a death only the village roll records, one without a date, or one after
// the date do not count; a pass reading it without a date is refused.
func testPassHouseholdLastDeath(t *testing.T, s store.Store) {
	ctx := t.Context()
	res := Residents(101, 12) // households H0000033 (101), H0000034 (102-104), H0000035 (105-107), ...
	res[0].HouseholdID = ""   // 101: no household, died on 2026-01-01
	res[10].Deceased = true   // 111: dead on the village roll only
	must(t, s.ApplySnapshot(ctx, "district", res, "hd"))
	deaths := map[int]string{101: "2026-01-01", 103: "2026-10-01", 104: "2026-02-01", 106: "2026-12-01", 107: "2026-05-01", 109: ""}
	var facts []store.ProvinceFacts
	for i := 101; i <= 112; i++ {
		f := ProvinceFacts(i, false)
		d, dead := deaths[i]
		f.Deceased, f.DeathDate = dead, d
		facts = append(facts, f)
	}
	must(t, s.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, facts, "hd"))
	col := "scan_residents." + store.HouseholdLastDeath
	id := func(i int) string { return Resident(i).IDNumber }
	filters := []store.ItemFilter{{Item: "x_item", Eligible: col + " <> '' AND scan_residents.id_number >= '" + id(101) + "' AND scan_residents.id_number <= '" + id(112) + "'"}}
	exprs := []string{col + " = '2026-01-01'", col + " = '2026-10-01'", col + " = '2026-05-01'"}
	got := map[string]string{}
	must(t, s.ScanPass(ctx, store.PassScope{At: "2026-11-26"}, filters, exprs, func(r *store.ScanResident, _ []string, vals []bool) error {
		got[r.IDNumber] = fmt.Sprint(vals)
		return nil
	}))
	want := map[string]string{
		id(101): "[true false false]", // no household: their own death
		id(102): "[false true false]", id(103): "[false true false]", id(104): "[false true false]",
		id(105): "[false false true]", id(106): "[false false true]", id(107): "[false false true]", // 106's is after the date
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("household last death: rows %v\nwant %v", got, want)
	}
	// The day before 2026-05-01: no death of household H0000035 counts yet.
	got = map[string]string{}
	must(t, s.ScanPass(ctx, store.PassScope{Division: Resident(105).Village[:9], At: "2026-04-30"}, filters, exprs, func(r *store.ScanResident, _ []string, vals []bool) error {
		got[r.IDNumber] = fmt.Sprint(vals)
		return nil
	}))
	for _, i := range []int{105, 106, 107} {
		if _, ok := got[id(i)]; ok {
			t.Fatalf("resident %d selected before any death of the household: %v", i, got)
		}
	}
	err := s.ScanPass(ctx, store.PassScope{}, filters, exprs, func(*store.ScanResident, []string, []bool) error { return nil })
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a pass reading %s without a date: %v, want ErrInvalid", store.HouseholdLastDeath, err)
	}
}

// testPassChildFacts: the derived columns store.ChildDeceased and store.ChildDisabilityGrade
// are read over every link of child_links (household relations both ways, licences): a child
// the province records deceased; the most severe grade of the children's certificates valid on
// the pass's date (not an expired or a revoked one). A division's and a delta's pass derive them
// for their own rows alike.
func testPassChildFacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	res := Residents(201, 16)
	for i := range res {
		res[i].HouseholdID, res[i].Relation = fmt.Sprintf("HC%03d", 201+i), "head" // each alone, but:
	}
	set := func(i int, household, relation string) {
		res[i-201].HouseholdID, res[i-201].Relation = household, relation
	}
	set(201, "HA", "head")
	set(202, "HA", "spouse")
	set(203, "HA", "daughter") // deceased: a child of 201 and 202
	set(204, "HB", "head")     // deceased: a child of 206
	set(205, "HB", "son")      // grade 2: a child of 204
	set(206, "HB", "father")
	must(t, s.ApplySnapshot(ctx, "district", res, "cf"))
	id := func(i int) string { return Resident(i).IDNumber }
	facts := map[int]store.ProvinceFacts{}
	for i := 201; i <= 216; i++ {
		f := ProvinceFacts(i, false)
		f.Deceased, f.DeathDate = false, ""
		f.DisabilityNumber, f.DisabilityCategory, f.DisabilityGrade, f.DisabilityValidUntil, f.DisabilityStatus = "", "", 0, "", ""
		facts[i] = f
	}
	death := func(i int) { f := facts[i]; f.Deceased, f.DeathDate = true, "2026-01-01"; facts[i] = f }
	cert := func(i, grade int, until, status string) {
		f := facts[i]
		f.DisabilityNumber, f.DisabilityCategory, f.DisabilityGrade, f.DisabilityValidUntil, f.DisabilityStatus = id(i)+"4", "physical", grade, until, status
		facts[i] = f
	}
	link := func(parent, child int) {
		f := facts[child]
		f.Links = append(f.Links, store.ChildLink{ParentID: id(parent), ChildID: id(child), Source: store.LinkBirthCertificate})
		facts[child] = f
	}
	death(203)
	death(204)
	cert(205, 2, "2030-01-01", "valid")
	cert(207, 3, "", "valid") // a child of 208 and 209 by licence
	link(208, 207)
	link(209, 207)
	cert(210, 2, "2026-11-25", "valid") // expired on the date: 211's child
	link(211, 210)
	cert(213, 4, "2030-01-01", "valid") // 212's children: grades 4 and 1
	cert(214, 1, "2030-01-01", "valid")
	link(212, 213)
	link(212, 214)
	cert(216, 1, "2030-01-01", "revoked") // 215's child
	link(215, 216)
	var all []store.ProvinceFacts
	for i := 201; i <= 216; i++ {
		all = append(all, facts[i])
	}
	must(t, s.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, all, "cf"))

	dead, grade := "scan_residents."+store.ChildDeceased, "scan_residents."+store.ChildDisabilityGrade
	// As a compiled policy writes them: a boolean compared with TRUE, numbers quoted.
	filters := []store.ItemFilter{{Item: "x_item", Eligible: "(" + dead + " = TRUE OR " + grade + " > '0') AND scan_residents.id_number >= '" + id(201) + "' AND scan_residents.id_number <= '" + id(216) + "'"}}
	exprs := []string{dead + " = TRUE", grade + " = '1'", grade + " = '2'", grade + " >= '3'"}
	pass := func(scope store.PassScope) map[string]string { return passValues(t, s, scope, filters, exprs) }
	want := map[string]string{
		id(201): "[true false false false]", id(202): "[true false false false]", // 203, their daughter, died
		id(206): "[true false false false]",                                      // 204, the head, their son, died
		id(204): "[false false true false]",                                      // 205, the head's son: grade 2
		id(208): "[false false false true]", id(209): "[false false false true]", // 207 by licence: grade 3
		id(212): "[false true false false]", // grades 4 and 1: the most severe
	}
	if got := pass(store.PassScope{At: "2026-11-26"}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("child facts: rows %v\nwant %v", got, want)
	}
	village := Resident(208).Village
	wantVillage := inVillage(res, want, village)
	if got := pass(store.PassScope{Division: village, At: "2026-11-26"}); fmt.Sprint(got) != fmt.Sprint(wantVillage) {
		t.Fatalf("child facts in village %s: rows %v\nwant %v", village, got, wantVillage)
	}
	// On 2031-01-01 every certificate above has expired but 207's (no end date).
	if got := pass(store.PassScope{At: "2031-01-01"})[id(204)]; got != "" {
		t.Fatalf("resident 204's child's certificate expired: selected %s", got)
	}
	ds, ok := s.(store.ScanDelta)
	if !ok {
		return
	}
	seq, err := ds.BeginScanTracking(ctx)
	must(t, err)
	res[212-201].Name = "居民212改"
	must(t, s.ApplySnapshot(ctx, "district", res[212-201:213-201], "cf2"))
	got := pass(store.PassScope{Delta: true, ChangedAfter: seq, At: "2026-11-26"})
	if fmt.Sprint(got) != fmt.Sprint(map[string]string{id(212): want[id(212)]}) {
		t.Fatalf("child facts of a delta after 212 changed: rows %v", got)
	}
}

// testPassHouseholdEnrolled: the derived column store.HouseholdEnrolledPrefix + item is true
// when another member of the resident's household, living or not, is on the item's roll: not
// for the member alone on it, nor for one without a household or on another item's roll. A
// division's and a delta's pass derive it for their own rows alike.
func testPassHouseholdEnrolled(t *testing.T, s store.Store) {
	ctx := t.Context()
	const item, other = "x_household_item", "x_other_item"
	res := Residents(301, 12)
	for i := range res {
		res[i].Enrolled, res[i].Deceased = nil, false
		res[i].HouseholdID, res[i].Relation = fmt.Sprintf("HE%03d", 301+i), "head" // each alone, but:
	}
	set := func(i int, household, relation string, enrolled ...string) {
		res[i-301].HouseholdID, res[i-301].Relation, res[i-301].Enrolled = household, relation, enrolled
	}
	set(301, "HA", "head", item) // 301 on the roll: 302 and 303 see it, 301 does not
	set(302, "HA", "spouse")
	set(303, "HA", "son", other)
	set(304, "HB", "head", item) // two members on the roll: each sees the other
	set(305, "HB", "spouse", item)
	set(306, "HC", "head", other) // another item's roll only
	set(307, "HC", "spouse")
	set(308, "HD", "head", item) // deceased on the roll: 309 still sees it
	res[308-301].Deceased = true
	set(309, "HD", "spouse")
	set(310, "", "", item) // no household
	must(t, s.ApplySnapshot(ctx, "district", res, "he"))
	id := func(i int) string { return Resident(i).IDNumber }
	col := "scan_residents." + store.HouseholdEnrolledPrefix + item
	filters := []store.ItemFilter{{Item: item, Eligible: "scan_residents.id_number >= '" + id(301) + "' AND scan_residents.id_number <= '" + id(312) + "'",
		Keeps: "scan_residents.id_number < '" + id(301) + "'"}}
	exprs := []string{col + " = TRUE", "scan_residents." + store.HouseholdEnrolledPrefix + other + " = TRUE"}
	pass := func(scope store.PassScope) map[string]string { return passValues(t, s, scope, filters, exprs) }
	want := map[string]string{}
	for i := 301; i <= 312; i++ {
		want[id(i)] = "[false false]"
	}
	want[id(302)] = "[true false]"
	want[id(303)] = "[true false]"
	want[id(304)] = "[true false]"
	want[id(305)] = "[true false]"
	want[id(307)] = "[false true]"
	want[id(309)] = "[true false]"
	want[id(301)] = "[false true]" // 303, their son, is on the other roll
	want[id(302)] = "[true true]"
	if got := pass(store.PassScope{}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("household enrolled: rows %v\nwant %v", got, want)
	}
	village := Resident(302).Village
	wantVillage := inVillage(res, want, village)
	if got := pass(store.PassScope{Division: village}); fmt.Sprint(got) != fmt.Sprint(wantVillage) {
		t.Fatalf("household enrolled in village %s: rows %v\nwant %v", village, got, wantVillage)
	}
	ds, ok := s.(store.ScanDelta)
	if !ok {
		return
	}
	seq, err := ds.BeginScanTracking(ctx)
	must(t, err)
	set(301, "HA", "head")                                    // off the roll: 302 and 303 no longer see it, 301 now sees 303's
	must(t, s.ApplySnapshot(ctx, "district", res[:1], "he2")) // 301 alone
	got := pass(store.PassScope{Delta: true, ChangedAfter: seq})
	wantDelta := map[string]string{id(301): "[false true]", id(302): "[false true]", id(303): "[false false]"}
	if fmt.Sprint(got) != fmt.Sprint(wantDelta) {
		t.Fatalf("household enrolled in a delta after 301 left the roll: rows %v\nwant %v", got, wantDelta)
	}
}

// testPassHouseholdMembers: the derived column store.HouseholdMembersPrefix + name counts the
// other members of the resident's household whose rows satisfy the scope's predicate of that
// name (the resident's own row aside; 0 without a household), over the whole district, a
// division and a delta alike; a pass reading a name the scope does not define is refused.
func testPassHouseholdMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	res := Residents(401, 9)
	for i := range res {
		res[i].HouseholdID, res[i].Relation = fmt.Sprintf("HM%03d", 401+i), "head"
	}
	set := func(i int, household, sex string) {
		res[i-401].HouseholdID, res[i-401].Sex = household, sex
	}
	set(401, "HA", "F") // HA: three women and a man
	set(402, "HA", "F")
	set(403, "HA", "F")
	set(404, "HA", "M")
	set(405, "HB", "M") // HB: two men
	set(406, "HB", "M")
	set(407, "", "F") // no household
	must(t, s.ApplySnapshot(ctx, "district", res, "hm"))
	id := func(i int) string { return Resident(i).IDNumber }
	col := "scan_residents." + store.HouseholdMembersPrefix + "women"
	filters := []store.ItemFilter{{Item: "x_item", Eligible: "scan_residents.id_number >= '" + id(401) + "' AND scan_residents.id_number <= '" + id(409) + "'"}}
	exprs := []string{col + " = '0'", col + " = '1'", col + " = '2'", col + " = '3'"}
	scope := func(sc store.PassScope) store.PassScope {
		sc.HouseholdMembers = map[string]string{"women": "scan_residents.sex = 'F'", "unused": "1 = 0"}
		return sc
	}
	pass := func(sc store.PassScope) map[string]string { return passValues(t, s, sc, filters, exprs) }
	none, two, three := "[true false false false]", "[false false true false]", "[false false false true]"
	want := map[string]string{id(401): two, id(402): two, id(403): two, id(404): three, id(405): none, id(406): none, id(407): none}
	want[id(408)], want[id(409)] = none, none // alone in their households
	if got := pass(scope(store.PassScope{})); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("household members: rows %v\nwant %v", got, want)
	}
	village := Resident(404).Village
	wantVillage := inVillage(res, want, village)
	if got := pass(scope(store.PassScope{Division: village})); fmt.Sprint(got) != fmt.Sprint(wantVillage) {
		t.Fatalf("household members in village %s: rows %v\nwant %v", village, got, wantVillage)
	}
	err := s.ScanPass(ctx, store.PassScope{}, filters, exprs, func(*store.ScanResident, []string, []bool) error { return nil })
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a pass reading %swomen without its predicate: %v, want ErrInvalid", store.HouseholdMembersPrefix, err)
	}
	ds, ok := s.(store.ScanDelta)
	if !ok {
		return
	}
	seq, err := ds.BeginScanTracking(ctx)
	must(t, err)
	set(403, "HA", "M") // now two women in HA
	must(t, s.ApplySnapshot(ctx, "district", res[403-401:404-401], "hm2"))
	got := pass(scope(store.PassScope{Delta: true, ChangedAfter: seq}))
	one := "[false true false false]"
	wantDelta := map[string]string{id(401): one, id(402): one, id(403): two, id(404): two}
	if fmt.Sprint(got) != fmt.Sprint(wantDelta) {
		t.Fatalf("household members in a delta after 403 changed: rows %v\nwant %v", got, wantDelta)
	}
}

// passValues runs a pass and returns each selected row's expression values (fmt.Sprint) by ID
// number.
func passValues(t *testing.T, s store.Store, scope store.PassScope, filters []store.ItemFilter, exprs []string) map[string]string {
	t.Helper()
	got := map[string]string{}
	must(t, s.ScanPass(t.Context(), scope, filters, exprs, func(r *store.ScanResident, _ []string, vals []bool) error {
		got[r.IDNumber] = fmt.Sprint(vals)
		return nil
	}))
	return got
}

// inVillage returns the entries of want (by ID number) whose resident in res lives in village.
func inVillage(res []store.Resident, want map[string]string, village string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if villageOf(res, k) == village {
			out[k] = v
		}
	}
	return out
}

// villageOf returns the village of the resident of res with ID number id.
func villageOf(res []store.Resident, id string) string {
	for _, r := range res {
		if r.IDNumber == id {
			return r.Village
		}
	}
	return ""
}
