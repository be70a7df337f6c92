package store

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"
)

// CheckpointSigner returns the key that signs audit checkpoints (the district office's
// sealing key) and its kid.
type CheckpointSigner func(ctx context.Context) (kid string, signer crypto.Signer, err error)

// AuditPublicKeys returns every office key ever stored, by kid, for verifying audit
// checkpoints (also those signed with keys since retired).
func AuditPublicKeys(ctx context.Context, st Store) (map[string]crypto.PublicKey, error) {
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

// WriteCheckpoint signs the audit chain's head with sign's key unless the newest checkpoint
// already covers it. It reports whether a checkpoint was written.
func WriteCheckpoint(ctx context.Context, st Store, sign CheckpointSigner) (bool, error) {
	last, err := st.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	head, err := st.ListAudit(ctx, last.Seq, 1)
	if err != nil || len(head) == 0 {
		return false, err
	}
	kid, signer, err := sign(ctx)
	if err != nil {
		return false, err
	}
	_, err = st.Checkpoint(ctx, signer, kid)
	return err == nil, err
}

// Checkpointer signs the head of the audit chain every interval when the chain has grown,
// and once more when closed. Start it with StartCheckpointer; Close stops it.
type Checkpointer struct {
	store    Store
	sign     CheckpointSigner
	interval time.Duration
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
}

// StartCheckpointer starts a Checkpointer over st, signing with sign every interval.
func StartCheckpointer(st Store, sign CheckpointSigner, interval time.Duration, log *slog.Logger) *Checkpointer {
	c := &Checkpointer{store: st, sign: sign, interval: interval, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *Checkpointer) run() {
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
func (c *Checkpointer) once(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := WriteCheckpoint(ctx, c.store, c.sign); err != nil {
		c.log.Error("audit checkpoint", "error", err)
	}
}

// Close writes a last checkpoint and stops the Checkpointer. Call it once.
func (c *Checkpointer) Close() error {
	close(c.stop)
	<-c.done
	return nil
}
