package postgres_test

import (
	"testing"

	"go.uber.org/goleak"

	"sanmian/hub/store"
	"sanmian/hub/store/postgres"
	"sanmian/hub/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testDSN(t testing.TB) string { return storetest.PostgresDSN(t) }

func freshSchema(t testing.TB, dsn string) string { return storetest.FreshSchema(t, dsn) }

func openIn(t testing.TB, dsn, schema string) *postgres.Store {
	return storetest.OpenPostgresIn(t, dsn, schema)
}

func open(t testing.TB) *postgres.Store { return storetest.OpenPostgres(t) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestShared runs the cross-process cases with two stores (two pools, as two hub replicas
// would have) on one schema.
func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := testDSN(t)
		schema := freshSchema(t, dsn)
		return openIn(t, dsn, schema), openIn(t, dsn, schema)
	})
}

func TestOpenChoosesPostgres(t *testing.T) {
	dsn := testDSN(t)
	s, err := store.Open(t.Context(), dsn, store.WithSchema(freshSchema(t, dsn)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backend() != "postgres" {
		t.Fatalf("backend = %s", s.Backend())
	}
}

func BenchmarkApplySnapshot(b *testing.B)       { storetest.BenchmarkApplySnapshot(b, open(b)) }
func BenchmarkApplySnapshotUpdate(b *testing.B) { storetest.BenchmarkApplySnapshotUpdate(b, open(b)) }
func BenchmarkAuditAppend(b *testing.B)         { storetest.BenchmarkAuditAppend(b, open(b)) }
func BenchmarkCreateApplication(b *testing.B)   { storetest.BenchmarkCreateApplication(b, open(b)) }
func BenchmarkApplyFeeds(b *testing.B)          { storetest.BenchmarkApplyFeeds(b, open(b)) }
