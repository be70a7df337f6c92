package sync_test

import (
	"context"
	"errors"
	"testing"

	"sanmian/hub/store"
	hubsync "sanmian/hub/sync"
)

// TestSyncBatchesPages: with WithBatchRows pages are applied together (one progress report
// and one cursor per batch); a sync stopped after the first batch keeps exactly that batch
// and resumes after it without duplicates.
func TestSyncBatchesPages(t *testing.T) {
	p, dc, st := setup(t, 2000, "")
	want := len(p.Data.Persons)
	ctx, cancel := context.WithCancel(t.Context())
	var first hubsync.Progress
	err := hubsync.District(ctx, dc, st, func(pr hubsync.Progress) {
		if first.Pages == 0 {
			first = pr
		}
		cancel()
	}, hubsync.WithPageSize(250), hubsync.WithBatchRows(600))
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if first.Pages != 3 || first.Rows != 750 {
		t.Fatalf("first batch: %+v, want 3 pages of 250 rows", first)
	}
	if n, _ := countRows(t, st); n != 750 {
		t.Fatalf("%d rows after the first batch, want 750", n)
	}
	var reports []hubsync.Progress
	if err := hubsync.District(t.Context(), dc, st, func(pr hubsync.Progress) { reports = append(reports, pr) },
		hubsync.WithPageSize(250), hubsync.WithBatchRows(600)); err != nil {
		t.Fatal(err)
	}
	last := reports[len(reports)-1]
	if !last.Done || last.Rows != int64(want-750) || len(reports) != 2 || last.Pages != 5 {
		t.Fatalf("resume: %d reports, last %+v; want 2 batches (3 and 2 pages), %d rows", len(reports), last, want-750)
	}
	total, seen := countRows(t, st)
	if total != want || len(seen) != want {
		t.Fatalf("rows = %d (distinct %d), want %d", total, len(seen), want)
	}
	if c, err := st.SyncCursor(t.Context(), store.FeedDistrictResidents); err != nil || c == "" {
		t.Fatalf("cursor %q, %v", c, err)
	}
	if err := hubsync.District(t.Context(), dc, st, nil, hubsync.WithBatchRows(-1)); !errors.Is(err, hubsync.ErrInvalidOption) {
		t.Fatalf("negative batch: %v, want ErrInvalidOption", err)
	}
}
