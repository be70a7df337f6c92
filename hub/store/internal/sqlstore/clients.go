package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"sanmian/hub/store"
)

const (
	clientCols       = "id, name, uscc, items, actions, rate_limit, burst, webhook_url, status, created_at, revoked_at, created_by"
	clientSecretCols = "id, client_id, hash, created_at, expires_at"
)

func scanClient(s scanner) (store.Client, error) {
	var c store.Client
	var items, actions, status string
	var revoked sql.NullTime
	err := s.Scan(&c.ID, &c.Name, &c.USCC, &items, &actions, &c.RateLimit, &c.Burst, &c.WebhookURL, &status, &c.CreatedAt, &revoked, &c.CreatedBy)
	if err != nil {
		return c, wrap("read client", err)
	}
	if err := json.Unmarshal([]byte(items), &c.Items); err != nil {
		return c, wrap("read client items", err)
	}
	if err := json.Unmarshal([]byte(actions), &c.Actions); err != nil {
		return c, wrap("read client actions", err)
	}
	c.Status, c.CreatedAt, c.RevokedAt = store.ClientStatus(status), c.CreatedAt.UTC(), fromNull(revoked)
	return c, nil
}

func scanClientSecret(s scanner) (store.ClientSecret, error) {
	var cs store.ClientSecret
	var exp sql.NullTime
	err := s.Scan(&cs.ID, &cs.ClientID, &cs.Hash, &cs.CreatedAt, &exp)
	cs.CreatedAt, cs.ExpiresAt = cs.CreatedAt.UTC(), fromNull(exp)
	return cs, wrap("read client secret", err)
}

// GetClient implements store.ClientReader.
func (r reader) GetClient(ctx context.Context, id string) (store.Client, error) {
	return scanClient(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+clientCols+` FROM clients WHERE id = ?`), id))
}

// ListClients implements store.ClientReader.
func (r reader) ListClients(ctx context.Context) ([]store.Client, error) {
	return collect(ctx, r, `SELECT `+clientCols+` FROM clients ORDER BY created_at, id`, nil, scanClient)
}

// ListClientSecrets implements store.ClientReader.
func (r reader) ListClientSecrets(ctx context.Context, clientID string) ([]store.ClientSecret, error) {
	return collect(ctx, r, `SELECT `+clientSecretCols+` FROM client_secrets WHERE client_id = ? ORDER BY created_at, id`,
		[]any{clientID}, scanClientSecret)
}

// CreateClient implements store.ClientWriter.
func (w *writer) CreateClient(ctx context.Context, c *store.Client, s *store.ClientSecret) error {
	if c.ID == "" || c.Name == "" || s.ID == "" || s.Hash == "" {
		return fmt.Errorf("%w: client id, name, secret id and hash are required", store.ErrInvalid)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt, c.Status, c.RevokedAt = store.NormTime(c.CreatedAt), store.ClientActive, time.Time{}
	if c.Items == nil {
		c.Items = []string{}
	}
	if c.Actions == nil {
		c.Actions = []string{}
	}
	items, _ := json.Marshal(c.Items)
	actions, _ := json.Marshal(c.Actions)
	_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO clients (`+clientCols+`) VALUES `+placeholders(12)),
		c.ID, c.Name, c.USCC, string(items), string(actions), c.RateLimit, c.Burst, c.WebhookURL, string(c.Status), c.CreatedAt, nil, c.CreatedBy)
	if err := w.uniqueErr("insert client", err, "", nil); err != nil {
		return err
	}
	s.ClientID = c.ID
	return w.insertSecret(ctx, s)
}

func (w *writer) insertSecret(ctx context.Context, s *store.ClientSecret) error {
	if s.ID == "" || s.Hash == "" {
		return fmt.Errorf("%w: secret id and hash are required", store.ErrInvalid)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now()
	}
	s.CreatedAt, s.ExpiresAt = store.NormTime(s.CreatedAt), store.NormTime(s.ExpiresAt)
	_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO client_secrets (`+clientSecretCols+`) VALUES `+placeholders(5)),
		s.ID, s.ClientID, s.Hash, s.CreatedAt, nullTime(s.ExpiresAt))
	return w.uniqueErr("insert client secret", err, "", nil)
}

