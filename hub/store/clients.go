package store

import (
	"context"
	"time"
)

// AuditClient is the audit action of a change to the client registry: a department app
// registered, a secret added or retired, a client revoked.
const AuditClient AuditAction = "client"

// ClientStatus is the state of a registered client.
type ClientStatus string

// Client statuses.
const (
	ClientActive  ClientStatus = "active"  // may take tokens; its tokens are honoured
	ClientRevoked ClientStatus = "revoked" // refused at once: no new token, no old token honoured
)

// Client is a registered department app: the hub issues it client credentials and mints its
// caller tokens.
type Client struct {
	ID   string // client_id
	Name string
	// USCC is the department's unified social credit code (GB 32100-2015).
	USCC string
	// Items are the item codes the app may act on ("*": all); Actions the access actions it
	// may take (e.g. application.read).
	Items   []string
	Actions []string
	// RateLimit is the sustained requests per second allowed, Burst the bucket size.
	RateLimit float64
	Burst     int
	// WebhookURL is where events for the app are delivered; empty for none.
	WebhookURL string
	Status     ClientStatus
	CreatedAt  time.Time
	RevokedAt  time.Time // zero unless revoked
	CreatedBy  string    // the admin's subject
}

// ClientSecret is one secret of a client. Only a digest of the secret is stored.
type ClientSecret struct {
	ID       string
	ClientID string
	// Hash is the secret's digest (the registry chooses the scheme and prefixes it).
	Hash      string
	CreatedAt time.Time
	// ExpiresAt, when set, is when the secret stops working (the end of a rotation overlap or
	// the moment it was retired); zero means no end.
	ExpiresAt time.Time
}

// Usable reports whether the secret works at t.
func (s ClientSecret) Usable(t time.Time) bool { return s.ExpiresAt.IsZero() || t.Before(s.ExpiresAt) }

// ClientReader reads the client registry.
type ClientReader interface {
	// GetClient returns a client by id or ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client, oldest first.
	ListClients(ctx context.Context) ([]Client, error)
	// ListClientSecrets returns a client's secrets (expired ones included), oldest first; an
	// unknown client has none.
	ListClientSecrets(ctx context.Context, clientID string) ([]ClientSecret, error)
}

// ClientWriter changes the client registry. Inside Store.Tx the changes commit with the
// transaction (and its audit entries).
type ClientWriter interface {
	// CreateClient inserts c (status active, CreatedAt set if zero) with its first secret s
	// (s.ClientID set to c.ID). ErrConflict if either id exists; ErrInvalid for an empty id,
	// name or hash.
	CreateClient(ctx context.Context, c *Client, s *ClientSecret) error
	// AddClientSecret inserts a secret for an existing client (CreatedAt set if zero).
	// ErrNotFound if the client is absent, ErrConflict if the secret id exists.
	AddClientSecret(ctx context.Context, s *ClientSecret) error
	// ExpireClientSecrets sets ExpiresAt to at on the client's secrets other than keepID
	// that have no end or a later one, and returns how many changed.
	ExpireClientSecrets(ctx context.Context, clientID, keepID string, at time.Time) (int64, error)
	// RetireClientSecret ends one secret at at (or keeps an earlier end). ErrNotFound if
	// the client has no such secret.
	RetireClientSecret(ctx context.Context, clientID, secretID string, at time.Time) error
	// RevokeClient sets a client's status to revoked at at, and ends its webhooks: every
	// subscription whose subscriber is the client id becomes inactive (no delivery is
	// created for later events) and each of their pending deliveries is dead-lettered with
	// last error ClientRevokedError (a worker's lease on one is lost). ErrNotFound if
	// absent; revoking a revoked client changes nothing more and is not an error.
	RevokeClient(ctx context.Context, id string, at time.Time) error
	// CreateSubscription is Webhooks.CreateSubscription inside a transaction: a registered
	// client's webhook URL is stored as its subscription with the client.
	CreateSubscription(ctx context.Context, s *Subscription) error
}
