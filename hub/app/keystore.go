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
	err := k.s.PutOfficeKey(ctx, &store.OfficeKey{KID: rec.Kid, Office: rec.Office, Algorithm: rec.Alg,
		PublicKey: rec.PublicKey, EncryptedPrivateKey: rec.EncryptedPrivateKey, CreatedAt: rec.Created,
		NotAfter: rec.NotAfter, Status: store.KeyStatus(rec.Status)})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %s", seal.ErrKeyExists, rec.Kid)
	}
	return err
}

func (k storeKeyStore) List(ctx context.Context, office string) ([]seal.KeyRecord, error) {
	keys, err := k.s.ListOfficeKeys(ctx, office)
	if err != nil {
		return nil, err
	}
	out := make([]seal.KeyRecord, 0, len(keys))
	for _, r := range keys {
		out = append(out, seal.KeyRecord{Kid: r.KID, Office: r.Office, Alg: r.Algorithm, PublicKey: r.PublicKey,
			EncryptedPrivateKey: r.EncryptedPrivateKey, Created: r.CreatedAt, NotAfter: r.NotAfter, Status: seal.KeyStatus(r.Status)})
	}
	return out, nil
}

func (k storeKeyStore) SetStatus(ctx context.Context, kid string, status seal.KeyStatus, notAfter time.Time) error {
	err := k.s.SetOfficeKeyStatus(ctx, kid, store.KeyStatus(status), notAfter)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", seal.ErrKeyNotFound, kid)
	}
	return err
}
