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

// DefaultKeysFile is where the tests keep FileKeyStore's file,
// relative to a temporary directory.
const DefaultKeysFile = "keys/seal-keys.json"

// FileKeyStore is a KeyStore in one JSON file (mode 0600), for this package's tests. Every change
// rewrites the file atomically (temporary file, fsync, rename, fsync of the
// directory) under an exclusive advisory lock on a side file, so several
// processes may share it. The hub keeps its keys in its store instead.
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
