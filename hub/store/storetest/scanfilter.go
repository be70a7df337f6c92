package storetest

import (
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
