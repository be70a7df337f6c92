package seal

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestVerifyOffline(t *testing.T) {
	// Sealed with the real clock: VerifyOffline checks at time.Now.
	store, err := OpenFileKeyStore(filepath.Join(t.TempDir(), DefaultKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := NewKeyring(store, testMaster(t, 1), WithCreateOnSeal())
	if err != nil {
		t.Fatal(err)
	}
	c := sampleClaims(t, nowTrunc())
	c.IssuedAt = nil
	c.ExpiresAt = nil
	tok, kid, err := kr.Seal(t.Context(), townOffice, c)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := kr.JWKS(t.Context())
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(doc)
	}))
	defer srv.Close()

	for _, src := range []string{path, srv.URL + "/.well-known/jwks.json"} {
		res, err := VerifyOffline(t.Context(), tok+"\n", src)
		if err != nil || !res.Valid || res.Kid != kid {
			t.Fatalf("VerifyOffline(%s) = %+v, %v", src, res, err)
		}
	}
	// Change one character inside the signature (not the last, whose low bits are padding).
	i := len(tok) - 10
	ch := byte('A')
	if tok[i] == 'A' {
		ch = 'B'
	}
	res, err := VerifyOffline(t.Context(), tok[:i]+string(ch)+tok[i+1:], path)
	if err != nil || res.Valid {
		t.Fatalf("tampered: %+v, %v", res, err)
	}
	for _, src := range []string{"", filepath.Join(t.TempDir(), "missing.json"), srv.URL + "/nope", "testdata-does-not-exist"} {
		if _, err := VerifyOffline(t.Context(), tok, src); !errors.Is(err, ErrJWKS) {
			t.Fatalf("VerifyOffline(%q) error = %v, want ErrJWKS", src, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA","kid":"k"}]}`), 0o644)
	if _, err := VerifyOffline(t.Context(), tok, bad); !errors.Is(err, ErrJWKS) {
		t.Fatalf("malformed JWKS: %v", err)
	}
}
