package sqlite_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	"sanmian/hub/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, store.WithSubjectKey([]byte("test-subject-key")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func open(t testing.TB) *sqlite.Store {
	return openAt(t, filepath.Join(t.TempDir(), "hub.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestShared runs the cross-process cases with two stores (two writer connections) on one file.
func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "hub.db")
		return openAt(t, path), openAt(t, path)
	})
}

func TestOpenChoosesSQLite(t *testing.T) {
	s, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backend() != "sqlite" {
		t.Fatalf("backend = %s", s.Backend())
	}
	if _, err := sqlite.Open(t.Context(), ":memory:"); err == nil {
		t.Fatal("in-memory database accepted")
	}
}

// TestPragmas checks the settings the durability and integrity promises rest on.
func TestPragmas(t *testing.T) {
	db := open(t).SQLDB()
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

// TestConcurrentOpen opens one new file from several goroutines at once (as several hub
// processes starting together would): all succeed and the schema is migrated once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *sqlite.Store, n)
	for range n {
		go func() {
			s, err := sqlite.Open(t.Context(), path)
			errs <- err
			stores <- s
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
		if s := <-stores; s != nil {
			_ = s.Close()
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(t.Context(), &store.AuditEntry{ActorSub: "a", Action: store.AuditLookup}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	rep, err := s.VerifyAudit(t.Context(), nil)
	if err != nil || rep.Entries != 1 {
		t.Fatalf("after reopen: %+v, %v", rep, err)
	}
}

func BenchmarkApplySnapshot(b *testing.B)       { storetest.BenchmarkApplySnapshot(b, open(b)) }
func BenchmarkApplySnapshotUpdate(b *testing.B) { storetest.BenchmarkApplySnapshotUpdate(b, open(b)) }
func BenchmarkAuditAppend(b *testing.B)         { storetest.BenchmarkAuditAppend(b, open(b)) }
func BenchmarkCreateApplication(b *testing.B)   { storetest.BenchmarkCreateApplication(b, open(b)) }
func BenchmarkApplyFeeds(b *testing.B)          { storetest.BenchmarkApplyFeeds(b, open(b)) }

// indexes lists the secondary indexes of the synced tables.
func indexes(t *testing.T, s *sqlite.Store) []string {
	t.Helper()
	rows, err := s.SQLDB().QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('residents', 'resident_enrolments', 'resident_province', 'resident_city', 'resident_child_links') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// TestBulkLoad: a first load drops the synced tables' secondary indexes (but the one the
// province feed's link replacement reads) and relaxes synchronous; ending it, or reopening the file after a load that did not end, restores both.
// A store with synced rows, or one tracking changes for delta scans, loads with its indexes.
func TestBulkLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := openAt(t, path)
	want := indexes(t, s)
	if len(want) < 5 {
		t.Fatalf("indexes %v", want)
	}
	pragma := func(s *sqlite.Store) string {
		var v string
		if err := s.SQLDB().QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, end := range []bool{true, false} {
		ok, err := s.BeginBulkLoad(t.Context())
		if err != nil || !ok {
			t.Fatalf("first load: %v %v", ok, err)
		}
		if got := indexes(t, s); !slices.Equal(got, []string{"resident_child_links_origin"}) || pragma(s) != "1" {
			t.Fatalf("during the load: indexes %v, synchronous %s", got, pragma(s))
		}
		if end {
			if err := s.EndBulkLoad(t.Context()); err != nil {
				t.Fatal(err)
			}
		} else { // the process stops: the next open restores
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openAt(t, path)
		}
		if got := indexes(t, s); !slices.Equal(got, want) || pragma(s) != "2" {
			t.Fatalf("after the load (ended %v): indexes %v, want %v; synchronous %s", end, got, want, pragma(s))
		}
	}
	if err := s.ApplySnapshot(t.Context(), "district", storetest.Residents(1, 3), "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.BeginBulkLoad(t.Context()); err != nil || ok {
		t.Fatalf("load into synced tables: %v %v, want no bulk mode", ok, err)
	}
	fresh := openAt(t, filepath.Join(t.TempDir(), "hub.db"))
	if _, err := fresh.BeginScanTracking(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ok, err := fresh.BeginBulkLoad(t.Context()); err != nil || ok {
		t.Fatalf("load while tracking changes: %v %v, want no bulk mode", ok, err)
	}
}

// TestBulkLoadScanRows: the pages of a first load leave scan_residents to the load's end,
// which rebuilds it from the synced tables; so does the next open when the load did not end.
func TestBulkLoadScanRows(t *testing.T) {
	for _, end := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "hub.db")
		s := openAt(t, path)
		if ok, err := s.BeginBulkLoad(t.Context()); err != nil || !ok {
			t.Fatalf("first load: %v %v", ok, err)
		}
		if err := s.ApplySnapshot(t.Context(), "district", storetest.Residents(1, 3), "a"); err != nil {
			t.Fatal(err)
		}
		p := storetest.ProvinceFacts(2, false)
		p.Deceased, p.DeathDate = true, "2026-10-01"
		if err := s.ApplyProvinceFacts(t.Context(), store.FeedProvinceBackflow, []store.ProvinceFacts{p}, "p"); err != nil {
			t.Fatal(err)
		}
		if end {
			if err := s.EndBulkLoad(t.Context()); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openAt(t, path)
		}
		var ids []string
		err := s.EachScanResident(t.Context(), "", func(r *store.ScanResident, _ []string) error {
			ids = append(ids, r.IDNumber)
			if r.IDNumber == p.IDNumber && (!r.Deceased || r.DeceasedSource != "province") {
				t.Errorf("resident 2 after the load (ended %v): deceased %v (%q), want the province's death", end, r.Deceased, r.DeceasedSource)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 3 {
			t.Fatalf("after the load (ended %v): %d scan rows, want 3", end, len(ids))
		}
		// After the load every page keeps the rows current again.
		if err := s.ApplySnapshot(t.Context(), "district", []store.Resident{{IDNumber: ids[0], Deleted: true}}, "b"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetScanResident(t.Context(), ids[0]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("scan row of a resident deleted after the load: %v", err)
		}
	}
}
