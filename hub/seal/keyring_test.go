package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sanmian/hub/auth/jwk"
)

func TestKidFormat(t *testing.T) {
	tests := []struct {
		kid    string
		office string
		ok     bool
	}{
		{"370114001000-2026-1", "370114001000", true},
		{"370114-2026-12", "370114", true},
		{"370114001000-2026-0", "", false},
		{"370114001000-2026-01", "", false},
		{"370114001000-26-1", "", false},
		{"37011400100-2026-1", "", false},
		{"demo-issuer-1", "", false},
		{"370114001000-2026-1-x", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.kid, func(t *testing.T) {
			office, ok := KidOffice(tt.kid)
			if ok != tt.ok || office != tt.office {
				t.Fatalf("KidOffice(%q) = %q, %v; want %q, %v", tt.kid, office, ok, tt.office, tt.ok)
			}
		})
	}
}

func TestRotationWithOverlap(t *testing.T) {
	clock := newTestClock()
	kr, _ := newTestKeyring(t, clock, WithRetiredOverlap(30*24*time.Hour))
	ctx := t.Context()

	kid1, err := kr.EnsureOffice(ctx, townOffice)
	if err != nil {
		t.Fatal(err)
	}
	if kid1 != "370114001000-2026-1" {
		t.Fatalf("first kid = %q", kid1)
	}
	if again, _ := kr.EnsureOffice(ctx, townOffice); again != kid1 {
		t.Fatalf("EnsureOffice made a second key %q", again)
	}
	oldPermit, kidUsed, err := kr.Seal(ctx, townOffice, sampleClaims(t, clock.Now()))
	if err != nil || kidUsed != kid1 {
		t.Fatalf("Seal: %v (kid %q)", err, kidUsed)
	}

	clock.Advance(24 * time.Hour)
	kid2, err := kr.Rotate(ctx, townOffice)
	if err != nil {
		t.Fatal(err)
	}
	if kid2 != "370114001000-2026-2" {
		t.Fatalf("rotated kid = %q", kid2)
	}
	_, kidUsed, err = kr.Seal(ctx, townOffice, sampleClaims(t, clock.Now()))
	if err != nil || kidUsed != kid2 {
		t.Fatalf("Seal after rotation used %q (%v), want %q", kidUsed, err, kid2)
	}
	set, err := kr.KeySet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Lookup(kid1); !ok {
		t.Fatal("retired key left the JWKS before its not_after")
	}
	if r, _ := Verify(oldPermit, set, clock.Now()); !r.Valid {
		t.Fatalf("permit sealed with the retired key no longer verifies: %+v", r)
	}

	clock.Advance(31 * 24 * time.Hour)
	set, _ = kr.KeySet(ctx)
	if _, ok := set.Lookup(kid1); ok {
		t.Fatal("retired key still in the JWKS after its not_after")
	}
	if _, ok := set.Lookup(kid2); !ok {
		t.Fatal("active key missing from the JWKS")
	}
	if r, _ := Verify(oldPermit, set, clock.Now()); r.Valid || r.Reason != ReasonUnknownKey {
		t.Fatalf("permit of an expired key: %+v", r)
	}

	// A compromised key leaves the JWKS at once.
	if _, err := kr.Rotate(ctx, townOffice); err != nil {
		t.Fatal(err)
	}
	if err := kr.RevokeKey(ctx, kid2); err != nil {
		t.Fatal(err)
	}
	set, _ = kr.KeySet(ctx)
	if _, ok := set.Lookup(kid2); ok {
		t.Fatal("revoked key still in the JWKS")
	}
	if err := kr.RevokeKey(ctx, "370114001000-2026-99"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("RevokeKey(unknown) = %v", err)
	}
}

