package app

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/seal"
	"sanmian/hub/store"
)

// AuditPublicKeys returns every office key ever stored, by kid, for verifying audit
// checkpoints (also those signed with keys since retired).
func AuditPublicKeys(ctx context.Context, st store.Store) (map[string]crypto.PublicKey, error) {
	keys, err := st.ListOfficeKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]crypto.PublicKey, len(keys))
	for _, k := range keys {
		if len(k.PublicKey) == ed25519.PublicKeySize {
			out[k.KID] = ed25519.PublicKey(k.PublicKey)
		}
	}
	return out, nil
}

// checkpointer signs the head of the audit chain with the district office's key every
// interval when the chain has grown, and once more when stopped.
type checkpointer struct {
	store    store.Store
	keys     *seal.Keyring
	interval time.Duration
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
}

func startCheckpointer(st store.Store, keys *seal.Keyring, interval time.Duration, log *slog.Logger) *checkpointer {
	c := &checkpointer{store: st, keys: keys, interval: interval, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			c.once(context.Background())
			return
		case <-t.C:
			c.once(context.Background())
		}
	}
}

// once writes a checkpoint when entries were appended since the last one.
func (c *checkpointer) once(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := Checkpoint(ctx, c.store, c.keys); err != nil {
		c.log.Error("audit checkpoint", "error", err)
	}
}

// Checkpoint signs the audit chain's head with the district office key unless the newest
// checkpoint already covers it. It reports whether a checkpoint was written.
func Checkpoint(ctx context.Context, st store.Store, keys *seal.Keyring) (bool, error) {
	last, err := st.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	head, err := st.ListAudit(ctx, last.Seq, 1)
	if err != nil || len(head) == 0 {
		return false, err
	}
	kid, signer, err := keys.Signer(ctx, division.DistrictCode)
	if err != nil {
		return false, err
	}
	_, err = st.Checkpoint(ctx, signer, kid)
	return err == nil, err
}

func (c *checkpointer) Close() error {
	close(c.stop)
	<-c.done
	return nil
}
