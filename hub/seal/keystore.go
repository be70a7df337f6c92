package seal

import (
	"context"
	"os"
	"time"
)

// KeyStatus is the life-cycle state of a sealing key.
type KeyStatus string

// Key states. An active key seals; a retired key only verifies, and stays
// in the JWKS until its NotAfter; a revoked key (compromised) leaves the
// JWKS at once, so permits it sealed no longer verify.
const (
	KeyActive  KeyStatus = "active"
	KeyRetired KeyStatus = "retired"
	KeyRevoked KeyStatus = "revoked"
)

// KeyRecord is one sealing key as stored. The private key is only ever
// stored encrypted (see Keyring).
type KeyRecord struct {
	Kid                 string    `json:"kid"`
	Office              string    `json:"office"`
	Alg                 string    `json:"alg"`                   // "EdDSA"
	PublicKey           []byte    `json:"public_key"`            // 32-byte Ed25519 public key
	EncryptedPrivateKey []byte    `json:"encrypted_private_key"` // AES-256-GCM blob of the 32-byte seed
	Created             time.Time `json:"created"`
	NotAfter            time.Time `json:"not_after,omitzero"` // zero while active: no end set
	Status              KeyStatus `json:"status"`
}

// KeyStore persists sealing keys. hub/store implements it on SQLite and
// PostgreSQL (the hub keeps its keys in its store). Methods are safe for
// concurrent use, also across processes sharing one store. An office has at
// most one active key: the store enforces it (for hub processes sharing one
// database, with a unique index), so concurrent first keys or rotations of an
// office cannot leave it with several.
type KeyStore interface {
	// Put adds a key; it returns an error wrapping ErrKeyExists when the
	// kid is taken (Put never overwrites), and ErrActiveKeyExists when rec
	// is active and its office already has an active key.
	Put(ctx context.Context, rec KeyRecord) error
	// PutActive adds rec, an active key, unless its office already has an
	// active key, and returns the office's active key: rec when it was
	// added. Concurrent calls for one office add one key. ErrKeyExists when
	// the kid is taken.
	PutActive(ctx context.Context, rec KeyRecord) (KeyRecord, error)
	// Replace adds rec as its office's active key and retires the office's
	// other active keys (not_after notAfter), in one step: the office never
	// has none or two. ErrKeyExists when the kid is taken,
	// ErrActiveKeyExists when a concurrent Replace activated another key
	// first (call again).
	Replace(ctx context.Context, rec KeyRecord, notAfter time.Time) error
	// List returns the keys of office, or of every office when office is
	// "", in any order.
	List(ctx context.Context, office string) ([]KeyRecord, error)
	// SetStatus changes a key's status and not_after; it returns an error
	// wrapping ErrKeyNotFound for an unknown kid.
	SetStatus(ctx context.Context, kid string, status KeyStatus, notAfter time.Time) error
}

// writeTemp writes data to a new temporary file in dir (mode 0600, synced to disk), then
// calls place with its name to move it where it belongs; the temporary name never remains.
func writeTemp(dir string, data []byte, place func(tmp string) error) error {
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return place(tmp.Name())
}
