package seal_test

import (
	"path/filepath"
	"testing"

	"sanmian/hub/seal"
	"sanmian/hub/seal/sealtest"
)

func TestFileKeyStoreConformance(t *testing.T) {
	sealtest.RunKeyStoreSuite(t, func(t *testing.T) seal.KeyStore {
		s, err := seal.OpenFileKeyStore(filepath.Join(t.TempDir(), seal.DefaultKeysFile))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
