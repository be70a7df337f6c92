package scan

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/policy"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

// TestVerifyFindsDifferences: verification passes on a scan's own results and fails, naming
// the resident (masked) and the item, once a worklist candidate is dropped from them and an
// alert invented: the check can fail.
func TestVerifyFindsDifferences(t *testing.T) {
	ctx := t.Context()
	_, feeds := synctest.Feeds(t, sim.Config{Residents: 800, Seed: 3})
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := hubsync.All(ctx, feeds, st, nil); err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Engine: eng, Store: st}
	o := Options{At: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC), Dialect: "sqlite", Verify: true}
	rep, err := r.Run(ctx, o)
	if err != nil || !rep.Verified {
		t.Fatalf("verify of the scan's own results: %v, verified %v, %d differences", err, rep.Verified, len(rep.Differences))
	}

	// Two compiled items outside the cross checks (which rewrite alerts after verification:
	// a household's double replaces its members' alerts), on a report of their own.
	var picked []ItemResult
	for _, it := range rep.Items {
		if it.Evaluated == "sql" && it.Conflicts == 0 && it.Doubles == 0 && len(it.Worklist) > 0 && len(picked) < 2 {
			picked = append(picked, it)
		}
	}
	rep = &Report{Items: picked}
	var cand, alert *ItemResult
	if len(picked) == 2 {
		cand, alert = &rep.Items[0], &rep.Items[1]
	}
	if cand == nil || alert == nil {
		t.Fatal("the district has no two items with worklist candidates to tamper with")
	}
	dropped := cand.Worklist[0]
	cand.Worklist = cand.Worklist[1:]
	invented := alert.Worklist[0] // a candidate is not enrolled: an alert on it is false
	alert.AlertList = append(alert.AlertList, invented)

	d, err := load(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	err = r.verify(ctx, o, d, rep, func(string, ...any) {})
	if !errors.Is(err, ErrDifferences) || rep.Verified {
		t.Fatalf("verify after tampering: %v, verified %v", err, rep.Verified)
	}
	want := map[Difference]bool{
		{Item: cand.Item, ID: dropped.ID, Scan: "not a candidate", Decision: "eligible"}:                   true,
		{Item: alert.Item + " (supervision)", ID: invented.ID, Scan: "alert", Decision: "not on the roll"}: true,
	}
	got := map[Difference]bool{}
	for _, df := range rep.Differences {
		got[df] = true
	}
	if len(rep.Differences) != len(want) || len(got) != len(want) {
		t.Fatalf("differences %+v, want %v", rep.Differences, want)
	}
	for df := range want {
		if !got[df] {
			t.Fatalf("differences %+v, want %v", rep.Differences, want)
		}
	}
	if dropped.ID == dropped.full || len(dropped.ID) != len(dropped.full) {
		t.Fatalf("difference names %q, not a masked ID number", dropped.ID)
	}
}
