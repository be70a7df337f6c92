package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/store"
	"sanmian/hub/webhook"
)

// SubscriptionRequest creates a webhook subscription for a department app.
type SubscriptionRequest struct {
	Subscriber string   `json:"subscriber"`            // the department app (client id)
	URL        string   `json:"url"`                   // absolute http(s) URL
	EventTypes []string `json:"event_types,omitempty"` // empty: every type (see EventTypes)
	Items      []string `json:"items,omitempty"`       // empty: every item
	Active     *bool    `json:"active,omitempty"`      // default true
}

// SubscriptionView is a subscription as the admin API shows it. Secret is shown once, when
// the subscription is created.
type SubscriptionView struct {
	ID         string    `json:"id"`
	Subscriber string    `json:"subscriber"`
	URL        string    `json:"url"`
	Secret     string    `json:"secret,omitempty"`
	EventTypes []string  `json:"event_types"`
	Items      []string  `json:"items"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
}

// DeliveryView is one delivery of an event to a subscription, with its log when read alone.
type DeliveryView struct {
	ID             string        `json:"id"`
	EventID        string        `json:"event_id"`
	SubscriptionID string        `json:"subscription_id"`
	State          string        `json:"state"`
	Attempts       int           `json:"attempts"`
	NextAt         *time.Time    `json:"next_at,omitempty"`
	LastStatus     int           `json:"last_status,omitempty"`
	LastError      string        `json:"last_error,omitempty"`
	UpdatedAt      time.Time     `json:"updated_at"`
	Log            []AttemptView `json:"log,omitempty"`
}

// AttemptView is one entry of a delivery's log.
type AttemptView struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	ErrorClass string    `json:"error_class,omitempty"`
}

// DeliveryFilter selects deliveries: state (pending, delivered, dead) and subscription.
type DeliveryFilter struct {
	State          string
	SubscriptionID string
	After          string
	Limit          int
}

func subscriptionView(s store.Subscription) SubscriptionView {
	return SubscriptionView{ID: s.ID, Subscriber: s.Subscriber, URL: s.URL, EventTypes: orEmpty(s.EventTypes),
		Items: orEmpty(s.Items), Active: s.Active, CreatedAt: s.CreatedAt}
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func deliveryView(d store.Delivery) DeliveryView {
	v := DeliveryView{ID: strconv.FormatInt(d.ID, 10), EventID: d.EventID, SubscriptionID: d.SubscriptionID, State: string(d.State),
		Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, UpdatedAt: d.UpdatedAt}
	if d.State == store.DeliveryPending {
		next := d.NextAt
		v.NextAt = &next
	}
	return v
}

// auditWebhook records an administrator's change to the webhooks (after it is made).
func (h *Hub) auditWebhook(ctx context.Context, c auth.Caller, details map[string]any) error {
	if err := h.store.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditWebhook,
		Details: mustJSON(details)}); err != nil {
		return fmt.Errorf("service: audit webhook change: %w", err)
	}
	return nil
}

// authorizeWebhooks checks an admin action on webhooks (webhook.read or webhook.manage).
func (h *Hub) authorizeWebhooks(ctx context.Context, c auth.Caller, action string) error {
	_, err := h.authorize(ctx, c, action, Resource{}, "")
	return err
}

// CreateSubscription stores a webhook subscription with a fresh signing secret, returned once.
func (h *Hub) CreateSubscription(ctx context.Context, c auth.Caller, req SubscriptionRequest) (_ SubscriptionView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if err := h.authorizeWebhooks(ctx, c, "webhook.manage"); err != nil {
		return SubscriptionView{}, err
	}
	sub, err := checkText(req.Subscriber, textRule{field: "subscriber", max: 200, required: true})
	if err != nil {
		return SubscriptionView{}, err
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(req.URL) > 2000 {
		return SubscriptionView{}, &InvalidError{Field: "url", Detail: "must be an absolute http(s) URL without credentials"}
	}
	for _, t := range req.EventTypes {
		if !slices.Contains(EventTypes, t) {
			return SubscriptionView{}, &InvalidError{Field: "event_types", Detail: fmt.Sprintf("unknown event type %q", t)}
		}
	}
	for _, it := range req.Items {
		if _, ok := h.policy.Item(it); !ok {
			return SubscriptionView{}, &InvalidError{Field: "items", Detail: fmt.Sprintf("unknown item %q", it)}
		}
	}
	s := store.Subscription{Subscriber: sub, URL: req.URL, Secret: webhook.NewSecret(),
		EventTypes: slices.Compact(slices.Sorted(slices.Values(req.EventTypes))),
		Items:      slices.Compact(slices.Sorted(slices.Values(req.Items))), Active: req.Active == nil || *req.Active}
	if err := h.store.CreateSubscription(ctx, &s); err != nil {
		return SubscriptionView{}, err
	}
	if err := h.auditWebhook(ctx, c, map[string]any{"op": "subscribe", "subscription": s.ID, "subscriber": s.Subscriber,
		"event_types": s.EventTypes, "items": s.Items}); err != nil {
		return SubscriptionView{}, err
	}
	v := subscriptionView(s)
	v.Secret = s.Secret
	return v, nil
}

// ListSubscriptions returns every subscription (without secrets), oldest first.
func (h *Hub) ListSubscriptions(ctx context.Context, c auth.Caller) (_ []SubscriptionView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if err := h.authorizeWebhooks(ctx, c, "webhook.read"); err != nil {
		return nil, err
	}
	subs, err := h.store.ListSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SubscriptionView, len(subs))
	for i, s := range subs {
		out[i] = subscriptionView(s)
	}
	return out, nil
}

// DeleteSubscription removes a subscription with its pending deliveries and their log.
func (h *Hub) DeleteSubscription(ctx context.Context, c auth.Caller, id string) (err error) {
	defer h.auditRefusal(ctx, c, &err)
	if err := h.authorizeWebhooks(ctx, c, "webhook.manage"); err != nil {
		return err
	}
	err = h.store.DeleteSubscription(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{What: "subscription", ID: id}
	}
	if err != nil {
		return err
	}
	return h.auditWebhook(ctx, c, map[string]any{"op": "unsubscribe", "subscription": id})
}

// ListDeliveries returns deliveries newest first (state dead: the dead-letter list) and the
// cursor of the next page.
func (h *Hub) ListDeliveries(ctx context.Context, c auth.Caller, f DeliveryFilter) (_ []DeliveryView, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if err := h.authorizeWebhooks(ctx, c, "webhook.read"); err != nil {
		return nil, "", err
	}
	switch store.DeliveryState(f.State) {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead:
	default:
		return nil, "", &InvalidError{Field: "state", Detail: "must be pending, delivered or dead"}
	}
	if _, err := strconv.ParseInt(f.After, 10, 64); f.After != "" && err != nil {
		return nil, "", &InvalidError{Field: "after", Detail: "not a cursor of this list"}
	}
	ds, next, err := h.store.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryState(f.State), SubscriptionID: f.SubscriptionID},
		store.Page{After: f.After, Limit: f.Limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]DeliveryView, len(ds))
	for i, d := range ds {
		out[i] = deliveryView(d)
	}
	return out, next, nil
}

func parseDeliveryID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, &NotFoundError{What: "delivery", ID: id}
	}
	return n, nil
}

// GetDelivery returns a delivery with its log (status codes, durations, error classes).
func (h *Hub) GetDelivery(ctx context.Context, c auth.Caller, id string) (_ DeliveryView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if err := h.authorizeWebhooks(ctx, c, "webhook.read"); err != nil {
		return DeliveryView{}, err
	}
	n, err := parseDeliveryID(id)
	if err != nil {
		return DeliveryView{}, err
	}
	d, err := h.store.GetDelivery(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return DeliveryView{}, &NotFoundError{What: "delivery", ID: id}
	}
	if err != nil {
		return DeliveryView{}, err
	}
	log, err := h.store.ListDeliveryAttempts(ctx, n)
	if err != nil {
		return DeliveryView{}, err
	}
	v := deliveryView(d)
	for _, a := range log {
		v.Log = append(v.Log, AttemptView{Attempt: a.Attempt, At: a.At, StatusCode: a.StatusCode,
			DurationMS: a.Duration.Milliseconds(), ErrorClass: a.ErrorClass})
	}
	return v, nil
}

// Redeliver makes a delivery (dead-lettered, or delivered) pending again, due now, with a
// fresh retry schedule.
func (h *Hub) Redeliver(ctx context.Context, c auth.Caller, id string) (_ DeliveryView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if err := h.authorizeWebhooks(ctx, c, "webhook.manage"); err != nil {
		return DeliveryView{}, err
	}
	n, err := parseDeliveryID(id)
	if err != nil {
		return DeliveryView{}, err
	}
	if err := h.store.RedeliverDelivery(ctx, n, h.now()); errors.Is(err, store.ErrNotFound) {
		return DeliveryView{}, &NotFoundError{What: "delivery", ID: id}
	} else if err != nil {
		return DeliveryView{}, err
	}
	if err := h.auditWebhook(ctx, c, map[string]any{"op": "redeliver", "delivery": n}); err != nil {
		return DeliveryView{}, err
	}
	return h.GetDelivery(ctx, c, id)
}
