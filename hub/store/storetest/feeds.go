package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"sanmian/hub/store"
)

// ProvinceFacts returns a deterministic province record for Resident(i), with a birth
// certificate naming Resident(i+1) and Resident(i+2) as parents when withLinks.
func ProvinceFacts(i int, withLinks bool) store.ProvinceFacts {
	id := Resident(i).IDNumber
	f := store.ProvinceFacts{
		IDNumber: id, HukouType: []string{"agricultural", "non_agricultural"}[i%2],
		HukouVillage: fmt.Sprintf("370114%03d%03d", 1+i%18, 200+i%30), UpdatedSeq: int64(i),
	}
	if i%3 == 0 {
		f.Deceased, f.DeathDate = true, "2025-03-01"
	}
	if i%2 == 0 {
		f.DisabilityNumber, f.DisabilityCategory, f.DisabilityGrade = id+"41", "physical", 1+i%4
		f.DisabilityValidUntil, f.DisabilityStatus = "2030-01-01", "valid"
	}
	f.OnlyChildHonour = i%5 == 0
	if withLinks {
		f.Links = []store.ChildLink{
			{ParentID: Resident(i + 1).IDNumber, ChildID: id, Source: store.LinkBirthCertificate},
			{ParentID: Resident(i + 2).IDNumber, ChildID: id, Source: store.LinkBirthCertificate},
		}
	}
	return f
}

// CityEnrolment returns a deterministic city record for Resident(i).
func CityEnrolment(i int) store.CityEnrolment {
	c := store.CityEnrolment{IDNumber: Resident(i).IDNumber, Pension: "enrolled", PensionSince: "2015-07-01",
		Medical: "enrolled", MedicalYear: 2026, Employment: "not_in_labour_force", UpdatedSeq: int64(i)}
	if i%2 == 0 {
		c.Pension, c.PensionMonthly = "receiving", 188.5
	}
	if i%3 == 0 {
		c.Employment, c.UnemployedSince, c.EmploymentDifficulty = "unemployed_registered", "2026-02-01", true
	}
	return c
}

func sortLinks(ls []store.ChildLink) []store.ChildLink {
	out := slices.Clone(ls)
	slices.SortFunc(out, func(a, b store.ChildLink) int {
		return cmpStrings(a.Source+a.ParentID+a.ChildID, b.Source+b.ParentID+b.ChildID)
	})
	return out
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func wantProvince(t *testing.T, s store.Store, want store.ProvinceFacts) {
	t.Helper()
	got, err := s.GetProvinceFacts(t.Context(), want.IDNumber)
	must(t, err)
	want.Links = sortLinks(want.Links)
	got.Links = sortLinks(got.Links)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("province facts = %+v, want %+v", got, want)
	}
}

func wantCursor(t *testing.T, s store.Store, feed, want string) {
	t.Helper()
	c, err := s.SyncCursor(t.Context(), feed)
	must(t, err)
	if c != want {
		t.Fatalf("cursor of %s = %q, want %q", feed, c, want)
	}
}

func testProvinceFacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	feed := store.FeedProvinceBackflow
	rows := []store.ProvinceFacts{ProvinceFacts(1, true), ProvinceFacts(2, false), ProvinceFacts(6, true)}
	for range 2 { // replaying a batch leaves the same state
		must(t, s.ApplyProvinceFacts(ctx, feed, rows, "p1"))
	}
	for _, r := range rows {
		wantProvince(t, s, r)
	}
	wantCursor(t, s, feed, "p1")
	c, err := s.CountFeeds(ctx)
	must(t, err)
	if c.Province != 3 || c.ChildLinks != 4 {
		t.Fatalf("counts = %+v, want 3 province rows and 4 links", c)
	}

	// A repeated ID number in one batch: the last row wins, and its links replace the old.
	upd := ProvinceFacts(1, false)
	upd.Deceased, upd.DeathDate, upd.UpdatedSeq = true, "2026-10-01", 50
	upd.Links = []store.ChildLink{{ParentID: Resident(9).IDNumber, ChildID: upd.IDNumber, Source: store.LinkBirthCertificate}}
	stale := ProvinceFacts(1, true)
	stale.HukouType = "stale"
	must(t, s.ApplyProvinceFacts(ctx, feed, []store.ProvinceFacts{stale, upd}, "p2"))
	wantProvince(t, s, upd)
	wantCursor(t, s, feed, "p2")

	// Deletes remove the row and the links it stated; deleting an absent one is no error;
	// an upsert after a delete in the same batch brings the row back.
	back := ProvinceFacts(2, false)
	must(t, s.ApplyProvinceFacts(ctx, feed, []store.ProvinceFacts{
		{IDNumber: rows[2].IDNumber, Deleted: true},
		{IDNumber: Resident(404).IDNumber, Deleted: true},
		{IDNumber: back.IDNumber, Deleted: true}, back,
	}, "p3"))
	if _, err := s.GetProvinceFacts(ctx, rows[2].IDNumber); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted province facts: %v", err)
	}
	wantProvince(t, s, back)
	c, err = s.CountFeeds(ctx)
	must(t, err)
	if c.Province != 2 || c.ChildLinks != 1 {
		t.Fatalf("counts after deletes = %+v, want 2 province rows and 1 link", c)
	}
	wantCursor(t, s, feed, "p3")
}

func testCityEnrolments(t *testing.T, s store.Store) {
	ctx := t.Context()
	feed := store.FeedCityEnrolments
	rows := []store.CityEnrolment{CityEnrolment(1), CityEnrolment(2), CityEnrolment(3)}
	for range 2 {
		must(t, s.ApplyCityEnrolments(ctx, feed, rows, "c1"))
	}
	for _, r := range rows {
		got, err := s.GetCityEnrolment(ctx, r.IDNumber)
		must(t, err)
		if got != r {
			t.Fatalf("city record = %+v, want %+v", got, r)
		}
	}
	upd := CityEnrolment(2)
	upd.Pension, upd.PensionMonthly, upd.UpdatedSeq = "suspended", 0, 77
	must(t, s.ApplyCityEnrolments(ctx, feed, []store.CityEnrolment{CityEnrolment(2), upd, {IDNumber: rows[0].IDNumber, Deleted: true}}, "c2"))
	got, err := s.GetCityEnrolment(ctx, upd.IDNumber)
	must(t, err)
	if got != upd {
		t.Fatalf("updated city record = %+v, want %+v", got, upd)
	}
	if _, err := s.GetCityEnrolment(ctx, rows[0].IDNumber); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted city record: %v", err)
	}
	wantCursor(t, s, feed, "c2")
}

func testResidentMovesTown(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := Resident(3)
	r.Enrolled = []string{"senior_card"}
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{r, Resident(4)}, "a"))
	moved := r
	moved.Village, moved.UpdatedSeq = "370114101203", 10 // another town
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{moved}, "b"))
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{moved}, "b")) // replay
	got, err := s.GetResident(ctx, r.IDNumber)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(moved) {
		t.Fatalf("moved resident = %+v, want %+v", got, moved)
	}
	rows, _, err := s.ScanResidents(ctx, store.ResidentQuery{})
	must(t, err)
	if len(rows) != 2 {
		t.Fatalf("%d rows after a move between towns, want 2", len(rows))
	}
	sr, err := s.GetScanResident(ctx, r.IDNumber)
	must(t, err)
	if sr.Town != "370114101" {
		t.Fatalf("town = %q, want 370114101", sr.Town)
	}
	// Deleting the resident removes their enrolments too.
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{{IDNumber: r.IDNumber, Deleted: true}}, "c"))
	again := Resident(3)
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{again}, "d"))
	got, err = s.GetResident(ctx, r.IDNumber)
	must(t, err)
	if len(got.Enrolled) != 0 {
		t.Fatalf("enrolments survived a delete: %v", got.Enrolled)
	}
}

