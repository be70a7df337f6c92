package jwk

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// RFC 8037 appendix A.2 public key.
const rfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    int
		wantErr error
	}{
		{"rfc8037_ed25519", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a","use":"sig","alg":"EdDSA"}]}`, 1, nil},
		{"ed25519_without_alg_and_use", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a"}]}`, 1, nil},
		{"empty_set", `{"keys":[]}`, 0, nil},
		{"rsa_skipped", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"}]}`, 0, nil},
		{"oct_skipped", `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}`, 0, nil},
		{"x25519_skipped", `{"keys":[{"kty":"OKP","crv":"X25519","x":"` + rfc8037X + `","kid":"x"}]}`, 0, nil},
		{"not_json", `keys`, 0, ErrMalformed},
		{"no_keys_member", `{}`, 0, ErrMalformed},
		{"keys_not_array", `{"keys":{}}`, 0, ErrMalformed},
		{"trailing_data", `{"keys":[]} {}`, 0, ErrMalformed},
		{"kty_not_string", `{"keys":[{"kty":1}]}`, 0, ErrMalformed},
		{"missing_kid", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `"}]}`, 0, ErrInvalidKey},
		{"duplicate_kid", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a"},{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a"}]}`, 0, ErrInvalidKey},
		{"private_member", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","kid":"a"}]}`, 0, ErrInvalidKey},
		{"alg_mismatch", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a","alg":"ES256"}]}`, 0, ErrInvalidKey},
		{"use_enc", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a","use":"enc"}]}`, 0, ErrInvalidKey},
		{"short_x", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"a"}]}`, 0, ErrInvalidKey},
		// jwx decodes base64url leniently: padding and non-zero trailing bits read as the
		// same 32 bytes.
		{"padded_x_read", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `=","kid":"a"}]}`, 1, nil},
		{"non_canonical_x_read", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X[:42] + `p","kid":"a"}]}`, 1, nil},
		{"x_not_base64", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"!!!!","kid":"a"}]}`, 0, ErrInvalidKey},
		{"ec_missing_y", `{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","kid":"e"}]}`, 0, ErrInvalidKey},
		{"p384_skipped", `{"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA","kid":"e"}]}`, 0, nil},
		{"lone_key_not_a_set", `{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a"}`, 0, ErrMalformed},
		{"ec_point_off_curve", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 42) + `E","kid":"e"}]}`, 0, ErrInvalidKey},
		{"too_large", `{"keys":[` + strings.Repeat(" ", MaxSetSize) + `]}`, 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Parse([]byte(tt.doc))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if set.Len() != tt.want {
				t.Fatalf("Len = %d, want %d", set.Len(), tt.want)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := NewKey("ed-1", edPub)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := NewKey("ec-1", &ecPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := set.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var members struct{ Keys []map[string]string }
	if err := json.Unmarshal(doc, &members); err != nil || len(members.Keys) != 2 {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	for i, want := range []map[string]string{
		{"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "use": "sig", "alg": "EdDSA"},
		{"kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "alg": "ES256"},
	} {
		for m, v := range want {
			if members.Keys[i][m] != v {
				t.Fatalf("key %d: %s = %q, want %q in %s", i, m, members.Keys[i][m], v, doc)
			}
		}
	}
	back, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(Marshal): %v", err)
	}
	got1, ok := back.Lookup("ed-1")
	if !ok || !edPub.Equal(got1.Public) || got1.Alg != AlgEdDSA {
		t.Fatalf("ed-1 did not round-trip")
	}
	got2, ok := back.Lookup("ec-1")
	if !ok || !ecPriv.PublicKey.Equal(got2.Public) || got2.Alg != AlgES256 {
		t.Fatalf("ec-1 did not round-trip")
	}
	if _, ok := back.Lookup("missing"); ok {
		t.Fatal("Lookup found a missing kid")
	}
}

func TestNewKeyRefusals(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kid  string
		key  any
		want error
	}{
		{"empty_kid", "", ed25519.PublicKey(make([]byte, 32)), ErrInvalidKey},
		{"p384", "k", &p384.PublicKey, ErrUnsupportedKey},
		{"hmac_secret", "k", []byte("secret"), ErrUnsupportedKey},
		{"short_ed25519", "k", ed25519.PublicKey(make([]byte, 31)), ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewKey(tt.kid, tt.key); !errors.Is(err, tt.want) {
				t.Fatalf("NewKey error = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `","kid":"a","use":"sig","alg":"EdDSA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"e"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AA","kid":"h"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse(data)
		if err != nil {
			return
		}
		// Anything accepted must write back and parse to the same kids and keys.
		doc, err := set.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed set: %v", err)
		}
		back, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse(Marshal(set)): %v", err)
		}
		if back.Len() != set.Len() {
			t.Fatalf("round trip changed the key count")
		}
		for _, k := range set.Keys() {
			b, ok := back.Lookup(k.Kid)
			if !ok || b.Alg != k.Alg {
				t.Fatalf("round trip lost kid %q", k.Kid)
			}
			type equaler interface{ Equal(crypto.PublicKey) bool }
			if !k.Public.(equaler).Equal(b.Public) {
				t.Fatalf("round trip changed key %q", k.Kid)
			}
		}
	})
}
