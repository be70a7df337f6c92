package sealtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sanmian/hub/seal"
)

// MemKeyStore is a seal.KeyStore in memory, for tests outside the hub's stores. The zero
// value is an empty store; it is safe for concurrent use within one process. Like the hub's
// stores it keeps at most one active key per office.
type MemKeyStore struct {
	mu   sync.Mutex
	keys []seal.KeyRecord
}

var _ seal.KeyStore = (*MemKeyStore)(nil)

// Put implements seal.KeyStore.
func (s *MemKeyStore) Put(ctx context.Context, rec seal.KeyRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(rec); err != nil {
		return err
	}
	if _, ok := s.active(rec.Office); ok && rec.Status == seal.KeyActive {
		return fmt.Errorf("%w: %s", seal.ErrActiveKeyExists, rec.Office)
	}
	s.keys = append(s.keys, rec)
	return nil
}

// PutActive implements seal.KeyStore.
func (s *MemKeyStore) PutActive(ctx context.Context, rec seal.KeyRecord) (seal.KeyRecord, error) {
	if err := ctx.Err(); err != nil {
		return seal.KeyRecord{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.active(rec.Office); ok {
		return cur, nil
	}
	if err := s.check(rec); err != nil {
		return seal.KeyRecord{}, err
	}
	rec.Status = seal.KeyActive
	s.keys = append(s.keys, rec)
	return rec, nil
}

// Replace implements seal.KeyStore.
func (s *MemKeyStore) Replace(ctx context.Context, rec seal.KeyRecord, notAfter time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(rec); err != nil {
		return err
	}
	for i := range s.keys {
		if s.keys[i].Office == rec.Office && s.keys[i].Status == seal.KeyActive {
			s.keys[i].Status, s.keys[i].NotAfter = seal.KeyRetired, notAfter
		}
	}
	rec.Status = seal.KeyActive
	s.keys = append(s.keys, rec)
	return nil
}

// List implements seal.KeyStore.
func (s *MemKeyStore) List(ctx context.Context, office string) ([]seal.KeyRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seal.KeyRecord
	for _, r := range s.keys {
		if office == "" || r.Office == office {
			out = append(out, r)
		}
	}
	return out, nil
}

// SetStatus implements seal.KeyStore; activating a key of an office that has another active
// key is seal.ErrActiveKeyExists.
func (s *MemKeyStore) SetStatus(ctx context.Context, kid string, status seal.KeyStatus, notAfter time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.keys {
		if s.keys[i].Kid == kid {
			if cur, ok := s.active(s.keys[i].Office); ok && status == seal.KeyActive && cur.Kid != kid {
				return fmt.Errorf("%w: %s", seal.ErrActiveKeyExists, cur.Office)
			}
			s.keys[i].Status, s.keys[i].NotAfter = status, notAfter
			return nil
		}
	}
	return fmt.Errorf("%w: %s", seal.ErrKeyNotFound, kid)
}

// check returns seal.ErrKeyExists when rec's kid is taken. The caller holds s.mu.
func (s *MemKeyStore) check(rec seal.KeyRecord) error {
	for _, r := range s.keys {
		if r.Kid == rec.Kid {
			return fmt.Errorf("%w: %s", seal.ErrKeyExists, rec.Kid)
		}
	}
	return nil
}

// active returns office's active key. The caller holds s.mu.
func (s *MemKeyStore) active(office string) (seal.KeyRecord, bool) {
	for _, r := range s.keys {
		if r.Office == office && r.Status == seal.KeyActive {
			return r, true
		}
	}
	return seal.KeyRecord{}, false
}
