package seal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"sanmian/hub/auth/jwk"
	"sanmian/hub/division"
	"sanmian/hub/ident"
)

// DefaultRetiredOverlap is how long a retired key stays in the JWKS after
// rotation when WithRetiredOverlap is not given: long enough for every
// permit it sealed to expire or be re-issued.
const DefaultRetiredOverlap = 5 * 365 * 24 * time.Hour

// blobVersion prefixes every encrypted private key blob.
const blobVersion = 1

// Keyring seals permits with the offices' keys kept in a KeyStore. It is
// safe for concurrent use; decrypted private keys are cached in memory.
type Keyring struct {
	store        KeyStore
	kek          cipher.AEAD
	master       MasterKey
	now          func() time.Time
	overlap      time.Duration
	createOnSeal bool

	mu      sync.Mutex
	signers map[string]ed25519.PrivateKey // by kid
}

// KeyringOption configures a Keyring.
type KeyringOption func(*Keyring)

// WithClock sets the time source (default time.Now).
func WithClock(now func() time.Time) KeyringOption { return func(k *Keyring) { k.now = now } }

// WithRetiredOverlap sets how long a key retired by Rotate stays in the
// JWKS (default DefaultRetiredOverlap).
func WithRetiredOverlap(d time.Duration) KeyringOption {
	return func(k *Keyring) { k.overlap = d }
}

// WithCreateOnSeal makes Seal create an office's first key when it has
// none, instead of failing with ErrNoActiveKey. For demo mode.
func WithCreateOnSeal() KeyringOption { return func(k *Keyring) { k.createOnSeal = true } }

// NewKeyring returns a keyring over store whose private keys are encrypted
// under a key derived from master.
func NewKeyring(store KeyStore, master MasterKey, opts ...KeyringOption) (*Keyring, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil key store", ErrStore)
	}
	kekBytes, err := master.derive(infoKEK)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kekBytes)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keyring{store: store, kek: aead, master: master, now: time.Now, overlap: DefaultRetiredOverlap,
		signers: map[string]ed25519.PrivateKey{}}
	for _, o := range opts {
		o(k)
	}
	return k, nil
}

// aad binds a blob to its record: moving a blob to another kid, office or
// algorithm makes it fail to decrypt.
func aad(rec KeyRecord) []byte {
	return []byte("sanmian-seal-key\x00" + rec.Kid + "\x00" + rec.Office + "\x00" + rec.Alg)
}

func (k *Keyring) encrypt(rec KeyRecord, seed []byte) ([]byte, error) {
	nonce := make([]byte, k.kek.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{blobVersion}, nonce...)
	return k.kek.Seal(out, nonce, seed, aad(rec)), nil
}

func (k *Keyring) decrypt(rec KeyRecord) (ed25519.PrivateKey, error) {
	ns := k.kek.NonceSize()
	b := rec.EncryptedPrivateKey
	if len(b) < 1+ns || b[0] != blobVersion {
		return nil, fmt.Errorf("%w: %s: unknown blob format", ErrKeyDecrypt, rec.Kid)
	}
	seed, err := k.kek.Open(nil, b[1:1+ns], b[1+ns:], aad(rec))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s", ErrKeyDecrypt, rec.Kid)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(rec.PublicKey)) {
		return nil, fmt.Errorf("%w: %s: public key mismatch", ErrKeyDecrypt, rec.Kid)
	}
	return priv, nil
}

// EnsureOffice returns the kid of office's active key, creating the
// office's first key if it has no active one. Concurrent calls, also from
// other processes sharing the key store, create one key and all return it.
func (k *Keyring) EnsureOffice(ctx context.Context, office string) (string, error) {
	if err := checkOffice(office); err != nil {
		return "", err
	}
	recs, err := k.store.List(ctx, office)
	if err != nil {
		return "", err
	}
	if rec, ok := newestActive(recs); ok {
		return rec.Kid, nil
	}
	return k.create(ctx, office, func(rec KeyRecord) (KeyRecord, error) {
		return k.store.PutActive(ctx, rec)
	})
}

