package sqlite_test

import (
	"path/filepath"
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
