package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sanmian/hub/seal"
	"sanmian/hub/store"
)

// storeKeyStore keeps the sealing keys in the hub's store, so every hub process sharing one
// PostgreSQL seals with the same office keys and publishes the same JWKS.
type storeKeyStore struct{ s store.Store }

var _ seal.KeyStore = storeKeyStore{}

func (k storeKeyStore) Put(ctx context.Context, rec seal.KeyRecord) error {
	return keyErr(k.s.PutOfficeKey(ctx, officeKey(rec)), rec.Kid)
}

func (k storeKeyStore) PutActive(ctx context.Context, rec seal.KeyRecord) (seal.KeyRecord, error) {
	cur, err := k.s.EnsureActiveOfficeKey(ctx, officeKey(rec))
	if err != nil {
		return seal.KeyRecord{}, keyErr(err, rec.Kid)
	}
	return keyRecord(cur), nil
}

func (k storeKeyStore) Replace(ctx context.Context, rec seal.KeyRecord, notAfter time.Time) error {
	err := k.s.Tx(ctx, func(tx store.Txn) error {
		keys, err := tx.ListOfficeKeys(ctx, rec.Office)
		if err != nil {
			return err
		}
		for _, old := range keys {
			if old.Status == store.KeyActive {
				if err := tx.SetOfficeKeyStatus(ctx, old.KID, store.KeyRetired, notAfter); err != nil {
					return err
				}
			}
		}
		nk := officeKey(rec)
		nk.Status = store.KeyActive
		return tx.PutOfficeKey(ctx, nk)
	})
	return keyErr(err, rec.Kid)
}

// keyErr maps the store's key errors to the seal package's.
func keyErr(err error, kid string) error {
	switch {
	case errors.Is(err, store.ErrActiveKeyExists):
		return fmt.Errorf("%w: %s", seal.ErrActiveKeyExists, kid)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%w: %s", seal.ErrKeyExists, kid)
	}
	return err
}

func officeKey(rec seal.KeyRecord) *store.OfficeKey {
	return &store.OfficeKey{KID: rec.Kid, Office: rec.Office, Algorithm: rec.Alg,
		PublicKey: rec.PublicKey, EncryptedPrivateKey: rec.EncryptedPrivateKey, CreatedAt: rec.Created,
		NotAfter: rec.NotAfter, Status: store.KeyStatus(rec.Status)}
}

func keyRecord(r store.OfficeKey) seal.KeyRecord {
	return seal.KeyRecord{Kid: r.KID, Office: r.Office, Alg: r.Algorithm, PublicKey: r.PublicKey,
		EncryptedPrivateKey: r.EncryptedPrivateKey, Created: r.CreatedAt, NotAfter: r.NotAfter, Status: seal.KeyStatus(r.Status)}
}

func (k storeKeyStore) List(ctx context.Context, office string) ([]seal.KeyRecord, error) {
	keys, err := k.s.ListOfficeKeys(ctx, office)
	if err != nil {
		return nil, err
	}
	out := make([]seal.KeyRecord, 0, len(keys))
	for _, r := range keys {
		out = append(out, keyRecord(r))
	}
	return out, nil
}

func (k storeKeyStore) SetStatus(ctx context.Context, kid string, status seal.KeyStatus, notAfter time.Time) error {
	err := k.s.SetOfficeKeyStatus(ctx, kid, store.KeyStatus(status), notAfter)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", seal.ErrKeyNotFound, kid)
	}
	return keyErr(err, kid)
}
