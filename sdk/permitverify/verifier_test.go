package permitverify_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sanmian/hub/ident"
	"sanmian/hub/seal"
	"sanmian/hub/seal/sealtest"
	"sanmian/sdk/permitverify"
)

// fakeHub publishes a real keyring's JWKS and status list like the hub does, counting the
// requests, with a clock the test moves.
type fakeHub struct {
	t        testing.TB
	kr       *seal.Keyring
	srv      *httptest.Server
	list     *seal.StatusList
	mu       sync.Mutex
	now      time.Time
	jwksHits atomic.Int64
	listHits atomic.Int64
	down     atomic.Bool
	jwksCC   string
}

const town = "370114001000"

func newFakeHub(t testing.TB) *fakeHub {
	t.Helper()
	h := &fakeHub{t: t, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), jwksCC: "public, max-age=300"}
	master, err := seal.ParseMasterKey(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	h.kr, err = seal.NewKeyring(&sealtest.MemKeyStore{}, master, seal.WithClock(h.clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, office := range []string{town, "370114"} {
		if _, err := h.kr.EnsureOffice(ctx, office); err != nil {
			t.Fatal(err)
		}
	}
	h.list, _ = seal.NewStatusList(0)
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) clock() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }

func (h *fakeHub) advance(d time.Duration) { h.mu.Lock(); h.now = h.now.Add(d); h.mu.Unlock() }

func (h *fakeHub) statusURI() string { return h.srv.URL + permitverify.StatusListPath }

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	if h.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	switch r.URL.Path {
	case permitverify.JWKSPath:
		h.jwksHits.Add(1)
		b, err := h.kr.JWKS(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Cache-Control", h.jwksCC)
		_, _ = w.Write(b)
	case permitverify.StatusListPath:
		h.listHits.Add(1)
		tok, err := h.kr.SignStatusList(r.Context(), "370114", h.statusURI(), h.list, 10*time.Minute)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write([]byte(tok))
	default:
		http.NotFound(w, r)
	}
}

// seal issues a permit with status index idx.
func (h *fakeHub) seal(idx int) string {
	h.t.Helper()
	id, err := ident.NewIDNumber("370114", time.Date(1940, 3, 15, 0, 0, 0, 0, time.UTC), 123)
	if err != nil {
		h.t.Fatal(err)
	}
	tok, _, err := h.kr.Seal(context.Background(), town, seal.PermitClaims{
		PermitID: fmt.Sprintf("pmt_%d", idx), Item: "elderly_allowance", HolderIDNumber: id,
		PolicyRevision: "rev-1", DecisionID: "dec_1", Status: seal.NewStatusClaim(idx, h.statusURI()),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func (h *fakeHub) verifier(t testing.TB) *permitverify.Verifier {
	t.Helper()
	v, err := permitverify.New(permitverify.Config{HubURL: h.srv.URL, Now: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifierCachesAndChecksRevocation(t *testing.T) {
	h := newFakeHub(t)
	v := h.verifier(t)
	ctx := context.Background()
	tok := h.seal(7)
	for range 3 {
		res, err := v.Verify(ctx, tok)
		if err != nil || !res.Valid || res.Status != permitverify.StatusActive {
			t.Fatalf("Verify = %+v, %v", res, err)
		}
	}
	if j, l := h.jwksHits.Load(), h.listHits.Load(); j != 1 || l != 1 {
		t.Fatalf("fetched the key set %d and the status list %d times within their max-age, want once each", j, l)
	}
	// Revoked at the hub: seen once the cached list's max-age (300 s) has passed.
	if err := h.list.Set(7, true); err != nil {
		t.Fatal(err)
	}
	h.advance(200 * time.Second)
	if res, _ := v.Verify(ctx, tok); !res.Valid {
		t.Fatalf("within max-age the cached list is used: %+v", res)
	}
	h.advance(101 * time.Second)
	res, err := v.Verify(ctx, tok)
	if err != nil || res.Valid || res.Status != permitverify.StatusRevoked || res.Reason != permitverify.ReasonRevoked {
		t.Fatalf("after max-age: %+v, %v", res, err)
	}
	if h.listHits.Load() != 2 || h.jwksHits.Load() != 2 {
		t.Fatalf("key set fetched %d, list %d times; want 2 each", h.jwksHits.Load(), h.listHits.Load())
	}
}

func TestVerifierRefreshesOnUnknownKidRateLimited(t *testing.T) {
	h := newFakeHub(t)
	v := h.verifier(t)
	ctx := context.Background()
	if res, err := v.Verify(ctx, h.seal(1)); err != nil || !res.Valid {
		t.Fatalf("first permit: %+v, %v", res, err)
	}
	// The office rotates its key: a permit with the new kid makes the verifier fetch the
	// key set again at once, although the cached one is within its max-age.
	h.advance(2 * time.Minute)
	if _, err := h.kr.Rotate(ctx, town); err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(ctx, h.seal(2))
	if err != nil || !res.Valid {
		t.Fatalf("permit with the rotated key: %+v, %v", res, err)
	}
	if n := h.jwksHits.Load(); n != 2 {
		t.Fatalf("key set fetched %d times, want 2", n)
	}
	// Unknown kids within RefreshInterval (1 minute) do not reach the hub.
	forged := forgeKid(t, h.seal(3), town+"-2026-99")
	for range 20 {
		res, err := v.Verify(ctx, forged)
		if err != nil || res.Valid || res.Reason != permitverify.ReasonUnknownKey {
			t.Fatalf("unknown kid: %+v, %v", res, err)
		}
	}
	if n := h.jwksHits.Load(); n != 2 {
		t.Fatalf("20 unknown kids fetched the key set %d times in all, want still 2", n)
	}
	h.advance(61 * time.Second)
	_, _ = v.Verify(ctx, forged)
	if n := h.jwksHits.Load(); n != 3 {
		t.Fatalf("after the refresh interval: %d fetches, want 3", n)
	}
}

func TestVerifierHonoursNoStore(t *testing.T) {
	h := newFakeHub(t)
	h.jwksCC = "no-store"
	v := h.verifier(t)
	tok := h.seal(1)
	for range 3 {
		if res, err := v.Verify(context.Background(), tok); err != nil || !res.Valid {
			t.Fatalf("%+v, %v", res, err)
		}
		h.advance(time.Second)
	}
	if n := h.jwksHits.Load(); n != 3 {
		t.Fatalf("no-store key set fetched %d times for 3 verifications, want 3", n)
	}
}

func TestVerifierHubDown(t *testing.T) {
	h := newFakeHub(t)
	h.down.Store(true)
	v := h.verifier(t)
	_, err := v.Verify(context.Background(), h.seal(1))
	if !errors.Is(err, permitverify.ErrJWKS) {
		t.Fatalf("no key set at all: %v, want ErrJWKS", err)
	}
	// With keys and a list cached, a short outage is ridden out (MaxStale), a long one
	// is reported.
	h.down.Store(false)
	tok := h.seal(1)
	if res, err := v.Verify(context.Background(), tok); err != nil || !res.Valid {
		t.Fatalf("%+v, %v", res, err)
	}
	h.down.Store(true)
	h.advance(6 * time.Minute) // past both max-ages, within the list's 10-minute exp
	if res, err := v.Verify(context.Background(), tok); err != nil || !res.Valid {
		t.Fatalf("during a short outage: %+v, %v", res, err)
	}
	h.advance(5 * time.Minute) // the cached list's exp has passed
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, permitverify.ErrStatusList) {
		t.Fatalf("list expired during the outage: %v, want ErrStatusList", err)
	}
}

func TestVerifierRefusesForeignStatusList(t *testing.T) {
	h := newFakeHub(t)
	other := newFakeHub(t)
	// A permit sealed by h but naming other's status list (a different origin).
	id, _ := ident.NewIDNumber("370114", time.Date(1940, 3, 15, 0, 0, 0, 0, time.UTC), 123)
	tok, _, err := h.kr.Seal(context.Background(), town, seal.PermitClaims{
		PermitID: "pmt_x", Item: "elderly_allowance", HolderIDNumber: id,
		Status: seal.NewStatusClaim(1, other.statusURI()),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.verifier(t).Verify(context.Background(), tok)
	if !errors.Is(err, permitverify.ErrStatusList) {
		t.Fatalf("foreign status list: %v, want ErrStatusList", err)
	}
	if other.listHits.Load() != 0 {
		t.Fatal("the foreign status list was fetched")
	}
}

func TestOfflineSnapshot(t *testing.T) {
	h := newFakeHub(t)
	ctx := context.Background()
	good, revoked := h.seal(1), h.seal(2)
	if err := h.list.Set(2, true); err != nil {
		t.Fatal(err)
	}
	snap, err := h.verifier(t).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.json")
	if err := snap.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	h.srv.Close() // offline from here on
	back, err := permitverify.ReadSnapshotFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off, err := permitverify.NewOffline(back, permitverify.OfflineConfig{Now: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := off.Verify(ctx, good); err != nil || !res.Valid || res.Status != permitverify.StatusActive {
		t.Fatalf("good permit offline: %+v, %v", res, err)
	}
	if res, err := off.Verify(ctx, revoked); err != nil || res.Valid || res.Status != permitverify.StatusRevoked {
		t.Fatalf("revoked permit offline: %+v, %v", res, err)
	}
	tampered := good[:len(good)-4] + "AAAA"
	if res, err := off.Verify(ctx, tampered); err != nil || res.Valid || res.Reason != permitverify.ReasonBadSignature {
		t.Fatalf("tampered permit offline: %+v, %v", res, err)
	}
	// The snapshot's list expires 10 minutes after it was signed.
	h.advance(11 * time.Minute)
	if _, err := off.Verify(ctx, good); !errors.Is(err, permitverify.ErrStatusList) {
		t.Fatalf("expired list offline: %v, want ErrStatusList", err)
	}
	lenient, err := permitverify.NewOffline(back, permitverify.OfflineConfig{Now: h.clock, StaleStatusList: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := lenient.Verify(ctx, revoked); err != nil || res.Status != permitverify.StatusRevoked {
		t.Fatalf("stale list allowed: %+v, %v", res, err)
	}
	// A permit naming a list the snapshot lacks.
	delete(back.StatusLists, h.statusURI())
	bare, err := permitverify.NewOffline(back, permitverify.OfflineConfig{Now: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Verify(ctx, good); !errors.Is(err, permitverify.ErrOffline) || !errors.Is(err, permitverify.ErrStatusList) {
		t.Fatalf("no list in snapshot: %v, want ErrOffline and ErrStatusList", err)
	}
	if _, err := permitverify.NewOffline(&permitverify.Snapshot{JWKS: []byte(`{"keys":[]}`)}, permitverify.OfflineConfig{}); !errors.Is(err, permitverify.ErrJWKS) {
		t.Fatalf("empty key set: %v", err)
	}
}

// forgeKid re-encodes tok's header with another kid (the signature no longer matches,
// but the verifier stops at the unknown kid).
func forgeKid(t *testing.T, tok, kid string) string {
	t.Helper()
	hdr := fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"typ":"sanmian-permit+jwt"}`, kid)
	for i := range tok {
		if tok[i] == '.' {
			return base64.RawURLEncoding.EncodeToString([]byte(hdr)) + tok[i:]
		}
	}
	t.Fatal("not a JWS")
	return ""
}

// BenchmarkVerifier: verifying one permit with its revocation check, online with the key
// set and status list cached, and offline from a snapshot.
//
//	go test -run '^$' -bench Verifier -benchmem ./sdk/permitverify/
func BenchmarkVerifier(b *testing.B) {
	h := newFakeHub(b)
	tok := h.seal(42)
	ctx := context.Background()
	online := h.verifier(b)
	snap, err := online.Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	offline, err := permitverify.NewOffline(snap, permitverify.OfflineConfig{Now: h.clock})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    *permitverify.Verifier
	}{{"online_cached", online}, {"offline", offline}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if res, err := tc.v.Verify(ctx, tok); err != nil || !res.Valid {
					b.Fatalf("%+v, %v", res, err)
				}
			}
		})
	}
	if n := h.jwksHits.Load() + h.listHits.Load(); n != 2 {
		b.Fatalf("%d fetches, want the snapshot's 2", n)
	}
}
