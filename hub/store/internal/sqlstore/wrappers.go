package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sanmian/hub/store"
)

// The Writer methods of DB each run in their own transaction on the writer pool.

func (db *DB) do(ctx context.Context, fn func(w *writer) error) error {
	return db.Tx(ctx, func(t store.Txn) error { return fn(t.(*writer)) })
}

// CreateApplication implements store.Writer.
func (db *DB) CreateApplication(ctx context.Context, a *store.Application) error {
	return db.do(ctx, func(w *writer) error { return w.CreateApplication(ctx, a) })
}

// UpdateApplication implements store.Writer.
func (db *DB) UpdateApplication(ctx context.Context, a *store.Application, expectedVersion int64) error {
	return db.do(ctx, func(w *writer) error { return w.UpdateApplication(ctx, a, expectedVersion) })
}

// AddReview implements store.Writer.
func (db *DB) AddReview(ctx context.Context, r *store.Review) error {
	return db.do(ctx, func(w *writer) error { return w.AddReview(ctx, r) })
}

// AddConfirmation implements store.Writer.
func (db *DB) AddConfirmation(ctx context.Context, c *store.Confirmation) error {
	return db.do(ctx, func(w *writer) error { return w.AddConfirmation(ctx, c) })
}

// InsertDecision implements store.Writer.
func (db *DB) InsertDecision(ctx context.Context, d *store.Decision) error {
	return db.do(ctx, func(w *writer) error { return w.InsertDecision(ctx, d) })
}

// AllocateStatusIndex implements store.Writer.
func (db *DB) AllocateStatusIndex(ctx context.Context) (i int64, err error) {
	err = db.do(ctx, func(w *writer) (err error) { i, err = w.AllocateStatusIndex(ctx); return err })
	return i, err
}

// InsertPermit implements store.Writer.
func (db *DB) InsertPermit(ctx context.Context, p *store.Permit) error {
	return db.do(ctx, func(w *writer) error { return w.InsertPermit(ctx, p) })
}

// RevokePermit implements store.Writer.
func (db *DB) RevokePermit(ctx context.Context, id, reason string) error {
	return db.do(ctx, func(w *writer) error { return w.RevokePermit(ctx, id, reason) })
}

// ReserveIdempotency implements store.Writer. Outside Store.Tx the reservation commits on its
// own; prefer reserving inside the transaction that makes the change.
func (db *DB) ReserveIdempotency(ctx context.Context, caller store.Caller, key, requestHash string) (rec *store.IdempotencyRecord, err error) {
	err = db.do(ctx, func(w *writer) (err error) {
		rec, err = w.ReserveIdempotency(ctx, caller, key, requestHash)
		return err
	})
	return rec, err
}

// CompleteIdempotency implements store.Writer.
func (db *DB) CompleteIdempotency(ctx context.Context, caller store.Caller, key string, status int, body []byte) error {
	return db.do(ctx, func(w *writer) error { return w.CompleteIdempotency(ctx, caller, key, status, body) })
}

// AppendAudit implements store.Writer.
func (db *DB) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	return db.do(ctx, func(w *writer) error { return w.AppendAudit(ctx, e) })
}

// RecordDataUse implements store.Writer.
func (db *DB) RecordDataUse(ctx context.Context, u *store.DataUse) error {
	return db.do(ctx, func(w *writer) error { return w.RecordDataUse(ctx, u) })
}

// PutOfficeKey implements store.Writer. A key whose kid is taken and whose office has an
// active key violates two constraints, and backends differ in which they report first: the
// taken kid wins here.
func (db *DB) PutOfficeKey(ctx context.Context, k *store.OfficeKey) error {
	err := db.do(ctx, func(w *writer) error { return w.PutOfficeKey(ctx, k) })
	if errors.Is(err, store.ErrActiveKeyExists) {
		if _, gerr := db.GetOfficeKey(ctx, k.KID); gerr == nil {
			return fmt.Errorf("insert office key %s: %w", k.KID, store.ErrConflict)
		}
	}
	return err
}

// EnsureActiveOfficeKey implements store.Writer.
func (db *DB) EnsureActiveOfficeKey(ctx context.Context, k *store.OfficeKey) (cur store.OfficeKey, err error) {
	err = db.do(ctx, func(w *writer) (err error) { cur, err = w.EnsureActiveOfficeKey(ctx, k); return err })
	return cur, err
}

// SetOfficeKeyStatus implements store.Writer.
func (db *DB) SetOfficeKeyStatus(ctx context.Context, kid string, status store.KeyStatus, notAfter time.Time) error {
	return db.do(ctx, func(w *writer) error { return w.SetOfficeKeyStatus(ctx, kid, status, notAfter) })
}
