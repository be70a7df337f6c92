package sync_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sanmian/connectors/district"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("database/sql.(*DB).connectionOpener"))
}

func countRows(t testing.TB, st *sqlite.Store) (int, map[string]int) {
	t.Helper()
	seen := map[string]int{}
	n, after := 0, ""
	for {
		rows, next, err := st.ScanResidents(t.Context(), store.ResidentQuery{After: after, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			seen[r.IDNumber]++
			n++
		}
		if next == "" {
			return n, seen
		}
		after = next
	}
}

func setup(t *testing.T, residents int, faults string) (*sim.Platforms, *district.Client, *sqlite.Store) {
	p, err := sim.Start(t.Context(), sim.Config{Residents: residents, Seed: 11, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	dc, err := district.New(district.Config{BaseURL: p.District.URL(), APIKey: p.Credentials.DistrictAPIKey,
		Resilience: resilience.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond, RetryAfterMax: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return p, dc, st
}

func TestSyncKilledMidwayResumesWithoutDuplicates(t *testing.T) {
	p, dc, st := setup(t, 2000, "")
	want := len(p.Data.Persons)

	ctx, cancel := context.WithCancel(t.Context())
	var pages int
	err := hubsync.District(ctx, dc, st, func(pr hubsync.Progress) {
		pages = pr.Pages
		if pr.Pages == 3 {
			cancel() // killed midway
		}
	}, hubsync.WithPageSize(250))
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: err = %v, want context.Canceled", err)
	}
	cur, err := st.SyncCursor(t.Context(), store.FeedDistrictResidents)
	if err != nil || cur == "" {
		t.Fatalf("cursor after kill = %q, %v", cur, err)
	}
	n, _ := countRows(t, st)
	if n != pages*250 || n >= want {
		t.Fatalf("after kill: %d rows from %d pages, want %d (< %d)", n, pages, pages*250, want)
	}

	var last hubsync.Progress
	if err := hubsync.District(t.Context(), dc, st, func(pr hubsync.Progress) { last = pr }, hubsync.WithPageSize(250)); err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.Rows != int64(want-n) {
		t.Errorf("resume applied %d rows (done %v), want %d", last.Rows, last.Done, want-n)
	}
	total, seen := countRows(t, st)
	if total != want || len(seen) != want {
		t.Fatalf("rows = %d (distinct %d), want %d", total, len(seen), want)
	}
	for _, per := range p.Data.Persons[:50] {
		if seen[per.ID] != 1 {
			t.Fatalf("resident missing or duplicated: %d", seen[per.ID])
		}
	}

	// A third run finds nothing new and changes nothing (idempotent).
	last = hubsync.Progress{}
	if err := hubsync.District(t.Context(), dc, st, func(pr hubsync.Progress) { last = pr }); err != nil {
		t.Fatal(err)
	}
	if last.Rows != 0 || !last.Done {
		t.Errorf("third run applied %d rows", last.Rows)
	}
	if total2, _ := countRows(t, st); total2 != want {
		t.Errorf("rows after third run = %d", total2)
	}

	// Re-applying from the beginning (cursor lost) leaves the same rows: upserts.
	if err := st.ApplySnapshot(t.Context(), "replay", nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := hubsync.District(t.Context(), dc, st, nil, hubsync.WithFeedName("replay")); err != nil {
		t.Fatal(err)
	}
	if total3, seen3 := countRows(t, st); total3 != want || len(seen3) != want {
		t.Errorf("rows after replay = %d", total3)
	}

	// Rows carry the district's data.
	per := p.Data.Persons[7]
	r, err := st.GetResident(t.Context(), per.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != per.Name || r.HouseholdID != p.Data.Households[per.Household].No || r.BirthDate != per.Birth.String() || r.Sex != string(per.Sex) {
		t.Errorf("row = %+v", r)
	}
	if !slices.Equal(r.Enrolled, per.EnrolledCodes()) && !(len(r.Enrolled) == 0 && len(per.EnrolledCodes()) == 0) {
		t.Errorf("enrolled = %v, want %v", r.Enrolled, per.EnrolledCodes())
	}
}

func TestSyncUnderFlakyFaults(t *testing.T) {
	p, dc, st := setup(t, 1500, sim.ProfileFlaky)
	if err := hubsync.District(t.Context(), dc, st, nil, hubsync.WithPageSize(100)); err != nil {
		t.Fatal(err)
	}
	if n, seen := countRows(t, st); n != len(p.Data.Persons) || len(seen) != n {
		t.Fatalf("rows = %d, want %d", n, len(p.Data.Persons))
	}
}

func TestIndexHouseholdMembers(t *testing.T) {
	p, dc, st := setup(t, 500, "")
	if err := hubsync.District(t.Context(), dc, st, nil); err != nil {
		t.Fatal(err)
	}
	ix := hubsync.Index{R: st}
	for _, h := range p.Data.Households[:20] {
		head := p.Data.Persons[h.Members[0]]
		no, members, ok, err := ix.HouseholdMembers(t.Context(), head.ID)
		if err != nil || !ok || no != h.No {
			t.Fatalf("HouseholdMembers = %q, %v, %v", no, ok, err)
		}
		var want []string
		for _, i := range h.Members {
			want = append(want, p.Data.Persons[i].ID)
		}
		slices.Sort(want)
		slices.Sort(members)
		if !slices.Equal(members, want) {
			t.Fatalf("members = %v, want %v", members, want)
		}
	}
	if _, _, ok, err := ix.HouseholdMembers(t.Context(), "110101199003074258"); ok || err != nil {
		t.Errorf("unknown resident: ok %v err %v", ok, err)
	}
}

// TestIncrementalSync: after a full sync, only changes recorded since are fetched; a delete
// takes the resident (with their enrolments) out of the snapshot and out of their household,
// a later upsert brings them back, and repeats of one person within a page end in the state
// of the last change.
func TestIncrementalSync(t *testing.T) {
	p, dc, st := setup(t, 300, "")
	if err := hubsync.District(t.Context(), dc, st, nil); err != nil {
		t.Fatal(err)
	}
	n := int64(len(p.Data.Persons))
	a := p.Data.Persons[3].ID
	// b lives with others, so their household shows whether the delete reached the index.
	var b, mate string
	for _, h := range p.Data.Households[2:] {
		if len(h.Members) > 1 {
			b, mate = p.Data.Persons[h.Members[1]].ID, p.Data.Persons[h.Members[0]].ID
			break
		}
	}
	if b == "" {
		t.Fatal("no household with two members")
	}
	ix := hubsync.Index{R: st}
	if _, members, _, err := ix.HouseholdMembers(t.Context(), mate); err != nil || !slices.Contains(members, b) {
		t.Fatalf("before the delete: members = %v, %v; want %s among them", members, err, b)
	}
	record := func(id, op string) {
		t.Helper()
		if _, err := p.RecordChange(id, op); err != nil {
			t.Fatal(err)
		}
	}
	sync := func() hubsync.Progress {
		t.Helper()
		p.District.ResetStats()
		var last hubsync.Progress
		if err := hubsync.District(t.Context(), dc, st, func(pr hubsync.Progress) { last = pr }); err != nil {
			t.Fatal(err)
		}
		if n := p.District.Stats().Requests; n != 1 {
			t.Errorf("incremental run made %d requests, want 1", n)
		}
		return last
	}

	record(a, "upsert")
	record(b, "delete")
	if last := sync(); last.Rows != 1 || last.Deletes != 1 || last.LastSeq != n+2 {
		t.Errorf("incremental run = %+v", last)
	}
	if r, err := st.GetResident(t.Context(), a); err != nil || r.UpdatedSeq != n+1 {
		t.Errorf("upserted row = %+v, %v", r, err)
	}
	if r, err := st.GetResident(t.Context(), b); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted resident = %+v, %v; want store.ErrNotFound", r, err)
	}
	if _, members, _, err := ix.HouseholdMembers(t.Context(), mate); err != nil || slices.Contains(members, b) {
		t.Errorf("after the delete: members = %v, %v; want %s gone", members, err, b)
	}

	// A later upsert brings the resident back.
	record(b, "upsert")
	if last := sync(); last.Rows != 1 || last.Deletes != 0 || last.LastSeq != n+3 {
		t.Errorf("re-upsert run = %+v", last)
	}
	if r, err := st.GetResident(t.Context(), b); err != nil || r.UpdatedSeq != n+3 {
		t.Errorf("re-upserted row = %+v, %v", r, err)
	}

	// One page: delete then upsert of c keeps c; upsert then delete of d removes d.
	var others []string
	for _, per := range p.Data.Persons {
		if per.ID != a && per.ID != b && per.ID != mate && len(others) < 2 {
			others = append(others, per.ID)
		}
	}
	c, d := others[0], others[1]
	record(c, "delete")
	record(c, "upsert")
	record(d, "upsert")
	record(d, "delete")
	if last := sync(); last.Rows != 1 || last.Deletes != 1 || last.LastSeq != n+7 {
		t.Errorf("same-page run = %+v", last)
	}
	if r, err := st.GetResident(t.Context(), c); err != nil || r.UpdatedSeq != n+5 {
		t.Errorf("deleted then upserted row = %+v, %v", r, err)
	}
	if r, err := st.GetResident(t.Context(), d); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("upserted then deleted resident = %+v, %v; want store.ErrNotFound", r, err)
	}
}
