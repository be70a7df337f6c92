package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"sanmian/hub/store"
	"sanmian/hub/store/postgres"
	"sanmian/hub/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testDSN returns SANMIAN_TEST_POSTGRES; without it the test fails under CI and skips locally.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("SANMIAN_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SANMIAN_TEST_POSTGRES is not set (required when CI=true)")
		}
		t.Skip("SANMIAN_TEST_POSTGRES is not set")
	}
	return dsn
}

// freshSchema returns a new random schema name, dropped (with everything in it) at cleanup,
// so parallel packages and reruns never share tables.
func freshSchema(t testing.TB, dsn string) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "sanmian_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background() // t.Context() is already canceled during cleanup
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func openIn(t testing.TB, dsn, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, store.WithSchema(schema), store.WithSubjectKey([]byte("test-subject-key")))
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

func open(t testing.TB) *postgres.Store {
	dsn := testDSN(t)
	return openIn(t, dsn, freshSchema(t, dsn))
}

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
