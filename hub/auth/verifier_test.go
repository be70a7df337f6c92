package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/auth/jwk"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// fixture is a verifier trusting two issuers: the demo issuer (EdDSA, static
// keys) and "dept-idp" (ES256, JWKS file) — plus the keys to forge with.
type fixture struct {
	demo    *Issuer
	demoKey ed25519.PrivateKey
	ecKey   *ecdsa.PrivateKey
	ecKid   string
	v       *Verifier
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := NewIssuer(DemoIssuerName, DemoKeyID, edKey, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.NewKey("dept-2026-1", &ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := jwk.NewSet(k)
	doc, err := set.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dept-jwks.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Config{Issuers: []TrustedIssuer{
		demo.Trusted(),
		{Name: "dept-idp", Algorithms: []string{"ES256"}, JWKSFile: path},
	}}, WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{demo: demo, demoKey: edKey, ecKey: ecKey, ecKid: "dept-2026-1", v: v}
}

// claims returns valid caller claims for iss, for tests to alter.
func claims(iss string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": iss, "sub": "counter-0001", "aud": Audience,
		"iat": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix(),
		"role": RoleCounter, "jurisdiction": "370114001001", "scope": "applications:write",
	}
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, c jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// wantReason pins the refusal reason where another check could otherwise
// refuse the token by accident.
var wantReason = map[string]string{
	"alg_none":                       reasonSignature,
	"alg_none_with_signature":        reasonSignature,
	"hs256_public_key_raw_as_secret": reasonSignature,
	"hs256_public_key_pem_as_secret": reasonSignature,
	"hs256_jwks_as_secret":           reasonSignature,
	"es256_to_eddsa_pinned_issuer":   reasonSignature,
	"expired":                        reasonExpired,
	"wrong_audience":                 reasonAudience,
	"unknown_kid":                    reasonUnknownKey,
	"unknown_issuer":                 reasonUnknownIssuer,
	"kid_missing":                    reasonMissingKid,
	"crit_header":                    reasonCrit,
	"iat_in_future":                  reasonFutureIat,
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	pub := f.demoKey.Public().(ed25519.PublicKey)
	jwksDoc, _ := f.demo.JWKS()
	pkix, _ := x509.MarshalPKIXPublicKey(pub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	_, otherEd, _ := ed25519.GenerateKey(rand.Reader)
	demoClaims := claims(DemoIssuerName)
	noneToken := seg(map[string]string{"alg": "none", "typ": "JWT", "kid": DemoKeyID}) + "." + seg(demoClaims) + "."
	valid := sign(t, jwt.SigningMethodEdDSA, DemoKeyID, demoClaims, f.demoKey)
	parts := strings.Split(valid, ".")

	tests := []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"valid_eddsa_demo_issuer", valid, nil},
		{"valid_es256_jwks_file_issuer", sign(t, jwt.SigningMethodES256, f.ecKid, claims("dept-idp"), f.ecKey), nil},
		{"valid_expired_within_leeway", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "exp", testNow.Add(-20*time.Second).Unix()), f.demoKey), nil},
		{"valid_scope_as_array", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "scope", []string{"a", "b"}), f.demoKey), nil},
		{"valid_aud_array", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "aud", []string{"other", Audience}), f.demoKey), nil},

		{"alg_none", noneToken, ErrTokenInvalid},
		{"alg_none_with_signature", noneToken + parts[2], ErrTokenInvalid},
		{"hs256_public_key_raw_as_secret", sign(t, jwt.SigningMethodHS256, DemoKeyID, demoClaims, []byte(pub)), ErrTokenInvalid},
		{"hs256_public_key_pem_as_secret", sign(t, jwt.SigningMethodHS256, DemoKeyID, demoClaims, pubPEM), ErrTokenInvalid},
		{"hs256_jwks_as_secret", sign(t, jwt.SigningMethodHS256, DemoKeyID, demoClaims, jwksDoc), ErrTokenInvalid},
		{"es256_to_eddsa_pinned_issuer", sign(t, jwt.SigningMethodES256, DemoKeyID, demoClaims, f.ecKey), ErrTokenInvalid},
		{"eddsa_to_es256_pinned_issuer", sign(t, jwt.SigningMethodEdDSA, f.ecKid, claims("dept-idp"), f.demoKey), ErrTokenInvalid},
		{"expired", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "exp", testNow.Add(-time.Minute).Unix()), f.demoKey), ErrTokenExpired},
		{"exp_missing", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "exp", nil), f.demoKey), ErrTokenInvalid},
		{"iat_in_future", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "iat", testNow.Add(time.Hour).Unix()), f.demoKey), ErrTokenInvalid},
		{"nbf_in_future", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "nbf", testNow.Add(time.Hour).Unix()), f.demoKey), ErrTokenInvalid},
		{"wrong_audience", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "aud", "another-service"), f.demoKey), ErrTokenInvalid},
		{"audience_missing", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "aud", nil), f.demoKey), ErrTokenInvalid},
		{"unknown_kid", sign(t, jwt.SigningMethodEdDSA, "demo-issuer-2", demoClaims, f.demoKey), ErrUnknownKey},
		{"kid_missing", sign(t, jwt.SigningMethodEdDSA, "", demoClaims, f.demoKey), ErrTokenInvalid},
		{"kid_of_other_issuer", sign(t, jwt.SigningMethodES256, f.ecKid, demoClaims, f.ecKey), ErrTokenInvalid},
		{"unknown_issuer", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "iss", "evil-idp"), f.demoKey), ErrUnknownIssuer},
		{"issuer_missing", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "iss", nil), f.demoKey), ErrTokenInvalid},
		{"signed_by_other_key", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, demoClaims, otherEd), ErrTokenInvalid},
		{"payload_swapped", parts[0] + "." + seg(with(demoClaims, "role", RoleAdmin)) + "." + parts[2], ErrTokenInvalid},
		{"signature_padded", valid + "=", ErrTokenInvalid},
		{"crit_header", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, demoClaims)
			tok.Header["kid"] = DemoKeyID
			tok.Header["crit"] = []string{"exp"}
			s, _ := tok.SignedString(f.demoKey)
			return s
		}(), ErrTokenInvalid},
		{"role_unknown", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "role", "superuser"), f.demoKey), ErrInvalidCaller},
		{"role_missing", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "role", nil), f.demoKey), ErrInvalidCaller},
		{"counter_without_jurisdiction", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "jurisdiction", nil), f.demoKey), ErrInvalidCaller},
		{"jurisdiction_malformed", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "jurisdiction", "37011"), f.demoKey), ErrInvalidCaller},
		{"scope_wrong_type", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "scope", 7), f.demoKey), ErrTokenInvalid},
		{"sub_missing", sign(t, jwt.SigningMethodEdDSA, DemoKeyID, with(demoClaims, "sub", nil), f.demoKey), ErrTokenInvalid},
		{"empty", "", ErrTokenInvalid},
		{"two_segments", parts[0] + "." + parts[1], ErrTokenInvalid},
		{"too_long", valid + strings.Repeat("A", MaxTokenSize), ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := f.v.Verify(t.Context(), tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify refused a valid token: %v", err)
				}
				if c.Subject != "counter-0001" || c.Role != RoleCounter || c.Jurisdiction != "370114001001" {
					t.Fatalf("caller = %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token, want %v", tt.want)
			}
			if want, ok := wantReason[tt.name]; ok && err.Error() != "auth: token invalid: "+want {
				t.Fatalf("refused for %q, want reason %q", err, want)
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("Verify error = %v, want %v (and ErrTokenInvalid)", err, tt.want)
			}
			msg := err.Error()
			for _, secret := range []string{"counter-0001", "370114001001", "applications:write"} {
				if strings.Contains(msg, secret) {
					t.Fatalf("error %q echoes a claim value", msg)
				}
			}
			for _, p := range strings.Split(tt.token, ".") {
				if len(p) > 8 && strings.Contains(msg, p) {
					t.Fatalf("error %q echoes the token", msg)
				}
			}
		})
	}
}

func TestMintVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	in := Caller{Subject: "dept-civil-affairs", Role: RoleDepartment, Scope: []string{"elderly_allowance", "senior_card"}, TokenID: "t-1"}
	tok, err := f.demo.Mint(in, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Issuer != DemoIssuerName || got.Subject != in.Subject || got.Role != in.Role || got.TokenID != "t-1" ||
		strings.Join(got.Scope, " ") != "elderly_allowance senior_card" {
		t.Fatalf("caller = %+v", got)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if !strings.Contains(string(hdr), `"kid":"demo-issuer-1"`) || !strings.Contains(string(hdr), `"alg":"EdDSA"`) {
		t.Fatalf("header %s", hdr)
	}
}

func TestMintRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		c    Caller
		ttl  time.Duration
	}{
		{"role_unknown", Caller{Subject: "a", Role: "root"}, time.Hour},
		{"subject_empty", Caller{Role: RoleAdmin}, time.Hour},
		{"reviewer_without_jurisdiction", Caller{Subject: "a", Role: RoleReviewer}, time.Hour},
		{"scope_with_space", Caller{Subject: "a", Role: RoleDepartment, Scope: []string{"a b"}}, time.Hour},
		{"ttl_zero", Caller{Subject: "a", Role: RoleAdmin}, 0},
		{"ttl_too_long", Caller{Subject: "a", Role: RoleAdmin}, MaxTokenTTL + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.demo.Mint(tt.c, tt.ttl); !errors.Is(err, ErrInvalidCaller) {
				t.Fatalf("Mint error = %v, want ErrInvalidCaller", err)
			}
		})
	}
}

