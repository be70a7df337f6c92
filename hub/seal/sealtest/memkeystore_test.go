package sealtest_test

import (
	"testing"

	"sanmian/hub/seal"
	"sanmian/hub/seal/sealtest"
)

func TestMemKeyStoreConformance(t *testing.T) {
	sealtest.RunKeyStoreSuite(t, func(*testing.T) seal.KeyStore { return &sealtest.MemKeyStore{} })
}
