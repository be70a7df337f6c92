package store

import (
	"context"
	"encoding/json"
	"time"
)

// Event is one entry of the event outbox: something happened to an application or a permit
// that department apps may subscribe to. It is written in the same transaction as the change
// it reports (Writer.EnqueueEvent), so a committed change always has its event and a rolled
// back one never does.
type Event struct {
	ID            string    // event id; also the webhook-id of every delivery of it
	Type          string    // e.g. application.approved, permit.issued
	Item          string    // the item the event concerns, for subscription filters
	ApplicationID string    // the application it concerns
	OccurredAt    time.Time // when the change was made
	// Payload is the JSON body delivered to subscribers, complete and final. It must carry
	// no personal data beyond masked ID numbers.
	Payload json.RawMessage
}

// Subscription is a webhook endpoint of a department app.
type Subscription struct {
	ID         string // set by CreateSubscription if empty
	Subscriber string // the department app (client) it belongs to
	URL        string
	// Secret signs deliveries (Standard Webhooks: "whsec_" + base64 of the key bytes).
	Secret string
	// EventTypes and Items filter the events delivered; empty means every type or item.
	EventTypes []string
	Items      []string
	Active     bool
	CreatedAt  time.Time
}

// Matches reports whether the subscription wants an event of this type about this item.
func (s Subscription) Matches(eventType, item string) bool {
	return s.Active && (len(s.EventTypes) == 0 || contains(s.EventTypes, eventType)) &&
		(len(s.Items) == 0 || contains(s.Items, item))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// DeliveryState is where a delivery stands.
type DeliveryState string

// Delivery states.
const (
	DeliveryPending   DeliveryState = "pending"   // due at NextAt (or being attempted under a lease)
	DeliveryDelivered DeliveryState = "delivered" // the subscriber answered 2xx
	DeliveryDead      DeliveryState = "dead"      // retries exhausted: dead-lettered until redelivered
)

// Delivery is one event to one subscription.
type Delivery struct {
	ID             int64
	EventID        string
	SubscriptionID string
	State          DeliveryState
	Attempts       int       // attempts made since the delivery was created or redelivered
	NextAt         time.Time // when the next attempt is due (pending)
	LastStatus     int       // HTTP status of the last attempt (0: no answer)
	LastError      string    // error class of the last attempt ("" on success)
	UpdatedAt      time.Time
}

// ClaimedDelivery is a delivery handed to one worker under a lease, with what it needs to
// send it.
type ClaimedDelivery struct {
	Delivery
	ClaimToken string // proves the lease to FinishDelivery
	EventType  string
	Payload    json.RawMessage
	URL        string
	Secret     string
}

// DeliveryAttempt is one entry of the delivery log: no request or response bodies.
type DeliveryAttempt struct {
	DeliveryID int64
	Attempt    int // 1 for the first attempt (counted from the last redelivery)
	At         time.Time
	StatusCode int // 0 when no HTTP answer came
	Duration   time.Duration
	ErrorClass string // "" on success; timeout, connect, status_4xx, status_5xx, other
}

// DeliveryFilter selects deliveries to list; zero fields match everything.
type DeliveryFilter struct {
	State          DeliveryState
	SubscriptionID string
	EventID        string
}

// DeliveryOutcome finishes a claimed delivery.
type DeliveryOutcome struct {
	ID         int64
	ClaimToken string
	Attempt    DeliveryAttempt
	State      DeliveryState // delivered, pending (retry at NextAt) or dead
	NextAt     time.Time
}

// ClientRevokedError is the last error of a delivery dead-lettered because its subscriber,
// a registered client, was revoked (see ClientWriter.RevokeClient).
const ClientRevokedError = "client_revoked"

// Webhooks is the store's role for webhook subscriptions and the delivery of outbox events.
// Events enter through Writer.EnqueueEvent, inside the business transaction.
//
// Contract:
//   - Each event is delivered to the subscriptions that were active and matched it when it was
//     enqueued: EnqueueEvent creates one pending delivery per such subscription, due at once.
//   - ClaimDeliveries hands each due delivery to one caller at a time: it sets a lease
//     (claimed until now+lease) and a fresh claim token; while the lease holds, no other
//     caller, in this or another process sharing the database, is handed that delivery. A
//     lease that expires (the worker died) makes the delivery claimable again.
//   - FinishDelivery logs the attempt and applies the outcome only while the token is still
//     the delivery's (the lease was not lost); otherwise it logs the attempt and returns
//     ErrLeaseLost.
//   - RedeliverDelivery makes a delivered or dead delivery pending again, due at the given
//     time, with its attempt count reset.
//   - Deleting a subscription deletes its deliveries and their log.
type Webhooks interface {
	// CreateSubscription stores s (ID from NewID if empty, CreatedAt if zero). ErrConflict if
	// the id exists.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// GetSubscription returns a subscription or ErrNotFound.
	GetSubscription(ctx context.Context, id string) (Subscription, error)
	// ListSubscriptions returns every subscription, oldest first.
	ListSubscriptions(ctx context.Context) ([]Subscription, error)
	// DeleteSubscription removes a subscription with its deliveries. ErrNotFound if absent.
	DeleteSubscription(ctx context.Context, id string) error

	// GetEvent returns an outbox event or ErrNotFound.
	GetEvent(ctx context.Context, id string) (Event, error)

	// ClaimDeliveries leases up to limit pending deliveries due at now (NextAt <= now, no
	// unexpired lease), oldest due first, until now+lease.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ClaimedDelivery, error)
	// FinishDelivery records an attempt of a claimed delivery and its outcome (see the
	// contract). ErrLeaseLost if the claim token is no longer the delivery's.
	FinishDelivery(ctx context.Context, o DeliveryOutcome) error
	// RedeliverDelivery makes a delivery pending again, due at at. ErrNotFound if absent.
	RedeliverDelivery(ctx context.Context, id int64, at time.Time) error
	// GetDelivery returns a delivery or ErrNotFound.
	GetDelivery(ctx context.Context, id int64) (Delivery, error)
	// ListDeliveries returns deliveries newest first (by id) and the cursor of the next page.
	ListDeliveries(ctx context.Context, f DeliveryFilter, p Page) ([]Delivery, string, error)
	// ListDeliveryAttempts returns the log of a delivery, oldest first.
	ListDeliveryAttempts(ctx context.Context, deliveryID int64) ([]DeliveryAttempt, error)
}
