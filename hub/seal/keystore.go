package seal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
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
// PostgreSQL; FileKeyStore is the file-backed implementation. Methods are
// safe for concurrent use, also across processes sharing one store.
// An office has at most one active key: the store enforces it (for hub
// processes sharing one database, with a unique index), so concurrent
// first keys or rotations of an office cannot leave it with several.
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

// DefaultKeysFile is where the demo layout keeps FileKeyStore's file,
// relative to the data directory.
const DefaultKeysFile = "keys/seal-keys.json"

// FileKeyStore is a KeyStore in one JSON file (mode 0600). Every change
// rewrites the file atomically (temporary file, fsync, rename, fsync of the
// directory) under an exclusive advisory lock on a side file, so several
// processes may share it. Suited to the demo and to small deployments.
type FileKeyStore struct {
	path string
	mu   sync.Mutex
}

var _ KeyStore = (*FileKeyStore)(nil)

// OpenFileKeyStore returns a store kept at path, creating its directory
// (0700) if needed; the file itself appears on the first Put.
func OpenFileKeyStore(path string) (*FileKeyStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return &FileKeyStore{path: path}, nil
}

type keyFile struct {
	Keys []KeyRecord `json:"keys"`
}

// Put implements KeyStore.
func (s *FileKeyStore) Put(ctx context.Context, rec KeyRecord) error {
	return s.update(ctx, func(f *keyFile) error {
		if err := f.check(rec); err != nil {
			return err
		}
		if _, ok := f.active(rec.Office); ok && rec.Status == KeyActive {
			return fmt.Errorf("%w: %s", ErrActiveKeyExists, rec.Office)
		}
		f.Keys = append(f.Keys, rec)
		return nil
	})
}

// PutActive implements KeyStore.
func (s *FileKeyStore) PutActive(ctx context.Context, rec KeyRecord) (KeyRecord, error) {
	rec.Status = KeyActive
	out := rec
	err := s.update(ctx, func(f *keyFile) error {
		if cur, ok := f.active(rec.Office); ok {
			out = cur
			return errUnchanged
		}
		if err := f.check(rec); err != nil {
			return err
		}
		f.Keys = append(f.Keys, rec)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	return out, err
}

// Replace implements KeyStore.
func (s *FileKeyStore) Replace(ctx context.Context, rec KeyRecord, notAfter time.Time) error {
	rec.Status = KeyActive
	return s.update(ctx, func(f *keyFile) error {
		if err := f.check(rec); err != nil {
			return err
		}
		for i := range f.Keys {
			if f.Keys[i].Office == rec.Office && f.Keys[i].Status == KeyActive {
				f.Keys[i].Status, f.Keys[i].NotAfter = KeyRetired, notAfter
			}
		}
		f.Keys = append(f.Keys, rec)
		return nil
	})
}

// errUnchanged ends an update without writing the file.
var errUnchanged = errors.New("unchanged")

// check returns ErrKeyExists when rec's kid is taken.
func (f *keyFile) check(rec KeyRecord) error {
	for _, r := range f.Keys {
		if r.Kid == rec.Kid {
			return fmt.Errorf("%w: %s", ErrKeyExists, rec.Kid)
		}
	}
	return nil
}

// active returns office's active key.
func (f *keyFile) active(office string) (KeyRecord, bool) {
	for _, r := range f.Keys {
		if r.Office == office && r.Status == KeyActive {
			return r, true
		}
	}
	return KeyRecord{}, false
}

// SetStatus implements KeyStore; activating a key of an office that has
// another active key is ErrActiveKeyExists.
func (s *FileKeyStore) SetStatus(ctx context.Context, kid string, status KeyStatus, notAfter time.Time) error {
	return s.update(ctx, func(f *keyFile) error {
		for i := range f.Keys {
			if f.Keys[i].Kid == kid {
				if cur, ok := f.active(f.Keys[i].Office); ok && status == KeyActive && cur.Kid != kid {
					return fmt.Errorf("%w: %s", ErrActiveKeyExists, cur.Office)
				}
				f.Keys[i].Status, f.Keys[i].NotAfter = status, notAfter
				return nil
			}
		}
		return fmt.Errorf("%w: %s", ErrKeyNotFound, kid)
	})
}

// List implements KeyStore.
func (s *FileKeyStore) List(ctx context.Context, office string) ([]KeyRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path+".lock", false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	defer unlock()
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	if office == "" {
		return f.Keys, nil
	}
	return slices.DeleteFunc(f.Keys, func(r KeyRecord) bool { return r.Office != office }), nil
}

func (s *FileKeyStore) update(ctx context.Context, change func(*keyFile) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path+".lock", true)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	defer unlock()
	f, err := s.read()
	if err != nil {
		return err
	}
	if err := change(&f); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := writeAtomic(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

func (s *FileKeyStore) read() (keyFile, error) {
	var f keyFile
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("%w: %s is not a key file", ErrStore, s.path)
	}
	return f, nil
}

// writeAtomic replaces path with data (mode 0600) so that readers see the
// old or the new content, never a part, also after a crash.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	return writeTemp(dir, data, func(tmp string) error {
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		d, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	})
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
