package postgres_test

import (
	"testing"

	"sanmian/hub/store/storetest"
)

// TestFirstLoadGathersStatistics: a first load ends with the planner's statistics of the
// synced tables (autovacuum never analyzes a partitioned table itself, and analyzes the
// partitions only later), so does the next sync when the first stopped before its end, and
// the store's connections run without JIT compilation.
func TestFirstLoadGathersStatistics(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	db := s.SQLDB()
	parentStats := func() int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'residents' AND inherited`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first, err := s.BeginBulkLoad(ctx)
	if err != nil || !first {
		t.Fatalf("BeginBulkLoad on empty tables = %v, %v; want a first load", first, err)
	}
	if err := s.ApplySnapshot(ctx, "district", storetest.Residents(1, 300), "c"); err != nil {
		t.Fatal(err)
	}
	if n := parentStats(); n != 0 {
		t.Fatalf("statistics of the partitioned roll before the load ended: %d columns", n)
	}
	// A first load that stopped before its end: the next sync ends with the statistics.
	if again, err := s.BeginBulkLoad(ctx); err != nil || !again {
		t.Fatalf("BeginBulkLoad after a load that did not end = %v, %v; want the statistics gathered at the end", again, err)
	}
	if err := s.EndBulkLoad(ctx); err != nil {
		t.Fatal(err)
	}
	if n := parentStats(); n == 0 {
		t.Fatal("no statistics of the partitioned roll after a first load")
	}
	if again, err := s.BeginBulkLoad(ctx); err != nil || again {
		t.Fatalf("BeginBulkLoad with rows synced = %v, %v; want no first load", again, err)
	}
	var jit string
	if err := db.QueryRowContext(ctx, `SHOW jit`).Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Fatalf("jit = %q, want off", jit)
	}
}