func testScanView(t *testing.T, s store.Store) {
	ctx := t.Context()
	res := Residents(1, 6)
	res[2].Deceased = true // resident 3: the village roll records the death too
	res[4].Deceased = true // resident 5: only the village roll
	must(t, s.ApplySnapshot(ctx, "district", res, "d"))
	p1, p3 := ProvinceFacts(1, false), ProvinceFacts(3, false)
	p1.HukouType = "non_agricultural"
	must(t, s.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, []store.ProvinceFacts{p1, p3, ProvinceFacts(99, false)}, "p"))
	must(t, s.ApplyCityEnrolments(ctx, store.FeedCityEnrolments, []store.CityEnrolment{CityEnrolment(2)}, "c"))

	for _, tc := range []struct {
		name           string
		i              int
		deceased       bool
		source         string
		hukou          string
		province, city bool
	}{
		{"province_only_death_and_hukou", 1, false, "", "non_agricultural", true, false},
		{"city_record_joined", 2, false, "", res[1].HukouType, false, true},
		{"death_known_to_both", 3, true, "both", p3.HukouType, true, false},
		{"death_known_to_village_only", 5, true, "district", res[4].HukouType, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.GetScanResident(ctx, Resident(tc.i).IDNumber)
			must(t, err)
			if got.Deceased != tc.deceased || got.DeceasedSource != tc.source || got.HukouType != tc.hukou ||
				got.ProvinceSynced != tc.province || got.CitySynced != tc.city {
				t.Fatalf("scan row = deceased %v (%q), hukou %q, synced %v/%v; want %v (%q), %q, %v/%v", got.Deceased,
					got.DeceasedSource, got.HukouType, got.ProvinceSynced, got.CitySynced, tc.deceased, tc.source, tc.hukou, tc.province, tc.city)
			}
			if got.Town != res[tc.i-1].Village[:9] || got.Village != res[tc.i-1].Village || got.BirthDate != res[tc.i-1].BirthDate {
				t.Fatalf("scan row roll fields = %+v", got.Resident)
			}
		})
	}
	got, err := s.GetScanResident(ctx, Resident(2).IDNumber)
	must(t, err)
	wantC := CityEnrolment(2)
	wantC.UpdatedSeq = 0
	if got.City != wantC {
		t.Fatalf("city part = %+v", got.City)
	}
	got, err = s.GetScanResident(ctx, Resident(1).IDNumber)
	must(t, err)
	wantP := p1
	wantP.Deceased, wantP.UpdatedSeq, wantP.HukouType, wantP.HukouVillage = false, 0, "", ""
	if got.Province.DisabilityNumber != wantP.DisabilityNumber || got.Province.OnlyChildHonour != wantP.OnlyChildHonour {
		t.Fatalf("province part = %+v, want %+v", got.Province, wantP)
	}
	// Province facts of someone not on the roll are kept but make no scan row.
	if _, err := s.GetScanResident(ctx, Resident(99).IDNumber); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("scan row of a resident not on the roll: %v", err)
	}

	// The rows follow every feed, in any order: a death the province records later, a city
	// record deleted, the province's record of someone who reaches the roll afterwards, a
	// change of rolls, a resident leaving the roll.
	d2 := ProvinceFacts(2, false)
	d2.Deceased, d2.DeathDate = true, "2026-11-30"
	must(t, s.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, []store.ProvinceFacts{d2, ProvinceFacts(7, false)}, "p2"))
	must(t, s.ApplyCityEnrolments(ctx, store.FeedCityEnrolments, []store.CityEnrolment{{IDNumber: Resident(2).IDNumber, Deleted: true}}, "c2"))
	got, err = s.GetScanResident(ctx, Resident(2).IDNumber)
	must(t, err)
	if !got.Deceased || got.DeceasedSource != "province" || got.Province.DeathDate != "2026-11-30" || got.CitySynced {
		t.Fatalf("after the province's death record and the city's delete: deceased %v (%q, %q), city synced %v",
			got.Deceased, got.DeceasedSource, got.Province.DeathDate, got.CitySynced)
	}
	r6 := Resident(6)
	r6.Enrolled = []string{"senior_card", "elderly_allowance"}
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{Resident(7), r6, {IDNumber: Resident(4).IDNumber, Deleted: true}}, "e"))
	if got, err = s.GetScanResident(ctx, Resident(7).IDNumber); err != nil || !got.ProvinceSynced {
		t.Fatalf("resident 7, whose province record came first: province synced %v, %v", got.ProvinceSynced, err)
	}
	if _, err := s.GetScanResident(ctx, Resident(4).IDNumber); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("scan row of a resident who left the roll: %v", err)
	}
	var rolls []string
	must(t, s.EachScanResident(ctx, r6.Village, func(r *store.ScanResident, enrolled []string) error {
		if r.IDNumber == r6.IDNumber {
			rolls = enrolled
		}
		return nil
	}))
	if !slices.Equal(rolls, []string{"elderly_allowance", "senior_card"}) {
		t.Fatalf("rolls of resident 6 after the roll changed: %v", rolls)
	}
}

func testChildLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	head, spouse, son, grandpa := Resident(30), Resident(31), Resident(32), Resident(33)
	for _, r := range []*store.Resident{&head, &spouse, &son, &grandpa} {
		r.HouseholdID = "HLINK"
	}
	head.Relation, spouse.Relation, son.Relation, grandpa.Relation = "head", "spouse", "son", "father"
	other := Resident(34) // a daughter in another household
	other.Relation, other.HouseholdID = "daughter", "HOTHER"
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{head, spouse, son, grandpa, other}, "d"))
	birth := store.ProvinceFacts{IDNumber: son.IDNumber, Links: []store.ChildLink{
		{ParentID: spouse.IDNumber, ChildID: son.IDNumber, Source: store.LinkBirthCertificate},
		{ParentID: head.IDNumber, ChildID: son.IDNumber, Source: store.LinkBirthCertificate},
	}}
	honour := store.ProvinceFacts{IDNumber: spouse.IDNumber, OnlyChildHonour: true, Links: []store.ChildLink{
		{ParentID: spouse.IDNumber, ChildID: son.IDNumber, Source: store.LinkOnlyChildHonour},
	}}
	must(t, s.ApplyProvinceFacts(ctx, store.FeedProvinceBackflow, []store.ProvinceFacts{birth, honour}, "p"))

	for _, tc := range []struct {
		name   string
		parent string
		want   []store.ChildLink
	}{
		{"head_birth_certificate_and_household", head.IDNumber, []store.ChildLink{
			{ParentID: head.IDNumber, ChildID: son.IDNumber, Source: store.LinkBirthCertificate},
			{ParentID: head.IDNumber, ChildID: son.IDNumber, Source: store.LinkHousehold},
		}},
		{"spouse_three_sources", spouse.IDNumber, []store.ChildLink{
			{ParentID: spouse.IDNumber, ChildID: son.IDNumber, Source: store.LinkBirthCertificate},
			{ParentID: spouse.IDNumber, ChildID: son.IDNumber, Source: store.LinkHousehold},
			{ParentID: spouse.IDNumber, ChildID: son.IDNumber, Source: store.LinkOnlyChildHonour},
		}},
		{"heads_father_from_household", grandpa.IDNumber, []store.ChildLink{
			{ParentID: grandpa.IDNumber, ChildID: head.IDNumber, Source: store.LinkHousehold},
		}},
		{"no_children", son.IDNumber, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ChildrenOf(ctx, tc.parent)
			must(t, err)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("children = %v, want %v", got, tc.want)
			}
		})
	}
}
