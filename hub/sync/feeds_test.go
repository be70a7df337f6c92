package sync_test

import (
	"path/filepath"
	"testing"

	"sanmian/connectors/sim"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

// feeds starts the simulated platforms with n residents and returns them with the three
// feed clients.
func feeds(tb testing.TB, n int, faults string) (*sim.Platforms, hubsync.Feeds) {
	return synctest.Feeds(tb, sim.Config{Residents: n, Seed: 11, Faults: faults})
}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "hub.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkSyncAll syncs the three feeds of a 100,000-resident district into a fresh SQLite
// file per iteration, in the hub's batches (DefaultBatchRows).
func BenchmarkSyncAll(b *testing.B) {
	_, f := feeds(b, 100_000, "")
	for b.Loop() {
		st := openSQLite(b)
		done := map[string]hubsync.Progress{}
		if err := hubsync.All(b.Context(), f, st, func(p hubsync.Progress) {
			if p.Done {
				done[p.Feed] = p
			}
		}, hubsync.WithBatchRows(hubsync.DefaultBatchRows)); err != nil {
			b.Fatal(err)
		}
		for name, p := range done {
			b.Logf("%s: %d rows in %v", name, p.Rows, p.Elapsed)
		}
	}
}
