package app

import (
	"path/filepath"
	"testing"

	"sanmian/hub/seal"
	"sanmian/hub/seal/sealtest"
	"sanmian/hub/store/sqlite"
	"sanmian/hub/store/storetest"
)

// TestStoreKeyStoreConformance runs the sealing-key store suite against the hub store on
// both backends.
func TestStoreKeyStoreConformance(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		sealtest.RunKeyStoreSuite(t, func(t *testing.T) seal.KeyStore {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return storeKeyStore{s}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		sealtest.RunKeyStoreSuite(t, func(t *testing.T) seal.KeyStore {
			return storeKeyStore{storetest.OpenPostgres(t)}
		})
	})
}