func TestJWKSDocument(t *testing.T) {
	clock := newTestClock()
	kr, _ := newTestKeyring(t, clock)
	for _, o := range []string{"370114", townOffice, villageOffice} {
		if _, err := kr.EnsureOffice(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := kr.JWKS(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.Keys) != 3 {
		t.Fatalf("JWKS has %d keys, want 3: %s", len(parsed.Keys), doc)
	}
	for _, k := range parsed.Keys {
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["use"] != "sig" || k["alg"] != "EdDSA" || k["kid"] == "" {
			t.Fatalf("key %v lacks a required member", k)
		}
		if _, ok := k["d"]; ok {
			t.Fatal("JWKS contains a private key")
		}
		x, _ := base64.RawURLEncoding.DecodeString(k["x"].(string))
		if len(x) != ed25519.PublicKeySize {
			t.Fatalf("x of %d bytes", len(x))
		}
	}
}

func TestPrivateKeysEncryptedAtRest(t *testing.T) {
	clock := newTestClock()
	kr, store := newTestKeyring(t, clock)
	ctx := t.Context()
	kid, err := kr.EnsureOffice(ctx, townOffice)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(store.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(store.path)
	signerKid, priv, err := kr.signer(ctx, townOffice)
	if err != nil || signerKid != kid {
		t.Fatalf("signer: kid %q, %v; want %q", signerKid, err, kid)
	}
	seed := priv.Seed()
	for _, enc := range [][]byte{seed, []byte(base64.StdEncoding.EncodeToString(seed)), []byte(base64.RawURLEncoding.EncodeToString(seed))} {
		if bytes.Contains(raw, enc) {
			t.Fatal("private key seed stored in clear")
		}
	}

	// Another master key cannot use the keys.
	other, err := NewKeyring(store, testMaster(t, 99), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Seal(ctx, townOffice, sampleClaims(t, clock.Now())); !errors.Is(err, ErrKeyDecrypt) {
		t.Fatalf("Seal with the wrong master key: %v, want ErrKeyDecrypt", err)
	}

	// A blob moved to another record does not decrypt (AAD binds it).
	if _, err := kr.EnsureOffice(ctx, villageOffice); err != nil {
		t.Fatal(err)
	}
	recs, _ := store.List(ctx, "")
	fresh, _ := NewKeyring(store, testMaster(t, 1), WithClock(clock.Now))
	a, b := recs[0], recs[1]
	a.EncryptedPrivateKey = b.EncryptedPrivateKey
	if _, err := fresh.decrypt(a); !errors.Is(err, ErrKeyDecrypt) {
		t.Fatalf("swapped blob: %v, want ErrKeyDecrypt", err)
	}
	if _, err := fresh.decrypt(recs[0]); err != nil {
		t.Fatalf("own blob: %v", err)
	}
}

func TestFileKeyStoreConcurrentRotation(t *testing.T) {
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), DefaultKeysFile)
	var wg sync.WaitGroup
	kids := make([]string, 6)
	for i := range kids {
		wg.Go(func() {
			// Separate stores on one file, as separate processes would have.
			store, err := OpenFileKeyStore(path)
			if err != nil {
				t.Error(err)
				return
			}
			kr, err := NewKeyring(store, testMaster(t, 1), WithClock(clock.Now))
			if err != nil {
				t.Error(err)
				return
			}
			if kids[i], err = kr.Rotate(t.Context(), townOffice); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, k := range kids {
		if seen[k] {
			t.Fatalf("kid %q allocated twice", k)
		}
		seen[k] = true
	}
	store, _ := OpenFileKeyStore(path)
	recs, err := store.List(t.Context(), townOffice)
	if err != nil || len(recs) != len(kids) {
		t.Fatalf("store holds %d keys (%v), want %d", len(recs), err, len(kids))
	}
}

func TestMasterKey(t *testing.T) {
	dir := t.TempDir()
	m1, err := DemoMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DemoMasterKeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v mode %v", err, fi.Mode().Perm())
	}
	m2, err := DemoMasterKey(dir)
	if err != nil || !bytes.Equal(m1.secret, m2.secret) {
		t.Fatalf("second DemoMasterKey differs (%v)", err)
	}
	for _, s := range []string{
		"%v", "%s", "%+v", "%#v",
	} {
		out := fmt.Sprintf(s, m1)
		if bytes.Contains([]byte(out), []byte(base64.StdEncoding.EncodeToString(m1.secret)[:8])) {
			t.Fatalf("%s prints the secret: %s", s, out)
		}
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMasterKeyFile(path); !errors.Is(err, ErrMasterKey) {
		t.Fatalf("group-readable master key: %v", err)
	}
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"std_base64_32", base64.StdEncoding.EncodeToString(make([]byte, 32)), true},
		{"url_base64_48_newline", base64.RawURLEncoding.EncodeToString(make([]byte, 48)) + "\n", true},
		{"too_short", base64.StdEncoding.EncodeToString(make([]byte, 31)), false},
		{"not_base64", "correct horse battery staple correct horse", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMasterKey(tt.text)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrMasterKey)) {
				t.Fatalf("ParseMasterKey: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	t.Setenv(MasterKeyEnv, base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if _, err := (Config{}).MasterKey(); err != nil {
		t.Fatalf("master key from env: %v", err)
	}
	t.Setenv(MasterKeyEnv, "")
	if _, err := (Config{}).MasterKey(); !errors.Is(err, ErrMasterKey) {
		t.Fatalf("no master key: %v", err)
	}
}

func TestKeySetUsableByJWK(t *testing.T) {
	clock := newTestClock()
	kr, _ := newTestKeyring(t, clock)
	if _, err := kr.EnsureOffice(t.Context(), townOffice); err != nil {
		t.Fatal(err)
	}
	doc, _ := kr.JWKS(t.Context())
	if _, err := jwk.Parse(doc); err != nil {
		t.Fatalf("own JWKS does not parse: %v", err)
	}
}

func TestNewestKeyBeyondNineGenerations(t *testing.T) {
	clock := newTestClock() // frozen: every key has the same creation time
	kr, _ := newTestKeyring(t, clock)
	var last string
	for range 11 {
		var err error
		if last, err = kr.Rotate(t.Context(), townOffice); err != nil {
			t.Fatal(err)
		}
	}
	if last != townOffice+"-2026-11" {
		t.Fatalf("11th kid = %q", last)
	}
	_, kid, err := kr.Seal(t.Context(), townOffice, sampleClaims(t, clock.Now()))
	if err != nil || kid != last {
		t.Fatalf("Seal used %q (%v), want the newest %q", kid, err, last)
	}
}