func TestOpenDemoIssuer(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenDemoIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DemoKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := OpenDemoIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := a.JWKS()
	jb, _ := b.JWKS()
	if string(ja) != string(jb) {
		t.Fatal("second open generated a new key")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDemoIssuer(dir); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("world-readable key: error = %v, want ErrKeyFile", err)
	}
}

func TestOpenDemoIssuerConcurrentFirstUse(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	docs := make([]string, 4)
	for i := range docs {
		wg.Go(func() {
			is, err := OpenDemoIssuer(dir)
			if err != nil {
				t.Error(err)
				return
			}
			d, _ := is.JWKS()
			docs[i] = string(d)
		})
	}
	wg.Wait()
	for _, d := range docs[1:] {
		if d != docs[0] {
			t.Fatal("concurrent first uses produced different keys")
		}
	}
}

func TestJWKSURLIssuer(t *testing.T) {
	_, k1, _ := ed25519.GenerateKey(rand.Reader)
	_, k2, _ := ed25519.GenerateKey(rand.Reader)
	var current atomic.Value // []byte JWKS
	var fail atomic.Bool
	var fetches atomic.Int32
	setKeys := func(keys map[string]ed25519.PrivateKey) {
		var ks []jwk.Key
		for kid, k := range keys {
			jk, _ := jwk.NewKey(kid, k.Public())
			ks = append(ks, jk)
		}
		s, _ := jwk.NewSet(ks...)
		doc, _ := s.Marshal()
		current.Store(doc)
	}
	setKeys(map[string]ed25519.PrivateKey{"idp-1": k1})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(current.Load().([]byte))
	}))
	defer srv.Close()

	now := testNow
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	v, err := NewVerifier(Config{Issuers: []TrustedIssuer{{Name: "idp", Algorithms: []string{"EdDSA"}, JWKSURL: srv.URL + "/jwks.json"}}},
		WithClock(clock), WithHTTPClient(srv.Client()), WithJWKSCache(10*time.Minute, 30*time.Second, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	mint := func(kid string, key ed25519.PrivateKey) string {
		c := claims("idp")
		c["iat"], c["exp"] = clock().Unix(), clock().Add(time.Hour).Unix()
		return sign(t, jwt.SigningMethodEdDSA, kid, c, key)
	}
	if _, err := v.Verify(t.Context(), mint("idp-1", k1)); err != nil {
		t.Fatalf("first key: %v", err)
	}
	// The issuer rotates; a token with the new kid triggers one re-fetch,
	// but not before the minimum wait.
	setKeys(map[string]ed25519.PrivateKey{"idp-1": k1, "idp-2": k2})
	if _, err := v.Verify(t.Context(), mint("idp-2", k2)); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("new kid within min wait: error = %v, want ErrUnknownKey", err)
	}
	before := fetches.Load()
	for range 20 {
		_, _ = v.Verify(t.Context(), mint("idp-9", k2))
	}
	if fetches.Load() != before {
		t.Fatalf("unknown kids caused %d fetches within the min wait", fetches.Load()-before)
	}
	advance(31 * time.Second)
	if _, err := v.Verify(t.Context(), mint("idp-2", k2)); err != nil {
		t.Fatalf("rotated key after refresh: %v", err)
	}
	// The key server fails: the cached set serves until maxStale.
	fail.Store(true)
	advance(11 * time.Minute)
	if _, err := v.Verify(t.Context(), mint("idp-1", k1)); err != nil {
		t.Fatalf("stale cache should still serve: %v", err)
	}
	advance(2 * time.Hour)
	_, err = v.Verify(t.Context(), mint("idp-1", k1))
	if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("keys gone: error = %v, want ErrKeysUnavailable only", err)
	}
}

