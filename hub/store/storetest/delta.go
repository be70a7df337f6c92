package storetest

import (
	"errors"
	"slices"
	"testing"

	"sanmian/hub/store"
)

// ids returns the ID numbers of Resident(i) for each i, sorted.
func ids(is ...int) []string {
	out := make([]string, 0, len(is))
	for _, i := range is {
		out = append(out, Resident(i).IDNumber)
	}
	slices.Sort(out)
	return out
}

// testScanChanges: nothing is marked before tracking starts; then each feed marks the
// residents it touches, their household members before and after (a move marks both
// households, a delete the household left) and the parents linked to them; the delta readers
// and the findings merge see exactly those.
func testScanChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.ApplySnapshot(ctx, "district", Residents(3, 9), "a")) // households H1 (3-5), H2 (6-8), H3 (9-11)
	changed := func(after int64, want []string) {
		t.Helper()
		got, err := s.ChangedSince(ctx, after)
		must(t, err)
		if !slices.Equal(got, want) {
			t.Fatalf("changed since %d = %v, want %v", after, got, want)
		}
	}
	if _, ok, err := s.ScanBaseline(ctx); err != nil || ok {
		t.Fatalf("baseline before any scan: ok %v, err %v", ok, err)
	}
	changed(-1, nil) // not tracked yet
	seq0, err := s.BeginScanTracking(ctx)
	must(t, err)
	must(t, s.SetScanBaseline(ctx, seq0))
	if b, ok, err := s.ScanBaseline(ctx); err != nil || !ok || b != seq0 {
		t.Fatalf("baseline = %d %v %v, want %d", b, ok, err, seq0)
	}
	next := func() int64 {
		t.Helper()
		seq, err := s.BeginScanTracking(ctx)
		must(t, err)
		return seq
	}

	// The province states the birth certificate of 20: the parents 21 and 22 change too.
	must(t, s.ApplyProvinceFacts(ctx, "province", []store.ProvinceFacts{ProvinceFacts(20, true)}, "p1"))
	changed(seq0, ids(20, 21, 22))
	seq1 := next()
	// A roll edit of 4 marks the household.
	r4 := Resident(4)
	r4.Dibao = !r4.Dibao
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{r4}, "b"))
	changed(seq1, ids(3, 4, 5))
	seq2 := next()
	// 7 moves from H2 into H3: both households.
	r7 := Resident(7)
	r7.HouseholdID = Resident(9).HouseholdID
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{r7}, "c"))
	changed(seq2, ids(6, 7, 8, 9, 10, 11))
	seq3 := next()
	// The city's record of the child 20 marks the parents the links name.
	must(t, s.ApplyCityEnrolments(ctx, "city", []store.CityEnrolment{CityEnrolment(20)}, "c1"))
	changed(seq3, ids(20, 21, 22))
	seq4 := next()
	// 10 leaves the roll: marked, with the household left behind (now 7, 9, 11).
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{{IDNumber: Resident(10).IDNumber, Deleted: true}}, "d"))
	changed(seq4, ids(7, 9, 10, 11))

	// of reads the residents named (by EachScanResidentOf): those on the roll in division,
	// with their households and children, wherever these live, as context.
	of := func(division string, named []string) (got, context []string) {
		t.Helper()
		must(t, s.EachScanResidentOf(ctx, division, named, func(r *store.ScanResident, _ []string, n bool) error {
			if n {
				got = append(got, r.IDNumber)
			} else {
				context = append(context, r.IDNumber)
			}
			return nil
		}))
		return got, context
	}
	// What a delta scan since seq2 reads: the residents marked (ChangedSince), with the rest
	// of their households as context.
	read := func(division string, since int64) (named, context []string) {
		t.Helper()
		marked, err := s.ChangedSince(ctx, since)
		must(t, err)
		return of(division, marked)
	}
	got, ctxRows := read("", seq2)
	if want := ids(6, 7, 8, 9, 11); !slices.Equal(got, want) || len(ctxRows) != 0 {
		t.Fatalf("changed rows %v (context %v), want %v", got, ctxRows, want)
	}
	// In 7's village: 7 alone is named; its household (9 and 11, changed too but living in
	// other villages) is its context.
	got, ctxRows = read(Resident(7).Village, seq2)
	if !slices.Equal(got, ids(7)) || !slices.Equal(ctxRows, ids(9, 11)) {
		t.Fatalf("changed rows in 7's village %v (context %v), want %v with its household %v", got, ctxRows, ids(7), ids(9, 11))
	}
	if _, ctxRows = read("", seq1); len(ctxRows) != 0 {
		t.Fatalf("context rows %v: every member of a changed household is marked", ctxRows)
	}
	f, _, err := s.FilterChangedScanResidents(ctx, "", "scan_residents.dibao = FALSE OR scan_residents.dibao = TRUE", seq3)
	must(t, err)
	if want := ids(7, 9, 11); !slices.Equal(f, want) {
		t.Fatalf("filtered changed = %v, want %v (20-22 are not on the roll)", f, want)
	}

	links, err := s.ChildLinksOf(ctx, ids(21, 22, 3))
	must(t, err)
	if len(links) != 2 || links[0].ChildID != Resident(20).IDNumber || links[1].ChildID != Resident(20).IDNumber {
		t.Fatalf("links of 21, 22 and 3: %+v, want the two birth-certificate links to 20", links)
	}
	hh, err := s.ChildLinksOf(ctx, ids(3))
	must(t, err)
	if len(hh) != 0 {
		t.Fatalf("links of 3 (a head whose household has no son or daughter): %+v", hh)
	}

	// The residents named by ID number (one not on the roll), with their households (H1; H3,
	// which 7 moved into and 10 left) as context; restricted to a division, the named rows in
	// it, with their context wherever it lives (H1's other members live in other villages).
	if got, context := of("", append(ids(4, 9), "370114999999999999")); !slices.Equal(got, ids(4, 9)) || !slices.Equal(context, ids(3, 5, 7, 11)) {
		t.Fatalf("rows of 4, 9 and one not on the roll: named %v, context %v; want %v and %v", got, context, ids(4, 9), ids(3, 5, 7, 11))
	}
	if Resident(3).Village == Resident(4).Village || Resident(9).Village == Resident(4).Village {
		t.Fatal("the fixture's residents 3 and 9 should live outside 4's village")
	}
	if got, context := of(Resident(4).Village, ids(4, 9)); !slices.Equal(got, ids(4)) || !slices.Equal(context, ids(3, 5)) {
		t.Fatalf("rows of 4 and 9 in 4's village: named %v, context %v; want %v with its household %v", got, context, ids(4), ids(3, 5))
	}
	if got, context := of("", nil); len(got)+len(context) != 0 {
		t.Fatalf("rows of no resident: %v %v", got, context)
	}

	// Findings of the replaced residents go; the others stay.
	v := Resident(9).Village
	finding := func(i int) store.ScanFinding {
		r := Resident(i)
		return store.ScanFinding{Kind: store.FindingCandidate, Item: "elderly_allowance", IDNumber: r.IDNumber, Village: r.Village, At: "2026-12-06"}
	}
	card := func(i int) store.ScanFinding {
		f := finding(i)
		f.Item = "senior_card"
		return f
	}
	must(t, s.ReplaceScanFindings(ctx, "elderly_allowance", "", []store.ScanFinding{finding(3), finding(9), finding(10)}))
	must(t, s.ReplaceScanFindings(ctx, "senior_card", "", []store.ScanFinding{card(3), card(9), card(10)}))
	must(t, s.ReplaceScanFindings(ctx, "funeral_subsidy", "", []store.ScanFinding{{Kind: store.FindingCandidate, Item: "funeral_subsidy",
		IDNumber: Resident(9).IDNumber, Village: v, At: "2026-12-06"}}))
	seqOf := func(item string, i int) (int64, string) {
		t.Helper()
		all, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate, Item: item}, store.Page{})
		must(t, err)
		for _, f := range all {
			if f.IDNumber == Resident(i).IDNumber {
				return f.Seq, f.At
			}
		}
		return 0, ""
	}
	card10, _ := seqOf("senior_card", 10)
	must(t, s.ReplaceScanFindingsOf(ctx, []string{"elderly_allowance", "senior_card"}, "", ids(9, 10, 11), []store.ScanFinding{finding(11), card(10)}))
	// A finding equal to the one it replaces keeps its row, the next day's with the new date;
	// a changed one is a new row.
	if seq, _ := seqOf("senior_card", 10); seq != card10 || seq == 0 {
		t.Fatalf("an unchanged finding's seq went from %d to %d", card10, seq)
	}
	later := card(10)
	later.At = "2026-12-07"
	must(t, s.ReplaceScanFindingsOf(ctx, []string{"senior_card"}, "", ids(10), []store.ScanFinding{later}))
	if seq, at := seqOf("senior_card", 10); seq != card10 || at != "2026-12-07" {
		t.Fatalf("the next day's unchanged finding: seq %d, date %s; want %d, 2026-12-07", seq, at, card10)
	}
	later.Reasons = []string{"年满60周岁"}
	must(t, s.ReplaceScanFindingsOf(ctx, []string{"senior_card"}, "", ids(10), []store.ScanFinding{later}))
	if seq, _ := seqOf("senior_card", 10); seq <= card10 {
		t.Fatalf("a changed finding kept seq %d (was %d)", seq, card10)
	}
	for _, bad := range [][]store.ScanFinding{{finding(3)}, {card(10), {Kind: store.FindingCandidate, Item: "funeral_subsidy", IDNumber: Resident(9).IDNumber, Village: v, At: "2026-12-06"}}} {
		err = s.ReplaceScanFindingsOf(ctx, []string{"elderly_allowance", "senior_card"}, "", ids(9, 10), bad)
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("a finding of a resident or an item not replaced: %v, want ErrInvalid", err)
		}
	}
	if err := s.ReplaceScanFindingsOf(ctx, nil, "", ids(9), nil); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no items: %v, want ErrInvalid", err)
	}
	all, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate}, store.Page{})
	must(t, err)
	var left []string
	for _, f := range all {
		left = append(left, f.Item+":"+f.IDNumber)
	}
	slices.Sort(left)
	want := []string{"elderly_allowance:" + Resident(3).IDNumber, "elderly_allowance:" + Resident(11).IDNumber,
		"funeral_subsidy:" + Resident(9).IDNumber, "senior_card:" + Resident(10).IDNumber, "senior_card:" + Resident(3).IDNumber}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("findings after the merge %v, want %v (village %s)", left, want, v)
	}
}