// AddClientSecret implements store.ClientWriter.
func (w *writer) AddClientSecret(ctx context.Context, s *store.ClientSecret) error {
	var one int
	if err := w.q.QueryRowContext(ctx, w.d.SQL(`SELECT 1 FROM clients WHERE id = ?`), s.ClientID).Scan(&one); err != nil {
		return wrap("client "+s.ClientID, err)
	}
	return w.insertSecret(ctx, s)
}

// ExpireClientSecrets implements store.ClientWriter.
func (w *writer) ExpireClientSecrets(ctx context.Context, clientID, keepID string, at time.Time) (int64, error) {
	at = store.NormTime(at)
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE client_secrets SET expires_at = ?
		WHERE client_id = ? AND id <> ? AND (expires_at IS NULL OR expires_at > ?)`), at, clientID, keepID, at))
	return n, wrap("expire client secrets", err)
}

// RetireClientSecret implements store.ClientWriter.
func (w *writer) RetireClientSecret(ctx context.Context, clientID, secretID string, at time.Time) error {
	at = store.NormTime(at)
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE client_secrets SET expires_at = ?
		WHERE client_id = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)`), at, clientID, secretID, at))
	if err != nil {
		return wrap("retire client secret", err)
	}
	if n == 0 {
		var one int
		err := w.q.QueryRowContext(ctx, w.d.SQL(`SELECT 1 FROM client_secrets WHERE client_id = ? AND id = ?`), clientID, secretID).Scan(&one)
		return wrap("client secret "+secretID, err) // nil: already ended earlier
	}
	return nil
}

// RevokeClient implements store.ClientWriter.
func (w *writer) RevokeClient(ctx context.Context, id string, at time.Time) error {
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE clients SET status = ?, revoked_at = ? WHERE id = ? AND status <> ?`),
		string(store.ClientRevoked), store.NormTime(at), id, string(store.ClientRevoked)))
	if err != nil {
		return wrap("revoke client", err)
	}
	if n == 0 {
		var one int
		err := w.q.QueryRowContext(ctx, w.d.SQL(`SELECT 1 FROM clients WHERE id = ?`), id).Scan(&one)
		if err != nil {
			return wrap("client "+id, err)
		}
	}
	return w.endSubscriptions(ctx, id)
}

// CreateClient implements store.ClientWriter.
func (db *DB) CreateClient(ctx context.Context, c *store.Client, s *store.ClientSecret) error {
	return db.do(ctx, func(w *writer) error { return w.CreateClient(ctx, c, s) })
}

// AddClientSecret implements store.ClientWriter.
func (db *DB) AddClientSecret(ctx context.Context, s *store.ClientSecret) error {
	return db.do(ctx, func(w *writer) error { return w.AddClientSecret(ctx, s) })
}

// ExpireClientSecrets implements store.ClientWriter.
func (db *DB) ExpireClientSecrets(ctx context.Context, clientID, keepID string, at time.Time) (n int64, err error) {
	err = db.do(ctx, func(w *writer) (err error) { n, err = w.ExpireClientSecrets(ctx, clientID, keepID, at); return err })
	return n, err
}

// RetireClientSecret implements store.ClientWriter.
func (db *DB) RetireClientSecret(ctx context.Context, clientID, secretID string, at time.Time) error {
	return db.do(ctx, func(w *writer) error { return w.RetireClientSecret(ctx, clientID, secretID, at) })
}

// RevokeClient implements store.ClientWriter.
func (db *DB) RevokeClient(ctx context.Context, id string, at time.Time) error {
	return db.do(ctx, func(w *writer) error { return w.RevokeClient(ctx, id, at) })
}