// Rotate gives office a new active key and retires its previous active
// key, which stays in the JWKS until now plus the retired overlap. The key
// store swaps them in one step, so the office always has exactly one
// active key. It returns the new kid.
func (k *Keyring) Rotate(ctx context.Context, office string) (string, error) {
	if err := checkOffice(office); err != nil {
		return "", err
	}
	return k.create(ctx, office, func(rec KeyRecord) (KeyRecord, error) {
		err := k.store.Replace(ctx, rec, k.now().Add(k.overlap).UTC())
		if errors.Is(err, ErrActiveKeyExists) {
			err = fmt.Errorf("%w: %w", ErrKeyExists, err) // a concurrent rotation won: count again
		}
		return rec, err
	})
}

// RevokeKey marks a key revoked (compromised): it leaves the JWKS at once
// and every permit it sealed stops verifying. Rotate the office first if
// the key was its active one.
func (k *Keyring) RevokeKey(ctx context.Context, kid string) error {
	if _, ok := KidOffice(kid); !ok {
		return fmt.Errorf("%w: %s", ErrKeyNotFound, kid)
	}
	if err := k.store.SetStatus(ctx, kid, KeyRevoked, k.now().UTC()); err != nil {
		return err
	}
	k.mu.Lock()
	delete(k.signers, kid)
	k.mu.Unlock()
	return nil
}

// create makes a new active key for office with the next free kid and
// stores it with put, which returns the office's active key afterwards (the
// new key, or the one that a concurrent caller stored when put yields to
// it, possibly under the same kid). When put reports ErrKeyExists (a concurrent caller took the kid) it
// counts again and retries.
func (k *Keyring) create(ctx context.Context, office string, put func(KeyRecord) (KeyRecord, error)) (string, error) {
	now := k.now().UTC()
	for range 8 {
		recs, err := k.store.List(ctx, office)
		if err != nil {
			return "", err
		}
		n := 1
		year := now.In(division.Zone).Year()
		for _, r := range recs {
			if g := kidGeneration(r.Kid, office, year); g >= n {
				n = g + 1
			}
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		rec := KeyRecord{Kid: makeKid(office, now, n), Office: office, Alg: jwk.AlgEdDSA,
			PublicKey: pub, Created: now, Status: KeyActive}
		if rec.EncryptedPrivateKey, err = k.encrypt(rec, priv.Seed()); err != nil {
			return "", err
		}
		cur, err := put(rec)
		if errors.Is(err, ErrKeyExists) {
			continue // another replica took this generation: count again
		}
		if err != nil {
			return "", err
		}
		// Cache the private key only when the store kept this very key. A concurrent caller
		// that counted the same generation stores a different key under the same kid, and put
		// then returns that one: the kid alone does not say whose key won.
		if cur.Kid == rec.Kid && bytes.Equal(cur.PublicKey, rec.PublicKey) {
			k.mu.Lock()
			k.signers[rec.Kid] = priv
			k.mu.Unlock()
		}
		return cur.Kid, nil
	}
	return "", fmt.Errorf("%w: could not allocate a kid for office %s", ErrKeyExists, office)
}

// newestActive returns the active key created last (ties: the later
// generation by year and number, then the greater kid).
func newestActive(recs []KeyRecord) (KeyRecord, bool) {
	var best KeyRecord
	found := false
	for _, r := range recs {
		if r.Status != KeyActive {
			continue
		}
		if !found || newer(r, best) {
			best, found = r, true
		}
	}
	return best, found
}

// newer reports whether a was created after b.
func newer(a, b KeyRecord) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.After(b.Created)
	}
	ay, an := kidOrder(a.Kid)
	by, bn := kidOrder(b.Kid)
	if ay != by {
		return ay > by
	}
	if an != bn {
		return an > bn
	}
	return a.Kid > b.Kid
}

// kidOrder returns the year and number of "<office>-<year>-<n>", zeros
// for another form.
func kidOrder(kid string) (year, n int) {
	parts := strings.Split(kid, "-")
	if len(parts) != 3 {
		return 0, 0
	}
	year, _ = strconv.Atoi(parts[1])
	n, _ = strconv.Atoi(parts[2])
	return year, n
}

