package sync_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"sanmian/connectors/district"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
)

// BenchmarkFullDistrictSync syncs the whole synthetic district (1,075,784 residents) into a
// real SQLite file, killing the sync about halfway and resuming it, then checks the row count
// and that no resident is duplicated. It takes minutes, so it is a benchmark (one run,
// whatever b.N) rather than part of the unit tests:
//
//	go test -run '^$' -bench FullDistrictSync -benchtime 1x -timeout 30m -v ./hub/sync/
func BenchmarkFullDistrictSync(t *testing.B) {
	start := time.Now()
	p, err := sim.Start(t.Context(), sim.Config{Residents: synth.FullDistrictResidents, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Logf("simulators up with %d residents in %v", len(p.Data.Persons), time.Since(start))
	dc, err := district.New(district.Config{BaseURL: p.District.URL(), APIKey: p.Credentials.DistrictAPIKey,
		Resilience: resilience.Config{AttemptTimeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	path := filepath.Join(t.TempDir(), "hub.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	want := len(p.Data.Persons)
	ctx, cancel := context.WithCancel(t.Context())
	var killedAt hubsync.Progress
	err = hubsync.District(ctx, dc, st, func(pr hubsync.Progress) {
		if pr.Rows >= int64(want/2) && killedAt.Rows == 0 {
			killedAt = pr
			cancel() // killed midway
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	t.Logf("killed after %d rows, %d pages, %.0f rows/s", killedAt.Rows, killedAt.Pages, killedAt.RowsPerSecond)
	var last hubsync.Progress
	if err := hubsync.District(t.Context(), dc, st, func(pr hubsync.Progress) { last = pr }); err != nil {
		t.Fatal(err)
	}
	t.Logf("resumed: %d rows, %d pages in %v (%.0f rows/s)", last.Rows, last.Pages, last.Elapsed, last.RowsPerSecond)
	total, seen := countRows(t, st)
	if total != want || len(seen) != want {
		t.Fatalf("rows = %d (distinct %d), want %d", total, len(seen), want)
	}
	t.Logf("total %d rows, no duplicates; whole test %v", total, time.Since(start))
}
