// Package sealtest is the conformance suite every seal.KeyStore passes:
// MemKeyStore here, the tests' FileKeyStore in package seal, and the SQLite and PostgreSQL
// stores in hub/store.
package sealtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"sanmian/hub/ident"
	"sanmian/hub/seal"
)

// RunKeyStoreSuite runs the KeyStore conformance tests. newStore returns
// a fresh, empty store for each subtest.
func RunKeyStoreSuite(t *testing.T, newStore func(t *testing.T) seal.KeyStore) {
	created := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	rec := func(kid, office string, status seal.KeyStatus) seal.KeyRecord {
		return seal.KeyRecord{
			Kid: kid, Office: office, Alg: "EdDSA",
			PublicKey:           bytes.Repeat([]byte{1}, 32),
			EncryptedPrivateKey: bytes.Repeat([]byte{2}, 61),
			Created:             created, Status: status,
		}
	}
	ctx := context.Background()

	t.Run("put_list_round_trip", func(t *testing.T) {
		s := newStore(t)
		want := rec("370114001000-2026-1", "370114001000", seal.KeyActive)
		if err := s.Put(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.List(ctx, "370114001000")
		if err != nil || len(got) != 1 {
			t.Fatalf("List = %v, %v", got, err)
		}
		g := got[0]
		if g.Kid != want.Kid || g.Office != want.Office || g.Alg != want.Alg || g.Status != want.Status ||
			!bytes.Equal(g.PublicKey, want.PublicKey) || !bytes.Equal(g.EncryptedPrivateKey, want.EncryptedPrivateKey) ||
			!g.Created.Equal(want.Created) || !g.NotAfter.IsZero() {
			t.Fatalf("round trip changed the record: %+v", g)
		}
	})

	t.Run("list_filters_by_office", func(t *testing.T) {
		s := newStore(t)
		for _, r := range []seal.KeyRecord{
			rec("370114001000-2026-1", "370114001000", seal.KeyActive),
			rec("370114001001-2026-1", "370114001001", seal.KeyActive),
			rec("370114-2026-1", "370114", seal.KeyActive),
		} {
			if err := s.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.List(ctx, "370114001001"); len(got) != 1 || got[0].Kid != "370114001001-2026-1" {
			t.Fatalf("List(village) = %v", got)
		}
		if got, _ := s.List(ctx, "370114"); len(got) != 1 {
			t.Fatalf("List(district) = %d keys; an office code must not match as a prefix", len(got))
		}
		if got, _ := s.List(ctx, ""); len(got) != 3 {
			t.Fatalf("List(all) = %d keys", len(got))
		}
		if got, err := s.List(ctx, "370114009000"); err != nil || len(got) != 0 {
			t.Fatalf("List(empty office) = %v, %v", got, err)
		}
	})

	t.Run("put_duplicate_kid", func(t *testing.T) {
		s := newStore(t)
		r := rec("370114001000-2026-1", "370114001000", seal.KeyActive)
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.PublicKey = bytes.Repeat([]byte{9}, 32)
		if err := s.Put(ctx, r); !errors.Is(err, seal.ErrKeyExists) {
			t.Fatalf("second Put = %v, want ErrKeyExists", err)
		}
		got, _ := s.List(ctx, "")
		if len(got) != 1 || got[0].PublicKey[0] != 1 {
			t.Fatal("Put overwrote an existing key")
		}
	})

	t.Run("set_status", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, rec("370114001000-2026-1", "370114001000", seal.KeyActive)); err != nil {
			t.Fatal(err)
		}
		notAfter := created.Add(30 * 24 * time.Hour)
		if err := s.SetStatus(ctx, "370114001000-2026-1", seal.KeyRetired, notAfter); err != nil {
			t.Fatal(err)
		}
		got, _ := s.List(ctx, "370114001000")
		if got[0].Status != seal.KeyRetired || !got[0].NotAfter.Equal(notAfter) {
			t.Fatalf("after SetStatus: %+v", got[0])
		}
		if err := s.SetStatus(ctx, "370114001000-2026-9", seal.KeyRetired, notAfter); !errors.Is(err, seal.ErrKeyNotFound) {
			t.Fatalf("SetStatus(unknown) = %v, want ErrKeyNotFound", err)
		}
	})

	t.Run("concurrent_put_one_winner", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = s.Put(ctx, rec("370114001000-2026-1", "370114001000", seal.KeyActive)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, seal.ErrKeyExists):
				t.Fatalf("concurrent Put: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d concurrent Puts of one kid succeeded, want 1", ok)
		}
	})

	t.Run("one_active_key_per_office", func(t *testing.T) {
		s := newStore(t)
		first := rec("370114001000-2026-1", "370114001000", seal.KeyActive)
		if err := s.Put(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, rec("370114001000-2026-2", "370114001000", seal.KeyActive)); !errors.Is(err, seal.ErrActiveKeyExists) {
			t.Fatalf("second active Put = %v, want ErrActiveKeyExists", err)
		}
		got, err := s.PutActive(ctx, rec("370114001000-2026-3", "370114001000", seal.KeyActive))
		if err != nil || got.Kid != first.Kid {
			t.Fatalf("PutActive with an active key = %+v, %v; want the existing key", got, err)
		}
		notAfter := created.Add(time.Hour)
		if err := s.Replace(ctx, rec("370114001000-2026-4", "370114001000", seal.KeyActive), notAfter); err != nil {
			t.Fatal(err)
		}
		if err := s.Replace(ctx, rec("370114001000-2026-4", "370114001000", seal.KeyActive), notAfter); !errors.Is(err, seal.ErrKeyExists) {
			t.Fatalf("Replace with a taken kid = %v, want ErrKeyExists", err)
		}
		if err := s.SetStatus(ctx, first.Kid, seal.KeyActive, time.Time{}); !errors.Is(err, seal.ErrActiveKeyExists) {
			t.Fatalf("reactivating a retired key beside the active one = %v, want ErrActiveKeyExists", err)
		}
		recs, err := s.List(ctx, "370114001000")
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]seal.KeyStatus{}
		for _, r := range recs {
			status[r.Kid] = r.Status
		}
		if len(status) != 2 || status[first.Kid] != seal.KeyRetired || status["370114001000-2026-4"] != seal.KeyActive {
			t.Fatalf("keys after Replace: %v", status)
		}
		if r := recs[slices.IndexFunc(recs, func(r seal.KeyRecord) bool { return r.Kid == first.Kid })]; !r.NotAfter.Equal(notAfter) {
			t.Fatalf("retired key not_after = %v, want %v", r.NotAfter, notAfter)
		}
		got, err = s.PutActive(ctx, rec("370114002000-2026-1", "370114002000", seal.KeyActive))
		if err != nil || got.Kid != "370114002000-2026-1" {
			t.Fatalf("PutActive on a new office = %+v, %v", got, err)
		}
	})

	t.Run("concurrent_rotate_one_active_key", func(t *testing.T) {
		s := newStore(t)
		m, err := seal.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
		if err != nil {
			t.Fatal(err)
		}
		const callers = 6
		kids := make([]string, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				kr, err := seal.NewKeyring(s, m)
				if err == nil {
					kids[i], err = kr.Rotate(ctx, "370114001000")
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		recs, err := s.List(ctx, "370114001000")
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, r := range recs {
			if r.Status == seal.KeyActive {
				active++
			}
		}
		if active != 1 || len(recs) != callers {
			t.Fatalf("%d keys, %d active after %d concurrent rotations; want %d, 1", len(recs), active, callers, callers)
		}
	})

	t.Run("concurrent_ensure_office_one_active_key", func(t *testing.T) {
		s := newStore(t)
		// Separate keyrings, as separate hub processes would have, ensuring the first key
		// of one office at the same moment.
		const callers = 12
		kids := make([]string, callers)
		concurrentKeyrings(t, s, callers, func(i int, kr *seal.Keyring) (err error) {
			kids[i], err = kr.EnsureOffice(ctx, "370114001000")
			return err
		})
		recs, err := s.List(ctx, "370114001000")
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, r := range recs {
			if r.Status == seal.KeyActive {
				active++
			}
		}
		if active != 1 {
			t.Fatalf("%d active keys for one office after %d concurrent EnsureOffice calls, want 1", active, callers)
		}
		for _, kid := range kids {
			if kid != kids[0] {
				t.Fatalf("EnsureOffice returned different kids: %v", kids)
			}
		}
	})

	t.Run("concurrent_first_keys_seal_with_the_stored_key", func(t *testing.T) {
		// Separate keyrings (separate hub processes) make an office's first key at the same
		// moment and seal at once: every caller counts the same generation, so every new key
		// has the same kid, and only one is stored. Each must seal with the stored key, not
		// with the one it generated and lost.
		s := newStore(t)
		id, err := ident.NewIDNumber("370114", time.Date(1940, 3, 15, 0, 0, 0, 0, time.UTC), 123)
		if err != nil {
			t.Fatal(err)
		}
		const callers = 12
		tokens := make([]string, callers)
		concurrentKeyrings(t, s, callers, func(i int, kr *seal.Keyring) (err error) {
			if _, err := kr.EnsureOffice(ctx, "370114001000"); err != nil {
				return err
			}
			tokens[i], _, err = kr.Seal(ctx, "370114001000", seal.PermitClaims{
				PermitID: fmt.Sprintf("pmt_%d", i), Item: "elderly_allowance", HolderIDNumber: id})
			return err
		})
		kr, err := seal.NewKeyring(s, testMasterKey(t))
		if err != nil {
			t.Fatal(err)
		}
		jwks, err := kr.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, tok := range tokens {
			res, err := seal.VerifyJWKS(tok, jwks, time.Now())
			if err != nil || !res.Valid {
				t.Errorf("caller %d: permit does not verify with the stored keys: %+v, %v", i, res, err)
			}
		}
	})

	t.Run("keyring_on_store", func(t *testing.T) {
		s := newStore(t)
		m, err := seal.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
		if err != nil {
			t.Fatal(err)
		}
		kr, err := seal.NewKeyring(s, m)
		if err != nil {
			t.Fatal(err)
		}
		first, err := kr.EnsureOffice(ctx, "370114001000")
		if err != nil {
			t.Fatal(err)
		}
		second, err := kr.Rotate(ctx, "370114001000")
		if err != nil {
			t.Fatal(err)
		}
		set, err := kr.KeySet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, kid := range []string{first, second} {
			if _, ok := set.Lookup(kid); !ok {
				t.Fatalf("%s missing from the key set", kid)
			}
		}
	})
}

// testMasterKey is the suite's key-encryption secret.
func testMasterKey(t *testing.T) seal.MasterKey {
	t.Helper()
	m, err := seal.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// concurrentKeyrings opens one keyring on s per caller, as separate hub processes would have,
// releases them together into call, and fails t on the first error.
func concurrentKeyrings(t *testing.T, s seal.KeyStore, callers int, call func(i int, kr *seal.Keyring) error) {
	t.Helper()
	m := testMasterKey(t)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			kr, err := seal.NewKeyring(s, m)
			if err != nil {
				errs[i] = err
				return
			}
			<-start
			errs[i] = call(i, kr)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
