package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/auth/jwk"
)

// Demo issuer identity.
const (
	// DemoIssuerName is the "iss" of tokens minted by the demo issuer.
	DemoIssuerName = "sanmian-demo-issuer"
	// DemoKeyID is the kid of the demo issuer's key.
	DemoKeyID = "demo-issuer-1"
	// DemoKeyFile is the demo issuer's private key, relative to the data
	// directory: PKCS #8 PEM, mode 0600, in a 0700 directory.
	DemoKeyFile = "keys/demo-issuer-ed25519.pem"
	// MaxTokenTTL is the longest lifetime Mint grants.
	MaxTokenTTL = 31 * 24 * time.Hour
)

// Issuer mints caller tokens signed with one Ed25519 key (EdDSA). It backs
// `hub token` and the ready tokens `hub demo` prints; production callers
// bring tokens from their own issuers. Safe for concurrent use.
type Issuer struct {
	name string
	kid  string
	key  ed25519.PrivateKey
	now  func() time.Time
}

// NewIssuer returns an issuer named name (its "iss") signing with key
// under kid. now may be nil (time.Now).
func NewIssuer(name, kid string, key ed25519.PrivateKey, now func() time.Time) (*Issuer, error) {
	if name == "" || kid == "" {
		return nil, fmt.Errorf("%w: issuer name and kid must not be empty", ErrConfig)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: not an Ed25519 private key", ErrConfig)
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{name: name, kid: kid, key: key, now: now}, nil
}

// OpenDemoIssuer returns the demo issuer whose key lives at DemoKeyFile
// under dataDir, generating the key on first use (written with mode 0600
// through a temporary file and a hard link, so concurrent first uses agree
// on one key). It refuses a key file readable by group or others.
func OpenDemoIssuer(dataDir string) (*Issuer, error) {
	path := filepath.Join(dataDir, filepath.FromSlash(DemoKeyFile))
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return NewIssuer(DemoIssuerName, DemoKeyID, key, nil)
}

func readKeyFile(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is accessible by group or others (chmod 600)", ErrKeyFile, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s: no PKCS #8 PEM block", ErrKeyFile, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: unparsable key", ErrKeyFile, path)
	}
	ed, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s: not an Ed25519 key", ErrKeyFile, path)
	}
	return ed, nil
}

func createKeyFile(path string) (ed25519.PrivateKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-issuer-*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	// Link fails if another process created the key first: use theirs.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	return key, nil
}

// DemoSubject returns a fresh subject for a token minted for role (and jurisdiction, if any):
// "<role>[-<jurisdiction>]-<16 random hex digits>", e.g. "counter-370114001201-3f9a2c1d5e7b8a90".
// Every call gives another one, so two people never share a subject by accident: the hub
// keeps idempotency records, audit entries and data-use records per issuer and subject.
func DemoSubject(role, jurisdiction string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: random subject: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	s := role
	if jurisdiction != "" {
		s += "-" + jurisdiction
	}
	return s + "-" + hex.EncodeToString(b[:])
}

// Name returns the issuer's "iss".
func (i *Issuer) Name() string { return i.name }

// KeyID returns the kid of the issuer's key.
func (i *Issuer) KeyID() string { return i.kid }

// KeySet returns the issuer's public key set.
func (i *Issuer) KeySet() jwk.Set {
	k, err := jwk.NewKey(i.kid, i.key.Public())
	if err != nil {
		panic("auth: issuer key: " + err.Error()) // unreachable: NewIssuer checked the key
	}
	set, _ := jwk.NewSet(k)
	return set
}

// JWKS returns the issuer's public key set as an RFC 7517 document.
func (i *Issuer) JWKS() ([]byte, error) { return i.KeySet().Marshal() }

// Trusted returns the configuration under which a Verifier trusts this
// issuer: its name, EdDSA only, its static key set.
func (i *Issuer) Trusted() TrustedIssuer {
	return TrustedIssuer{Name: i.name, Algorithms: []string{jwk.AlgEdDSA}, Keys: i.KeySet()}
}

// Mint returns a caller token for c valid for ttl (0 < ttl <= MaxTokenTTL):
// header {alg EdDSA, typ JWT, kid}, claims iss (the issuer's name; c.Issuer
// is ignored), sub, aud "sanmian-hub", iat, exp, jti (c.TokenID, or a
// random one), role, jurisdiction, scope (space-separated).
func (i *Issuer) Mint(c Caller, ttl time.Duration) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxTokenTTL {
		return "", fmt.Errorf("%w: ttl must be between 0 and %s", ErrInvalidCaller, MaxTokenTTL)
	}
	jti := c.TokenID
	if jti == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		jti = base64.RawURLEncoding.EncodeToString(b[:])
	}
	now := i.now()
	claims := callerClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.name,
			Subject:   c.Subject,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        jti,
		},
		Role:         c.Role,
		Jurisdiction: c.Jurisdiction,
		Scope:        scopeClaim(c.Scope),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = i.kid
	return tok.SignedString(i.key)
}

// OpenKeyFileIssuer returns an issuer named name whose Ed25519 key lives at path (PKCS #8
// PEM, mode 0600), generating the key on first use as OpenDemoIssuer does. Its kid is derived
// from the public key ("<name>-<16 hex digits of its SHA-256>"), so replacing the key file
// changes the kid.
func OpenKeyFileIssuer(name, path string) (*Issuer, error) {
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return NewIssuer(name, keyID(name, key), key, nil)
}

// NewEphemeralIssuer returns an issuer named name with a key generated now and kept in memory
// only: tokens it mints stop verifying when the process ends.
func NewEphemeralIssuer(name string) (*Issuer, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewIssuer(name, keyID(name, key), key, nil)
}

func keyID(name string, key ed25519.PrivateKey) string {
	sum := sha256.Sum256(key.Public().(ed25519.PublicKey))
	return name + "-" + hex.EncodeToString(sum[:8])
}