func TestConfigValidate(t *testing.T) {
	set := newFixture(t).demo.KeySet()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no_issuer", Config{}},
		{"empty_name", Config{Issuers: []TrustedIssuer{{Algorithms: []string{"EdDSA"}, Keys: set}}}},
		{"no_algorithm", Config{Issuers: []TrustedIssuer{{Name: "a", Keys: set}}}},
		{"hs256_pinned", Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"HS256"}, Keys: set}}}},
		{"none_pinned", Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"none"}, Keys: set}}}},
		{"no_key_source", Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"EdDSA"}}}}},
		{"two_key_sources", Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"EdDSA"}, Keys: set, JWKSFile: "x"}}}},
		{"duplicate_name", Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"EdDSA"}, Keys: set}, {Name: "a", Algorithms: []string{"EdDSA"}, Keys: set}}}},
		{"http_url_not_loopback", Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"EdDSA"}, JWKSURL: "http://idp.example/jwks"}}}},
		{"leeway_too_big", Config{Leeway: time.Hour, Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"EdDSA"}, Keys: set}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewVerifier(tt.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("NewVerifier error = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := NewVerifier(Config{Issuers: []TrustedIssuer{{Name: "a", Algorithms: []string{"EdDSA"}, JWKSFile: filepath.Join(t.TempDir(), "missing.json")}}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing JWKS file: error = %v, want ErrConfig", err)
	}
}

// FuzzVerifyCallerToken checks that Verify never panics and accepts only
// the tokens the issuer minted: neither arbitrary input nor a one-byte
// mutation of a valid token.
func FuzzVerifyCallerToken(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	demo, err := NewIssuer(DemoIssuerName, DemoKeyID, key, fixedClock)
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewVerifier(Config{Issuers: []TrustedIssuer{demo.Trusted()}}, WithClock(fixedClock))
	if err != nil {
		f.Fatal(err)
	}
	valid, err := demo.Mint(Caller{Subject: "counter-0001", Role: RoleCounter, Jurisdiction: "370114001001", Scope: []string{"x"}, TokenID: "fixed"}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := v.Verify(f.Context(), valid); err != nil {
		f.Fatal(err)
	}
	f.Add(valid, uint16(0), byte('x'))
	f.Add(valid, uint16(len(valid)-1), byte('A'))
	f.Add("eyJhbGciOiJub25lIn0.e30.", uint16(30), byte('.'))
	f.Add("", uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, s string, pos uint16, b byte) {
		if _, err := v.Verify(t.Context(), s); err == nil && s != valid {
			t.Fatalf("accepted a token the issuer did not mint")
		}
		m := []byte(valid)
		i := int(pos) % len(m)
		if m[i] == b {
			return
		}
		m[i] = b
		if _, err := v.Verify(t.Context(), string(m)); err == nil {
			t.Fatalf("accepted a token mutated at byte %d", i)
		}
	})
}
