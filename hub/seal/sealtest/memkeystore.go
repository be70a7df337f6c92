package sealtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sanmian/hub/seal"
)

// MemKeyStore is a seal.KeyStore in memory, for tests outside the hub's stores. The zero
// value is an empty store; it is safe for concurrent use within one process.
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
	for _, r := range s.keys {
		if r.Kid == rec.Kid {
			return fmt.Errorf("%w: %s", seal.ErrKeyExists, rec.Kid)
		}
	}
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

// SetStatus implements seal.KeyStore.
func (s *MemKeyStore) SetStatus(ctx context.Context, kid string, status seal.KeyStatus, notAfter time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.keys {
		if s.keys[i].Kid == kid {
			s.keys[i].Status, s.keys[i].NotAfter = status, notAfter
			return nil
		}
	}
	return fmt.Errorf("%w: %s", seal.ErrKeyNotFound, kid)
}
