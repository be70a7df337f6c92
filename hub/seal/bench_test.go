package seal

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"sanmian/hub/auth/jwk"
)

// BenchmarkVerifyPermit compares a full offline permit verification (compact JWS parsed, header
// and claims checked strictly, key looked up in the JWKS, Ed25519 signature, holder and
// validity) with the bare crypto/ed25519 check of the same signature, its floor.
//
//	go test -run '^$' -bench VerifyPermit ./hub/seal/
func BenchmarkVerifyPermit(b *testing.B) {
	clock := newTestClock()
	kr, _ := newTestKeyring(b, clock)
	if _, err := kr.EnsureOffice(b.Context(), townOffice); err != nil {
		b.Fatal(err)
	}
	tok, kid, err := kr.Seal(b.Context(), townOffice, sampleClaims(b, clock.Now()))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := kr.JWKS(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	keys, err := jwk.Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("seal.Verify", func(b *testing.B) {
		for b.Loop() {
			r, err := Verify(tok, keys, clock.Now())
			if err != nil || r.Status == StatusInvalid {
				b.Fatalf("%+v %v", r, err)
			}
		}
	})
	key, ok := keys.Lookup(kid)
	if !ok {
		b.Fatalf("kid %s not in the key set", kid)
	}
	pub := key.Public.(ed25519.PublicKey)
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(tok[:i])
	b.Run("bare_ed25519", func(b *testing.B) {
		for b.Loop() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("signature does not verify")
			}
		}
	})
}
