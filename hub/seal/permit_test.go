package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jwxjwa "github.com/lestrrat-go/jwx/v3/jwa"
	jwxjwk "github.com/lestrrat-go/jwx/v3/jwk"
	jwxjws "github.com/lestrrat-go/jwx/v3/jws"

	"sanmian/hub/auth/jwk"
	"sanmian/hub/ident"
)

// sealed returns a keyring with a town key, a sealed sample permit, its
// kid and the JWKS document.
func sealed(t *testing.T) (*Keyring, *testClock, string, string, []byte) {
	t.Helper()
	clock := newTestClock()
	kr, _ := newTestKeyring(t, clock)
	if _, err := kr.EnsureOffice(t.Context(), townOffice); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.EnsureOffice(t.Context(), villageOffice); err != nil {
		t.Fatal(err)
	}
	tok, kid, err := kr.Seal(t.Context(), townOffice, sampleClaims(t, clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := kr.JWKS(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return kr, clock, tok, kid, doc
}

func TestSealAndVerify(t *testing.T) {
	kr, clock, tok, kid, doc := sealed(t)
	keys, err := jwk.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(tok, keys, clock.Now())
	if err != nil || !res.Valid || res.Status != StatusUnchecked || res.Kid != kid {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	c := res.Claims
	id := testIDNumber(t)
	if c.Office != townOffice || c.Item != "elderly_allowance" || c.Holder != ident.MaskIDNumber(id) ||
		len(c.Reviews) != 3 || len(c.Evidence) != 8 || c.Status.StatusList.Idx != 4711 || c.DecisionID == "" || c.PolicyRevision == "" {
		t.Fatalf("claims = %+v", c)
	}
	if !kr.HolderMatches(townOffice, c.Subject, id) {
		t.Fatal("holder binding does not match the applicant")
	}
	other, _ := ident.NewIDNumber("370114", time.Date(1941, 1, 1, 0, 0, 0, 0, time.UTC), 7)
	if kr.HolderMatches(townOffice, c.Subject, other) {
		t.Fatal("holder binding matches another person")
	}
	if vsub, _ := kr.BindHolder(villageOffice, id); vsub == c.Subject {
		t.Fatal("two offices bind one person to the same sub")
	}

	// Never the full ID number, in any segment.
	for _, seg := range strings.Split(tok, ".") {
		b, _ := base64.RawURLEncoding.DecodeString(seg)
		if strings.Contains(string(b), id) || strings.Contains(seg, id) {
			t.Fatal("permit contains the full ID number")
		}
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]string
	if err := json.Unmarshal(hdr, &h); err != nil || h["alg"] != "EdDSA" || h["typ"] != PermitType || h["kid"] != kid {
		t.Fatalf("header = %s", hdr)
	}
	t.Logf("permit token: %d bytes", len(tok))
}

// TestVerifyIndependentlyWithEd25519 verifies a permit the way a third
// party without golang-jwt would: from the JWKS JSON and crypto/ed25519.
func TestVerifyIndependentlyWithEd25519(t *testing.T) {
	_, _, tok, _, doc := sealed(t)
	var set struct {
		Keys []struct {
			Kty, Crv, X, Kid, Alg, Use string
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatal("not a compact JWS")
	}
	b64 := base64.RawURLEncoding.Strict()
	hdrJSON, err := b64.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Alg, Kid, Typ string }
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil || hdr.Alg != "EdDSA" {
		t.Fatalf("header %s", hdrJSON)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	var pub ed25519.PublicKey
	for _, k := range set.Keys {
		if k.Kid == hdr.Kid && k.Kty == "OKP" && k.Crv == "Ed25519" {
			x, err := b64.DecodeString(k.X)
			if err != nil {
				t.Fatal(err)
			}
			pub = x
		}
	}
	if pub == nil {
		t.Fatalf("kid %q not in JWKS", hdr.Kid)
	}
	signingInput := []byte(parts[0] + "." + parts[1])
	if !ed25519.Verify(pub, signingInput, sig) {
		t.Fatal("crypto/ed25519 does not verify the permit with the JWKS key")
	}
	tampered := []byte(parts[0] + "." + parts[1] + "x")
	if ed25519.Verify(pub, tampered, sig) {
		t.Fatal("crypto/ed25519 verified a tampered signing input")
	}
}

// TestVerifyWithJWX verifies a permit with a second, unrelated JOSE
// library (lestrrat-go/jwx) given only the JWKS document.
func TestVerifyWithJWX(t *testing.T) {
	_, _, tok, kid, doc := sealed(t)
	set, err := jwxjwk.Parse(doc)
	if err != nil {
		t.Fatalf("jwx cannot parse the JWKS: %v", err)
	}
	payload, err := jwxjws.Verify([]byte(tok), jwxjws.WithKeySet(set, jwxjws.WithRequireKid(true)))
	if err != nil {
		t.Fatalf("jwx does not verify the permit: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil || c["iss"] != townOffice {
		t.Fatalf("payload %s", payload)
	}
	key, ok := set.LookupKeyID(kid)
	if !ok {
		t.Fatal("kid not in jwx set")
	}
	if _, err := jwxjws.Verify([]byte(tok), jwxjws.WithKey(jwxjwa.EdDSA(), key)); err != nil {
		t.Fatalf("jwx with the single key: %v", err)
	}
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"370114001000","item":"x"}`)) + "." + parts[2]
	if _, err := jwxjws.Verify([]byte(forged), jwxjws.WithKeySet(set)); err == nil {
		t.Fatal("jwx verified a forged payload")
	}
}

// forge signs arbitrary header and claims with key.
func forge(t *testing.T, method jwt.SigningMethod, header map[string]any, claims jwt.MapClaims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefusals(t *testing.T) {
	kr, clock, tok, kid, doc := sealed(t)
	keys, _ := jwk.Parse(doc)
	now := clock.Now()
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var mc jwt.MapClaims
	if err := json.Unmarshal(payload, &mc); err != nil {
		t.Fatal(err)
	}
	kr.mu.Lock()
	townKey := kr.signers[kid]
	kr.mu.Unlock()
	if _, err := kr.EnsureOffice(t.Context(), villageOffice); err != nil {
		t.Fatal(err)
	}
	villageKid, villageKey, err := kr.signer(t.Context(), villageOffice)
	if err != nil {
		t.Fatal(err)
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	townPub := townKey.Public().(ed25519.PublicKey)
	hdr := map[string]any{"kid": kid, "typ": PermitType}
	with := func(k string, v any) jwt.MapClaims {
		out := jwt.MapClaims{}
		for kk, vv := range mc {
			out[kk] = vv
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }

	tests := []struct {
		name  string
		token string
		at    time.Time
		want  Reason
	}{
		{"payload_tampered", parts[0] + "." + seg(with("item", "funeral_subsidy")) + "." + parts[2], now, ReasonBadSignature},
		{"signature_tampered", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), now, ReasonBadSignature},
		{"signature_non_canonical_base64", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + flipLowBits(parts[2][len(parts[2])-1]), now, ReasonMalformed},
		{"signed_by_stranger_with_real_kid", forge(t, jwt.SigningMethodEdDSA, hdr, mc, stranger), now, ReasonBadSignature},
		{"unknown_kid", forge(t, jwt.SigningMethodEdDSA, map[string]any{"kid": "370114001000-2026-9", "typ": PermitType}, mc, townKey), now, ReasonUnknownKey},
		{"kid_missing", forge(t, jwt.SigningMethodEdDSA, map[string]any{"typ": PermitType}, mc, townKey), now, ReasonUnknownKey},
		{"village_key_claims_town_office", forge(t, jwt.SigningMethodEdDSA, map[string]any{"kid": villageKid, "typ": PermitType}, mc, villageKey), now, ReasonOfficeMismatch},
		{"wrong_typ", forge(t, jwt.SigningMethodEdDSA, map[string]any{"kid": kid, "typ": "JWT"}, mc, townKey), now, ReasonWrongType},
		{"status_list_token_as_permit", forge(t, jwt.SigningMethodEdDSA, map[string]any{"kid": kid, "typ": StatusListType}, mc, townKey), now, ReasonWrongType},
		{"alg_none", seg(map[string]any{"alg": "none", "kid": kid, "typ": PermitType}) + "." + parts[1] + ".", now, ReasonBadSignature},
		{"hs256_with_public_key", forge(t, jwt.SigningMethodHS256, hdr, mc, []byte(townPub)), now, ReasonBadSignature},
		{"hs256_with_jwks", forge(t, jwt.SigningMethodHS256, hdr, mc, doc), now, ReasonBadSignature},
		{"expired", tok, now.AddDate(1, 0, 1), ReasonExpired},
		{"before_issue", tok, now.Add(-time.Hour), ReasonNotYetValid},
		{"jti_missing", forge(t, jwt.SigningMethodEdDSA, hdr, with("jti", nil), townKey), now, ReasonBadClaims},
		{"item_missing", forge(t, jwt.SigningMethodEdDSA, hdr, with("item", nil), townKey), now, ReasonBadClaims},
		{"iat_missing", forge(t, jwt.SigningMethodEdDSA, hdr, with("iat", nil), townKey), now, ReasonBadClaims},
		{"reviews_wrong_type", forge(t, jwt.SigningMethodEdDSA, hdr, with("reviews", "all fine"), townKey), now, ReasonMalformed},
		{"empty", "", now, ReasonMalformed},
		{"garbage", "not.a.jws", now, ReasonMalformed},
		{"too_long", tok + strings.Repeat("A", MaxPermitSize), now, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Verify(tt.token, keys, tt.at)
			if err != nil {
				t.Fatalf("Verify error %v (an invalid permit is a result, not an error)", err)
			}
			if res.Valid || res.Status != StatusInvalid || res.Reason != tt.want {
				t.Fatalf("Verify = valid %v status %q reason %q, want reason %q", res.Valid, res.Status, res.Reason, tt.want)
			}
		})
	}
	if _, err := Verify(tok, jwk.Set{}, now); !errors.Is(err, ErrJWKS) {
		t.Fatalf("empty key set: %v", err)
	}
}

// flipLowBits returns a base64url character with the same high bits as c
// but different low bits, i.e. a non-canonical encoding of the last byte.
func flipLowBits(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i^1])
}

func TestSealRefusals(t *testing.T) {
	clock := newTestClock()
	kr, _ := newTestKeyring(t, clock)
	if _, err := kr.EnsureOffice(t.Context(), townOffice); err != nil {
		t.Fatal(err)
	}
	base := sampleClaims(t, clock.Now())
	mod := func(f func(*PermitClaims)) PermitClaims { c := base; f(&c); return c }
	id := base.HolderIDNumber
	bad := id[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", id[17])+1)%11])
	tests := []struct {
		name   string
		office string
		claims PermitClaims
		want   error
	}{
		{"office_malformed", "37011", base, ErrOffice},
		{"office_without_key", villageOffice, base, ErrNoActiveKey},
		{"permit_id_missing", townOffice, mod(func(c *PermitClaims) { c.PermitID = "" }), ErrClaims},
		{"item_missing", townOffice, mod(func(c *PermitClaims) { c.Item = "" }), ErrClaims},
		{"holder_missing", townOffice, mod(func(c *PermitClaims) { c.HolderIDNumber = "" }), ErrClaims},
		{"holder_bad_check_char", townOffice, mod(func(c *PermitClaims) { c.HolderIDNumber = bad }), ErrClaims},
		{"exp_before_iat", townOffice, mod(func(c *PermitClaims) { c.ExpiresAt = jwt.NewNumericDate(clock.Now().Add(-time.Hour)) }), ErrClaims},
		{"status_negative_idx", townOffice, mod(func(c *PermitClaims) { c.Status = NewStatusClaim(-1, statusURI) }), ErrClaims},
		{"status_without_uri", townOffice, mod(func(c *PermitClaims) { c.Status = NewStatusClaim(1, "") }), ErrClaims},
		{"review_without_time", townOffice, mod(func(c *PermitClaims) { c.Reviews = []Review{{Level: "town", Action: "approve"}} }), ErrClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := kr.Seal(t.Context(), tt.office, tt.claims)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Seal error = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), id) || strings.Contains(err.Error(), bad)) {
				t.Fatalf("error %q contains the ID number", err)
			}
		})
	}
	// WithCreateOnSeal creates the office's first key on demand.
	demo, _ := newTestKeyring(t, clock, WithCreateOnSeal())
	if _, kid, err := demo.Seal(t.Context(), villageOffice, base); err != nil || kid != villageOffice+"-2026-1" {
		t.Fatalf("create on seal: kid %q, %v", kid, err)
	}
}

func TestVerifyRevocation(t *testing.T) {
	kr, clock, tok, _, _ := sealed(t)
	ctx := t.Context()
	if _, err := kr.EnsureOffice(ctx, "370114"); err != nil {
		t.Fatal(err)
	}
	doc, _ := kr.JWKS(ctx)
	keys, _ := jwk.Parse(doc)
	list, err := NewStatusList(0)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	sign := func() string {
		s, err := kr.SignStatusList(ctx, "370114", statusURI, list, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	res, err := Verify(tok, keys, now, WithStatusListToken(sign()))
	if err != nil || !res.Valid || res.Status != StatusActive {
		t.Fatalf("not revoked: %+v, %v", res, err)
	}
	if err := list.Set(4711, true); err != nil {
		t.Fatal(err)
	}
	res, err = Verify(tok, keys, now, WithStatusListToken(sign()))
	if err != nil || res.Valid || res.Status != StatusRevoked || res.Reason != ReasonRevoked || res.Claims == nil {
		t.Fatalf("revoked: %+v, %v", res, err)
	}
	res, err = Verify(tok, keys, now, WithStatusList(statusURI, list))
	if err != nil || res.Status != StatusRevoked {
		t.Fatalf("revoked (trusted list): %+v, %v", res, err)
	}

	// Unusable status lists are errors, never "active".
	other, _ := kr.SignStatusList(ctx, "370114", "https://elsewhere.example.test/status", list, time.Hour)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	forged := forge(t, jwt.SigningMethodEdDSA, map[string]any{"kid": "370114-2026-1", "typ": StatusListType},
		jwt.MapClaims{"iss": "370114", "sub": statusURI, "iat": now.Unix(), "status_list": map[string]any{"bits": 1, "lst": list.Encode()}}, stranger)
	bad := []struct {
		name string
		opt  VerifyOption
	}{
		{"list_for_other_uri", WithStatusListToken(other)},
		{"list_signed_by_stranger", WithStatusListToken(forged)},
		{"list_expired", WithStatusListToken(sign())},
		{"trusted_list_other_uri", WithStatusList("https://elsewhere.example.test/status", list)},
		{"list_too_short", WithStatusList(statusURI, mustList(t, 8))},
	}
	for i, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if i == 2 {
				at = now.Add(2 * time.Hour)
			}
			res, err := Verify(tok, keys, at, tt.opt)
			if !errors.Is(err, ErrStatusList) || res.Valid {
				t.Fatalf("Verify = %+v, %v; want ErrStatusList", res, err)
			}
		})
	}
}

func mustList(t testing.TB, n int) *StatusList {
	t.Helper()
	l, err := NewStatusList(n)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// FuzzVerifyPermit checks that Verify never panics and never finds valid
// anything but the sealed permit: neither arbitrary input nor a one-byte
// mutation of it.
func FuzzVerifyPermit(f *testing.F) {
	clock := newTestClock()
	kr, _ := newTestKeyring(f, clock)
	ctx := f.Context()
	if _, err := kr.EnsureOffice(ctx, townOffice); err != nil {
		f.Fatal(err)
	}
	tok, _, err := kr.Seal(ctx, townOffice, sampleClaims(f, clock.Now()))
	if err != nil {
		f.Fatal(err)
	}
	keys, err := kr.KeySet(ctx)
	if err != nil {
		f.Fatal(err)
	}
	now := clock.Now()
	if r, _ := Verify(tok, keys, now); !r.Valid {
		f.Fatal("seed permit does not verify")
	}
	f.Add(tok, uint16(0), byte('x'))
	f.Add(tok, uint16(len(tok)-1), byte('B'))
	f.Add("eyJhbGciOiJub25lIn0.e30.", uint16(3), byte('.'))
	f.Add("", uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, s string, pos uint16, b byte) {
		if r, _ := Verify(s, keys, now); r.Valid && s != tok {
			t.Fatal("a token that was not sealed verified")
		}
		m := []byte(tok)
		i := int(pos) % len(m)
		if m[i] == b {
			return
		}
		m[i] = b
		if r, _ := Verify(string(m), keys, now); r.Valid {
			t.Fatalf("a permit mutated at byte %d verified", i)
		}
	})
}

// TestConcurrentFirstSealsVerify: callers sealing at once for an office that has no key yet
// all choose the same first kid; only one key is stored, and every permit they seal verifies
// with the published JWKS (a caller whose key lost the race must not sign with it).
func TestConcurrentFirstSealsVerify(t *testing.T) {
	clock := newTestClock()
	kr, _ := newTestKeyring(t, clock, WithCreateOnSeal())
	base := sampleClaims(t, clock.Now())
	tokens := make([]string, 16)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			tok, _, err := kr.Seal(t.Context(), villageOffice, base)
			if err != nil {
				t.Errorf("seal %d: %v", i, err)
			}
			tokens[i] = tok
		})
	}
	wg.Wait()
	keys, err := kr.KeySet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens {
		if res, err := Verify(tok, keys, clock.Now()); err != nil || !res.Valid {
			t.Errorf("permit %d sealed concurrently does not verify: %+v %v", i, res, err)
		}
	}
}
