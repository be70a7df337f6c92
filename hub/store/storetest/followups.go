package storetest

import (
	"errors"
	"testing"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/store"
)

// testFollowUps: the contact log of worklist candidates and the resolutions of alerts, as the
// worklist and alert views read them, kept across a rescan, and rolled back with their
// transaction.
func testFollowUps(t *testing.T, s store.Store) {
	ctx := t.Context()
	const v1, v2 = "370114001201", "370114001202"
	must(t, s.ReplaceScanFindings(ctx, "elderly_allowance", "", []store.ScanFinding{
		finding(store.FindingCandidate, "elderly_allowance", "A", v1),
		finding(store.FindingCandidate, "elderly_allowance", "B", v2),
		finding(store.FindingAlert, "elderly_allowance", "D", v1),
		finding(store.FindingAlert, "elderly_allowance", "E", v2),
	}))
	all, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate}, store.Page{})
	must(t, err)
	if len(all) != 2 || all[0].Contact != nil {
		t.Fatalf("candidates before any contact: %+v", all)
	}
	a := all[0]

	// The log: appended, newest first, the latest entry on the candidate.
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	first := &store.Contact{Item: a.Item, IDNumber: a.IDNumber, Village: a.Village, Status: store.ContactUnreachable, Note: "电话未接通", ActorSub: "counter-1", ActorRole: "counter", At: t0}
	must(t, s.AddContact(ctx, first))
	second := &store.Contact{Item: a.Item, IDNumber: a.IDNumber, Village: a.Village, Status: store.ContactContacted, Note: "已上门告知", ActorSub: "counter-1", ActorRole: "counter"}
	must(t, s.AddContact(ctx, second))
	if first.Seq == 0 || second.Seq <= first.Seq || second.At.IsZero() {
		t.Fatalf("seq/at not set: %+v %+v", first, second)
	}
	log, err := s.ListContacts(ctx, a.Item, a.IDNumber)
	must(t, err)
	if len(log) != 2 || log[0].Status != store.ContactContacted || log[1].Status != store.ContactUnreachable ||
		log[1].Note != "电话未接通" || !log[1].At.Equal(t0) || log[1].ActorSub != "counter-1" || log[1].Village != v1 {
		t.Fatalf("log read back %+v", log)
	}
	if other, err := s.ListContacts(ctx, "senior_card", a.IDNumber); err != nil || other == nil || len(other) != 0 {
		t.Fatalf("another item's log: %v %v", other, err)
	}
	got, err := s.GetScanFinding(ctx, a.Seq)
	must(t, err)
	if got.Contact == nil || got.Contact.Status != store.ContactContacted || got.Contact.Seq != second.Seq || got.IDNumber != "A" {
		t.Fatalf("finding's latest contact: %+v", got.Contact)
	}
	page, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate}, store.Page{})
	must(t, err)
	if page[0].Contact == nil || page[0].Contact.Status != store.ContactContacted || page[1].Contact != nil {
		t.Fatalf("listed contacts: %+v / %+v", page[0].Contact, page[1].Contact)
	}
	for _, bad := range []store.Contact{
		{Item: a.Item, IDNumber: a.IDNumber, Village: a.Village, Status: "called"},
		{Item: a.Item, IDNumber: "", Village: a.Village, Status: store.ContactApplied},
		{Item: "", IDNumber: a.IDNumber, Village: a.Village, Status: store.ContactApplied},
		{Item: a.Item, IDNumber: a.IDNumber, Village: "", Status: store.ContactApplied},
	} {
		wantErr(t, s.AddContact(ctx, &bad), store.ErrInvalid)
	}

	// A rollback leaves no contact and no resolution.
	boom := errors.New("boom")
	err = s.Tx(ctx, func(tx store.Txn) error {
		must(t, tx.AddContact(ctx, &store.Contact{Item: a.Item, IDNumber: a.IDNumber, Village: a.Village, Status: store.ContactApplied}))
		must(t, tx.ResolveAlert(ctx, &store.AlertResolution{Item: "elderly_allowance", IDNumber: "D", Village: v1, Note: "x"}))
		return boom
	})
	wantErr(t, err, boom)
	if log, _ := s.ListContacts(ctx, a.Item, a.IDNumber); len(log) != 2 {
		t.Fatalf("rolled-back contact kept: %+v", log)
	}

	// Alerts: resolved once, filtered by resolution.
	alerts, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert, Resolution: store.ResolutionOpen}, store.Page{})
	must(t, err)
	if len(alerts) != 2 || alerts[0].Resolution != nil {
		t.Fatalf("open alerts before resolving: %+v", alerts)
	}
	res := &store.AlertResolution{Item: "elderly_allowance", IDNumber: "D", Village: v1, Note: "已核实：已停发", ActorSub: "auditor-1", ActorRole: "auditor"}
	must(t, s.ResolveAlert(ctx, res))
	wantErr(t, s.ResolveAlert(ctx, &store.AlertResolution{Item: "elderly_allowance", IDNumber: "D", Village: v1, Note: "again"}), store.ErrConflict)
	wantErr(t, s.ResolveAlert(ctx, &store.AlertResolution{Item: "elderly_allowance", IDNumber: "D"}), store.ErrInvalid)
	ids := func(res string) string {
		return join(findingIDs(t, s, store.FindingFilter{Kind: store.FindingAlert, Resolution: res}, 1))
	}
	if got := ids(store.ResolutionResolved); got != "a:elderly_allowance:D" {
		t.Fatalf("resolved alerts %q", got)
	}
	if got := ids(store.ResolutionOpen); got != "a:elderly_allowance:E" {
		t.Fatalf("open alerts %q", got)
	}
	if got := ids(store.ResolutionAny); got != "a:elderly_allowance:D a:elderly_allowance:E" {
		t.Fatalf("all alerts %q", got)
	}

	// A rescan that finds the same keeps the finding (its Seq), the next day's with the new
	// date; one that finds it changed replaces it (new Seq, the old one gone). The log and
	// the resolution stay with the resident.
	again := finding(store.FindingCandidate, "elderly_allowance", "A", v1)
	again.At = "2026-12-07"
	must(t, s.ReplaceScanFindings(ctx, "elderly_allowance", "", []store.ScanFinding{again, finding(store.FindingAlert, "elderly_allowance", "D", v1)}))
	if got, err := s.GetScanFinding(ctx, a.Seq); err != nil || got.IDNumber != "A" || got.At != "2026-12-07" {
		t.Fatalf("an unchanged finding over a rescan: %+v %v, want seq %d kept with the new date", got, err, a.Seq)
	}
	again.Reasons = []string{"年满80周岁"}
	must(t, s.ReplaceScanFindings(ctx, "elderly_allowance", "", []store.ScanFinding{again, finding(store.FindingAlert, "elderly_allowance", "D", v1)}))
	_, err = s.GetScanFinding(ctx, a.Seq)
	wantErr(t, err, store.ErrNotFound)
	cands, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate}, store.Page{})
	must(t, err)
	if len(cands) != 1 || cands[0].Contact == nil || cands[0].Contact.Status != store.ContactContacted {
		t.Fatalf("contact lost over a rescan: %+v", cands)
	}
	alerts, _, err = s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert}, store.Page{})
	must(t, err)
	if len(alerts) != 1 || alerts[0].Resolution == nil || alerts[0].Resolution.Note != "已核实：已停发" || alerts[0].Resolution.ActorSub != "auditor-1" || alerts[0].Resolution.At.IsZero() {
		t.Fatalf("resolution lost over a rescan: %+v", alerts)
	}

	// A resolution filter on candidates, or an unknown one, is invalid.
	_, _, err = s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate, Resolution: store.ResolutionOpen}, store.Page{})
	wantErr(t, err, store.ErrInvalid)
	_, _, err = s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert, Resolution: "closed"}, store.Page{})
	wantErr(t, err, store.ErrInvalid)
}

