package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"sanmian/hub/store"
	"sanmian/hub/store/postgres"
)

// PostgresDSN returns SANMIAN_TEST_POSTGRES; without it the test fails when CI=true and
// skips elsewhere.
func PostgresDSN(t testing.TB) string {
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

// FreshSchema returns a new random schema name, dropped (with everything in it) at cleanup,
// so parallel packages and reruns never share tables.
func FreshSchema(t testing.TB, dsn string) string {
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

// OpenPostgresIn opens the store in schema, closed at cleanup.
func OpenPostgresIn(t testing.TB, dsn, schema string, opts ...store.Option) *postgres.Store {
	t.Helper()
	opts = append([]store.Option{store.WithSchema(schema), store.WithSubjectKey([]byte("test-subject-key"))}, opts...)
	s, err := postgres.Open(t.Context(), dsn, opts...)
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

// OpenPostgres opens a store in a fresh schema of the test PostgreSQL.
func OpenPostgres(t testing.TB, opts ...store.Option) *postgres.Store {
	t.Helper()
	dsn := PostgresDSN(t)
	return OpenPostgresIn(t, dsn, FreshSchema(t, dsn), opts...)
}
