package seal

import (
	"encoding/base64"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/auth/jwk"
	"sanmian/hub/ident"
)

const (
	townOffice    = "370114001000" // 明水街道
	villageOffice = "370114001001"
	statusURI     = "https://hub.example.test/v1/permits/status"
)

// testClock is a settable clock, safe for concurrent use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func testMaster(t testing.TB, b byte) MasterKey {
	t.Helper()
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = b + byte(i)
	}
	m, err := ParseMasterKey(base64.StdEncoding.EncodeToString(secret))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newTestKeyring returns a keyring on a FileKeyStore in a temp dir.
func newTestKeyring(t testing.TB, clock *testClock, opts ...KeyringOption) (*Keyring, *FileKeyStore) {
	t.Helper()
	store, err := OpenFileKeyStore(filepath.Join(t.TempDir(), DefaultKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := NewKeyring(store, testMaster(t, 1), append([]KeyringOption{WithClock(clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return kr, store
}

func testIDNumber(t testing.TB) string {
	t.Helper()
	id, err := ident.NewIDNumber("370114", time.Date(1940, 3, 15, 0, 0, 0, 0, time.UTC), 123)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// sampleClaims returns realistic claims of an elderly-allowance permit
// reviewed at three levels with eight evidence records.
func sampleClaims(t testing.TB, at time.Time) PermitClaims {
	t.Helper()
	d := func(m int) *jwt.NumericDate { return jwt.NewNumericDate(at.Add(time.Duration(m) * time.Minute)) }
	var ev []EvidenceDigest
	for _, k := range []struct{ kind, platform string }{
		{"id_card", "province"}, {"household_register", "province"}, {"birth_record", "province"},
		{"death_record", "province"}, {"pension_receipt", "city"}, {"household", "district"},
		{"subsidy_roll", "district"}, {"dibao_roll", "district"},
	} {
		ev = append(ev, DigestEvidence(k.kind, k.platform, []byte(`{"record":"`+k.kind+`"}`)))
	}
	return PermitClaims{
		PermitID:       "pmt_01JDX3K9Q7ZB8M4N2V6C5T1R0A",
		Item:           "elderly_allowance",
		HolderIDNumber: testIDNumber(t),
		IssuedAt:       d(0),
		ExpiresAt:      jwt.NewNumericDate(at.AddDate(1, 0, 0)),
		Reviews: []Review{
			{Level: "village", Division: "370114001001", Action: "approve", Reviewer: "counter-370114001001-01", At: d(-90)},
			{Level: "work_area", Division: "370114001000", Action: "approve", Reviewer: "reviewer-wa-03", At: d(-40)},
			{Level: "town", Division: "370114001000", Action: "approve", Reviewer: "reviewer-town-01", At: d(-1)},
		},
		Evidence:       ev,
		PolicyRevision: "bundle-2026.11.20-3f9c2a1",
		DecisionID:     "dec_01JDX3H2B5W6Y7Z8A9C0D1E2F3",
		Status:         NewStatusClaim(4711, statusURI),
	}
}

func nowTrunc() time.Time { return time.Now().Truncate(time.Second) }

func mustParse(t testing.TB, doc []byte) jwk.Set {
	t.Helper()
	s, err := jwk.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
