package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/store"
)

// Webhook subscriptions, the event outbox and its deliveries (store.Webhooks).

const (
	subscriptionCols = "id, subscriber, url, secret, event_types, items, active, created_at"
	deliveryCols     = "id, event_id, subscription_id, state, attempts, next_at, last_status, last_error, updated_at"
)

var _ store.Webhooks = (*DB)(nil)

// joinSet stores a filter list as ",a,b," ("" for none), so membership is one LIKE.
func joinSet(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return "," + strings.Join(list, ",") + ","
}

func splitSet(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// likeMember is the LIKE pattern (escape character \) matching v as a member of a joinSet.
func likeMember(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%," + r.Replace(v) + ",%"
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func scanSubscription(s scanner) (store.Subscription, error) {
	var sub store.Subscription
	var types, items string
	err := s.Scan(&sub.ID, &sub.Subscriber, &sub.URL, &sub.Secret, &types, &items, &sub.Active, &sub.CreatedAt)
	sub.EventTypes, sub.Items, sub.CreatedAt = splitSet(types), splitSet(items), sub.CreatedAt.UTC()
	return sub, err
}

func scanDelivery(s scanner) (store.Delivery, error) {
	var d store.Delivery
	var next int64
	var state string
	err := s.Scan(&d.ID, &d.EventID, &d.SubscriptionID, &state, &d.Attempts, &next, &d.LastStatus, &d.LastError, &d.UpdatedAt)
	d.State, d.NextAt, d.UpdatedAt = store.DeliveryState(state), fromMillis(next), d.UpdatedAt.UTC()
	return d, err
}

// checkSet refuses filter values that would break the stored list form.
func checkSet(field string, list []string) error {
	for _, v := range list {
		if v == "" || strings.Contains(v, ",") {
			return fmt.Errorf("%w: %s: %q", store.ErrInvalid, field, v)
		}
	}
	return nil
}

// CreateSubscription implements store.Webhooks.
func (db *DB) CreateSubscription(ctx context.Context, s *store.Subscription) error {
	return db.do(ctx, func(w *writer) error { return w.CreateSubscription(ctx, s) })
}

// CreateSubscription implements store.Writer.
func (w *writer) CreateSubscription(ctx context.Context, s *store.Subscription) error {
	if err := checkSet("event types", s.EventTypes); err != nil {
		return err
	}
	if err := checkSet("items", s.Items); err != nil {
		return err
	}
	if s.ID == "" {
		s.ID = store.NewID()
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = store.Now()
	}
	s.CreatedAt = store.NormTime(s.CreatedAt)
	_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO webhook_subscriptions (`+subscriptionCols+`) VALUES `+placeholders(8)),
		s.ID, s.Subscriber, s.URL, s.Secret, joinSet(s.EventTypes), joinSet(s.Items), s.Active, s.CreatedAt)
	if isUnique(w.d, err) {
		return fmt.Errorf("insert subscription %s: %w", s.ID, store.ErrConflict)
	}
	return wrap("insert subscription", err)
}

// endSubscriptions deactivates the subscriber's subscriptions and dead-letters their pending
// deliveries (last error ClientRevokedError), releasing any lease: a worker holding one loses
// it.
func (w *writer) endSubscriptions(ctx context.Context, subscriber string) error {
	if _, err := w.q.ExecContext(ctx, w.d.SQL(`UPDATE webhook_deliveries
		SET state = 'dead', claimed_until = 0, claim_token = '', last_error = ?, updated_at = ?
		WHERE state = 'pending' AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE subscriber = ?)`),
		store.ClientRevokedError, store.Now(), subscriber); err != nil {
		return wrap("end deliveries", err)
	}
	_, err := w.q.ExecContext(ctx, w.d.SQL(`UPDATE webhook_subscriptions SET active = ? WHERE subscriber = ?`), false, subscriber)
	return wrap("end subscriptions", err)
}

// GetSubscription implements store.Webhooks.
func (r reader) GetSubscription(ctx context.Context, id string) (store.Subscription, error) {
	s, err := scanSubscription(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+subscriptionCols+` FROM webhook_subscriptions WHERE id = ?`), id))
	return s, wrap("get subscription", err)
}

// ListSubscriptions implements store.Webhooks.
func (r reader) ListSubscriptions(ctx context.Context) ([]store.Subscription, error) {
	return collect(ctx, r, `SELECT `+subscriptionCols+` FROM webhook_subscriptions ORDER BY created_at, id`, nil, scanSubscription)
}

// DeleteSubscription implements store.Webhooks.
func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	return db.do(ctx, func(w *writer) error {
		if _, err := w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = ?)`), id); err != nil {
			return wrap("delete delivery log", err)
		}
		if _, err := w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM webhook_deliveries WHERE subscription_id = ?`), id); err != nil {
			return wrap("delete deliveries", err)
		}
		n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM webhook_subscriptions WHERE id = ?`), id))
		if err != nil {
			return wrap("delete subscription", err)
		}
		if n == 0 {
			return fmt.Errorf("subscription %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// EnqueueEvent implements store.Writer.
func (w *writer) EnqueueEvent(ctx context.Context, e *store.Event) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = store.Now()
	}
	e.OccurredAt = store.NormTime(e.OccurredAt)
	_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO webhook_events (id, type, item, application_id, occurred_at, payload) VALUES (?, ?, ?, ?, ?, ?)`),
		e.ID, e.Type, e.Item, e.ApplicationID, e.OccurredAt, string(e.Payload))
	if isUnique(w.d, err) {
		return fmt.Errorf("insert event %s: %w", e.ID, store.ErrConflict)
	}
	if err != nil {
		return wrap("insert event", err)
	}
	_, err = w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO webhook_deliveries (event_id, subscription_id, state, attempts, next_at, updated_at)
		SELECT ?, id, 'pending', 0, ?, ? FROM webhook_subscriptions
		WHERE active = TRUE AND (event_types = '' OR event_types LIKE ? ESCAPE '\')
		  AND (items = '' OR items LIKE ? ESCAPE '\')`),
		e.ID, millis(e.OccurredAt), e.OccurredAt, likeMember(e.Type), likeMember(e.Item))
	return wrap("fan out event", err)
}