// signer returns office's signing key and kid.
func (k *Keyring) signer(ctx context.Context, office string) (string, ed25519.PrivateKey, error) {
	recs, err := k.store.List(ctx, office)
	if err != nil {
		return "", nil, err
	}
	rec, ok := newestActive(recs)
	if !ok {
		if !k.createOnSeal {
			return "", nil, fmt.Errorf("%w: %s", ErrNoActiveKey, office)
		}
		if _, err := k.EnsureOffice(ctx, office); err != nil {
			return "", nil, err
		}
		return k.signer(ctx, office)
	}
	k.mu.Lock()
	priv, cached := k.signers[rec.Kid]
	k.mu.Unlock()
	if cached {
		return rec.Kid, priv, nil
	}
	priv, err = k.decrypt(rec)
	if err != nil {
		return "", nil, err
	}
	k.mu.Lock()
	k.signers[rec.Kid] = priv
	k.mu.Unlock()
	return rec.Kid, priv, nil
}

// published reports whether rec belongs in the JWKS at now.
func published(rec KeyRecord, now time.Time) bool {
	switch rec.Status {
	case KeyActive:
		return rec.NotAfter.IsZero() || now.Before(rec.NotAfter)
	case KeyRetired:
		return now.Before(rec.NotAfter)
	default:
		return false
	}
}

// KeySet returns the public keys of every office that a permit may have
// been sealed with and still verify: active keys and retired keys before
// their not_after, ordered by office then creation.
func (k *Keyring) KeySet(ctx context.Context) (jwk.Set, error) {
	recs, err := k.store.List(ctx, "")
	if err != nil {
		return jwk.Set{}, err
	}
	now := k.now()
	recs = slices.DeleteFunc(recs, func(r KeyRecord) bool { return !published(r, now) })
	slices.SortFunc(recs, func(a, b KeyRecord) int {
		if c := strings.Compare(a.Office, b.Office); c != 0 {
			return c
		}
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Kid, b.Kid)
	})
	keys := make([]jwk.Key, 0, len(recs))
	for _, r := range recs {
		if r.Alg != jwk.AlgEdDSA {
			continue
		}
		key, err := jwk.NewKey(r.Kid, ed25519.PublicKey(r.PublicKey))
		if err != nil {
			return jwk.Set{}, fmt.Errorf("%w: stored key %s: %w", ErrStore, r.Kid, err)
		}
		keys = append(keys, key)
	}
	return jwk.NewSet(keys...)
}

// JWKS returns KeySet as the RFC 7517 document served at
// /.well-known/jwks.json: OKP/Ed25519 keys with kid, "use":"sig",
// "alg":"EdDSA".
func (k *Keyring) JWKS(ctx context.Context) ([]byte, error) {
	set, err := k.KeySet(ctx)
	if err != nil {
		return nil, err
	}
	return set.Marshal()
}

// BindHolder returns the "sub" binding an applicant to permits of office:
// base64url(HMAC-SHA256(office binding key, ID number)), the binding key
// derived from the master secret and the office code. The same person gets
// the same value at one office across key rotations; nobody without the
// master secret can compute it or turn it back into an ID number. idNumber
// must be a valid ID number ('x' is read as 'X').
func (k *Keyring) BindHolder(office, idNumber string) (string, error) {
	if err := checkOffice(office); err != nil {
		return "", err
	}
	idNumber = strings.ToUpper(strings.TrimSpace(idNumber))
	if _, err := ident.ParseIDNumber(idNumber); err != nil {
		return "", fmt.Errorf("%w: holder: %w", ErrClaims, err)
	}
	key, err := k.master.derive(infoBinding + office)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(idNumber))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// HolderMatches reports whether idNumber is the holder bound in sub by
// office (a counter checking the person in front of it), in constant time.
func (k *Keyring) HolderMatches(office, sub, idNumber string) bool {
	want, err := k.BindHolder(office, idNumber)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(want), []byte(sub))
}

// Signer returns office's newest active key as a crypto.Signer, with its kid, for what the
// office signs besides permits (the hub's audit checkpoints, signed by the district office).
// The key is created first when the keyring creates keys on demand.
func (k *Keyring) Signer(ctx context.Context, office string) (string, crypto.Signer, error) {
	if err := checkOffice(office); err != nil {
		return "", nil, err
	}
	kid, priv, err := k.signer(ctx, office)
	if err != nil {
		return "", nil, err
	}
	return kid, priv, nil
}