// testProactiveStats: proactive coverage per (village, item, month in China Standard Time)
// from the contact log: reached, applied, and applied with an approved application, each
// resident counted once per group, within the division and months asked for.
func testProactiveStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	const va, vb, item = "370114001201", "370114002201", "elderly_allowance"
	// 2026-01-31 20:00 UTC is 2026-02-01 04:00 in China: February.
	feb := time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC)
	jan := feb.Add(-24 * time.Hour)
	add := func(village, id, status string, at time.Time) {
		t.Helper()
		must(t, s.AddContact(ctx, &store.Contact{Item: item, IDNumber: id, Village: village, Status: status, ActorSub: "c", ActorRole: "counter", At: at}))
	}
	add(va, "A", store.ContactUnreachable, feb)
	add(va, "A", store.ContactContacted, feb.Add(time.Hour))
	add(va, "A", store.ContactApplied, feb.Add(2*time.Hour)) // approved below
	add(va, "B", store.ContactDeclined, feb)
	add(va, "C", store.ContactUnreachable, feb)
	add(va, "D", store.ContactApplied, feb) // application still in review
	add(va, "E", store.ContactContacted, jan)
	add(vb, "F", store.ContactApplied, feb)
	add(va, "G", store.ContactContacted, feb.AddDate(0, 3, 0)) // outside the months asked for
	approved := newApp(va, item, store.StatusApproved)
	approved.ApplicantID = "A"
	must(t, s.CreateApplication(ctx, approved))
	inReview := newApp(va, item, store.StatusInReview)
	inReview.ApplicantID = "D"
	must(t, s.CreateApplication(ctx, inReview))

	from := time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)
	q := store.StatsQuery{From: from, To: from.AddDate(0, 2, 0)}
	got, err := s.ProactiveStats(ctx, q)
	must(t, err)
	rows := map[string]store.ProactiveStat{}
	for _, r := range got {
		rows[r.Village+"/"+r.Month] = r
	}
	want := map[string][3]int64{va + "/2026-02": {3, 2, 1}, va + "/2026-01": {1, 0, 0}, vb + "/2026-02": {1, 1, 0}}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %v", got, want)
	}
	for k, w := range want {
		r := rows[k]
		if r.Item != item || [3]int64{r.Contacted, r.Applied, r.Enrolled} != w {
			t.Errorf("%s: %+v, want contacted/applied/enrolled %v", k, r, w)
		}
	}
	q.DivisionPrefix = "370114002"
	got, err = s.ProactiveStats(ctx, q)
	must(t, err)
	if len(got) != 1 || got[0].Village != vb {
		t.Fatalf("town filter: %+v", got)
	}
	_, err = s.ProactiveStats(ctx, store.StatsQuery{})
	wantErr(t, err, store.ErrInvalid)
}