// EnqueueEvent implements store.Writer.
func (db *DB) EnqueueEvent(ctx context.Context, e *store.Event) error {
	return db.do(ctx, func(w *writer) error { return w.EnqueueEvent(ctx, e) })
}

// GetEvent implements store.Webhooks.
func (r reader) GetEvent(ctx context.Context, id string) (store.Event, error) {
	var e store.Event
	var payload string
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT id, type, item, application_id, occurred_at, payload FROM webhook_events WHERE id = ?`), id).
		Scan(&e.ID, &e.Type, &e.Item, &e.ApplicationID, &e.OccurredAt, &payload)
	e.OccurredAt, e.Payload = e.OccurredAt.UTC(), []byte(payload)
	return e, wrap("get event", err)
}

// ClaimDeliveries implements store.Webhooks. The due rows are picked and leased in one
// statement; on PostgreSQL the pick locks its rows and skips rows another claimer holds, and
// a row claimed meanwhile no longer qualifies when rechecked under its lock.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.ClaimedDelivery, error) {
	if limit <= 0 {
		limit = 1
	}
	// An idle poll reads (on the reader pool) instead of taking the writer.
	var due int
	err := db.reader.q.QueryRowContext(ctx, db.d.SQL(`SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries
		WHERE state = 'pending' AND next_at <= ? AND claimed_until <= ? LIMIT 1) d`), millis(now), millis(now)).Scan(&due)
	if err != nil || due == 0 {
		return nil, wrap("look for due deliveries", err)
	}
	token := store.NewID()
	var out []store.ClaimedDelivery
	err = db.do(ctx, func(w *writer) error {
		n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`WITH due AS (
				SELECT id FROM webhook_deliveries
				WHERE state = 'pending' AND next_at <= ? AND claimed_until <= ?
				ORDER BY next_at, id LIMIT `+strconv.Itoa(limit)+w.d.SkipLocked+`)
			UPDATE webhook_deliveries SET claimed_until = ?, claim_token = ?
			WHERE id IN (SELECT id FROM due)`),
			millis(now), millis(now), millis(now.Add(lease)), token))
		if err != nil || n == 0 {
			return wrap("claim deliveries", err)
		}
		out, err = collect(ctx, w.reader, `SELECT d.id, d.event_id, d.subscription_id, d.state, d.attempts, d.next_at, d.last_status, d.last_error, d.updated_at,
				e.type, e.payload, s.url, s.secret
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_subscriptions s ON s.id = d.subscription_id
			WHERE d.claim_token = ? ORDER BY d.next_at, d.id`, []any{token}, func(s scanner) (store.ClaimedDelivery, error) {
			var c store.ClaimedDelivery
			var next int64
			var state, payload string
			err := s.Scan(&c.ID, &c.EventID, &c.SubscriptionID, &state, &c.Attempts, &next, &c.LastStatus, &c.LastError, &c.UpdatedAt,
				&c.EventType, &payload, &c.URL, &c.Secret)
			c.State, c.NextAt, c.UpdatedAt, c.Payload, c.ClaimToken = store.DeliveryState(state), fromMillis(next), c.UpdatedAt.UTC(), []byte(payload), token
			return c, err
		})
		return err
	})
	return out, err
}

// FinishDelivery implements store.Webhooks.
func (db *DB) FinishDelivery(ctx context.Context, o store.DeliveryOutcome) error {
	switch o.State {
	case store.DeliveryDelivered, store.DeliveryPending, store.DeliveryDead:
	default:
		return fmt.Errorf("%w: delivery state %q", store.ErrInvalid, o.State)
	}
	lost := false
	a := o.Attempt
	if a.At.IsZero() {
		a.At = store.Now()
	}
	err := db.do(ctx, func(w *writer) error {
		lost = false
		if _, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, duration_ms, error_class) VALUES (?, ?, ?, ?, ?, ?)`),
			o.ID, a.Attempt, store.NormTime(a.At), a.StatusCode, a.Duration.Milliseconds(), a.ErrorClass); err != nil {
			return wrap("log delivery attempt", err)
		}
		n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE webhook_deliveries
			SET state = ?, attempts = attempts + 1, next_at = ?, claimed_until = 0, claim_token = '', last_status = ?, last_error = ?, updated_at = ?
			WHERE id = ? AND claim_token = ?`),
			string(o.State), millis(o.NextAt), a.StatusCode, a.ErrorClass, store.Now(), o.ID, o.ClaimToken))
		if err != nil {
			return wrap("finish delivery", err)
		}
		lost = n == 0
		return nil
	})
	if err == nil && lost {
		return fmt.Errorf("delivery %d: %w", o.ID, store.ErrLeaseLost)
	}
	return err
}

// RedeliverDelivery implements store.Webhooks.
func (db *DB) RedeliverDelivery(ctx context.Context, id int64, at time.Time) error {
	return db.do(ctx, func(w *writer) error {
		n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`UPDATE webhook_deliveries
			SET state = 'pending', attempts = 0, next_at = ?, claimed_until = 0, claim_token = '', updated_at = ?
			WHERE id = ?`), millis(at), store.Now(), id))
		if err != nil {
			return wrap("redeliver", err)
		}
		if n == 0 {
			return fmt.Errorf("delivery %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// GetDelivery implements store.Webhooks.
func (r reader) GetDelivery(ctx context.Context, id int64) (store.Delivery, error) {
	d, err := scanDelivery(r.q.QueryRowContext(ctx, r.d.SQL(`SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = ?`), id))
	return d, wrap("get delivery", err)
}

// ListDeliveries implements store.Webhooks.
func (r reader) ListDeliveries(ctx context.Context, f store.DeliveryFilter, p store.Page) ([]store.Delivery, string, error) {
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE 1 = 1`
	var args []any
	if f.State != "" {
		q, args = q+" AND state = ?", append(args, string(f.State))
	}
	if f.SubscriptionID != "" {
		q, args = q+" AND subscription_id = ?", append(args, f.SubscriptionID)
	}
	if f.EventID != "" {
		q, args = q+" AND event_id = ?", append(args, f.EventID)
	}
	if p.After != "" {
		after, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("%w: cursor %q", store.ErrInvalid, p.After)
		}
		q, args = q+" AND id < ?", append(args, after)
	}
	n := limit(p.Limit, 50, 1000)
	out, err := collect(ctx, r, q+" ORDER BY id DESC LIMIT "+strconv.Itoa(n), args, scanDelivery)
	if err != nil || len(out) < n {
		return out, "", err
	}
	return out, strconv.FormatInt(out[n-1].ID, 10), nil
}

// ListDeliveryAttempts implements store.Webhooks.
func (r reader) ListDeliveryAttempts(ctx context.Context, deliveryID int64) ([]store.DeliveryAttempt, error) {
	return collect(ctx, r, `SELECT delivery_id, attempt, at, status_code, duration_ms, error_class FROM webhook_attempts WHERE delivery_id = ? ORDER BY id`,
		[]any{deliveryID}, func(s scanner) (store.DeliveryAttempt, error) {
			var a store.DeliveryAttempt
			var ms int64
			err := s.Scan(&a.DeliveryID, &a.Attempt, &a.At, &a.StatusCode, &ms, &a.ErrorClass)
			a.At, a.Duration = a.At.UTC(), time.Duration(ms)*time.Millisecond
			return a, err
		})
}
