package clients

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sanmian/hub/auth"
	"sanmian/hub/ident"
	"sanmian/hub/store"
	"sanmian/hub/webhook"
)

// Actions are the access actions a department app may be granted: the department role's
// actions in the access policy (policies/data.yaml).
var Actions = []string{
	"item.read", "application.create", "application.read", "application.list",
	"permit.read", "permit.verify", "permit.status", "decision.read",
	"graphql.items", "graphql.application", "graphql.decision", "graphql.permit",
}

// Limits on registrations.
const (
	MaxItems      = 32
	MaxNameLen    = 128 // characters
	MaxWebhookLen = 2048
	MaxRate       = 1000 // requests per second
	MaxBurst      = 10000
	DefaultRate   = 10
	DefaultBurst  = 20
	// SecretPrefix starts every client secret, so a leaked one is recognisable by scanners.
	SecretPrefix = "smcs_"
	hashPrefix   = "sha256:"
)

// Store is what the registry needs of the store.
type Store interface {
	store.ClientReader
	store.ClientWriter
	Tx(ctx context.Context, fn func(tx store.Txn) error) error
}

// Registry registers department apps, rotates and retires their secrets, revokes them and
// mints their tokens. Safe for concurrent use.
type Registry struct {
	st       Store
	issuer   *auth.Issuer
	cfg      Config
	now      func() time.Time
	known    func(item string) bool
	limiters *limiters
}

// Option configures a Registry.
type Option func(*Registry)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(r *Registry) { r.now = now } }

// WithItems sets how item codes are checked at registration (default: any well-formed code).
func WithItems(known func(code string) bool) Option { return func(r *Registry) { r.known = known } }

// New returns a registry over st, minting tokens with issuer (whose name should be
// cfg.Issuer).
func New(st Store, issuer *auth.Issuer, cfg Config, opts ...Option) *Registry {
	r := &Registry{st: st, issuer: issuer, cfg: cfg.WithDefaults(), now: time.Now, known: func(string) bool { return true }}
	for _, o := range opts {
		o(r)
	}
	r.limiters = newLimiters()
	return r
}

// Issuer returns the hub's own token issuer.
func (r *Registry) Issuer() *auth.Issuer { return r.issuer }

// RateLimit is a client's request rate limit.
type RateLimit struct {
	// RequestsPerSecond is the sustained rate (0 < r <= 1000; default 10).
	RequestsPerSecond float64 `json:"requests_per_second"`
	// Burst is the token-bucket size (1-10000; default 20).
	Burst int `json:"burst"`
}

// RegisterRequest is the body of POST /v1/clients.
type RegisterRequest struct {
	Name       string     `json:"name"`
	USCC       string     `json:"uscc"`
	Items      []string   `json:"items"`
	Actions    []string   `json:"actions"`
	RateLimit  *RateLimit `json:"rate_limit,omitempty"`
	WebhookURL string     `json:"webhook_url,omitempty"`
}

// SecretView describes one secret (never its value).
type SecretView struct {
	ID        string     `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Active    bool       `json:"active"`
}

// View is a registered client as the admin routes show it.
type View struct {
	ID         string       `json:"client_id"`
	Name       string       `json:"name"`
	USCC       string       `json:"uscc"`
	Items      []string     `json:"items"`
	Actions    []string     `json:"actions"`
	RateLimit  RateLimit    `json:"rate_limit"`
	WebhookURL string       `json:"webhook_url,omitempty"`
	Status     string       `json:"status"`
	CreatedAt  time.Time    `json:"created_at"`
	RevokedAt  *time.Time   `json:"revoked_at,omitempty"`
	Secrets    []SecretView `json:"secrets"`
}

// IssuedSecret is a new secret, shown once.
type IssuedSecret struct {
	ClientID     string `json:"client_id"`
	SecretID     string `json:"secret_id"`
	ClientSecret string `json:"client_secret"`
	// PreviousExpireAt is when the client's earlier secrets stop working (rotation only).
	PreviousExpireAt *time.Time `json:"previous_secrets_expire_at,omitempty"`
}

// Registered is the answer to a registration: the client and its first secret.
type Registered struct {
	View
	SecretID     string `json:"secret_id"`
	ClientSecret string `json:"client_secret"`
	// The app's webhook subscription, made from its webhook URL (every event type, the
	// app's items), and its Standard Webhooks signing secret, shown this once; empty when
	// the registration names no webhook URL.
	WebhookSubscriptionID string `json:"webhook_subscription_id,omitempty"`
	WebhookSecret         string `json:"webhook_secret,omitempty"`
}

// RotateRequest is the (optional) body of POST /v1/clients/{id}/secrets.
type RotateRequest struct {
	// OverlapSeconds is how long the earlier secrets keep working (default: the configured
	// overlap; 0 ends them at once).
	OverlapSeconds *int64 `json:"overlap_seconds,omitempty"`
}

// Token is the token endpoint's answer (RFC 6749 section 5.1).
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

func admin(c auth.Caller) error {
	if c.Role != auth.RoleAdmin {
		return ErrForbidden
	}
	return nil
}

// Register validates req and registers the app with a fresh secret, audited in the same
// transaction. Only an administrator may register.
func (r *Registry) Register(ctx context.Context, c auth.Caller, req RegisterRequest) (Registered, error) {
	if err := admin(c); err != nil {
		return Registered{}, err
	}
	cl, err := r.validate(req)
	if err != nil {
		return Registered{}, err
	}
	secret, hash := newSecret()
	now := r.now()
	cl.ID, cl.CreatedAt, cl.CreatedBy = "app_"+store.NewID(), now, c.Subject
	sec := &store.ClientSecret{ID: "sec_" + store.NewID(), Hash: hash, CreatedAt: now}
	// The webhook URL is the app's subscription, stored with it: revoking the app ends it.
	var sub *store.Subscription
	if cl.WebhookURL != "" {
		sub = &store.Subscription{Subscriber: cl.ID, URL: cl.WebhookURL, Secret: webhook.NewSecret(), Active: true, CreatedAt: now}
		if !slices.Contains(cl.Items, "*") {
			sub.Items = slices.Sorted(slices.Values(cl.Items))
		}
	}
	err = r.st.Tx(ctx, func(tx store.Txn) error {
		if err := tx.CreateClient(ctx, cl, sec); err != nil {
			return err
		}
		details := map[string]any{
			"name": cl.Name, "uscc": cl.USCC, "items": cl.Items, "actions": cl.Actions,
			"rate_limit": cl.RateLimit, "burst": cl.Burst, "webhook_url": cl.WebhookURL, "secret_id": sec.ID,
		}
		if sub != nil {
			if err := tx.CreateSubscription(ctx, sub); err != nil {
				return err
			}
			details["webhook_subscription"] = sub.ID
		}
		return tx.AppendAudit(ctx, r.audit(c, "register", cl.ID, details))
	})
	if err != nil {
		return Registered{}, err
	}
	out := Registered{View: view(*cl, []store.ClientSecret{*sec}, now), SecretID: sec.ID, ClientSecret: secret}
	if sub != nil {
		out.WebhookSubscriptionID, out.WebhookSecret = sub.ID, sub.Secret
	}
	return out, nil
}

// List returns every registered client (administrators only).
func (r *Registry) List(ctx context.Context, c auth.Caller) ([]View, error) {
	if err := admin(c); err != nil {
		return nil, err
	}
	cls, err := r.st.ListClients(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now()
	out := make([]View, 0, len(cls))
	for _, cl := range cls {
		secs, err := r.st.ListClientSecrets(ctx, cl.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, view(cl, secs, now))
	}
	return out, nil
}

// Get returns one client (administrators only).
func (r *Registry) Get(ctx context.Context, c auth.Caller, id string) (View, error) {
	if err := admin(c); err != nil {
		return View{}, err
	}
	cl, err := r.client(ctx, id)
	if err != nil {
		return View{}, err
	}
	secs, err := r.st.ListClientSecrets(ctx, cl.ID)
	if err != nil {
		return View{}, err
	}
	return view(cl, secs, r.now()), nil
}

func (r *Registry) client(ctx context.Context, id string) (store.Client, error) {
	cl, err := r.st.GetClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Client{}, &NotFoundError{What: "client", ID: id}
	}
	return cl, err
}

// Rotate adds a secret to the client; its earlier secrets keep working for the overlap
// (req.OverlapSeconds, or the configured default), so the app can switch without downtime.
func (r *Registry) Rotate(ctx context.Context, c auth.Caller, id string, req RotateRequest) (IssuedSecret, error) {
	if err := admin(c); err != nil {
		return IssuedSecret{}, err
	}
	overlap := r.cfg.SecretOverlap
	if req.OverlapSeconds != nil {
		if *req.OverlapSeconds < 0 || *req.OverlapSeconds > int64(MaxSecretOverlap/time.Second) {
			return IssuedSecret{}, &InvalidError{Field: "overlap_seconds", Detail: fmt.Sprintf("must be between 0 and %d", int64(MaxSecretOverlap/time.Second))}
		}
		overlap = time.Duration(*req.OverlapSeconds) * time.Second
	}
	cl, err := r.client(ctx, id)
	if err != nil {
		return IssuedSecret{}, err
	}
	if cl.Status == store.ClientRevoked {
		return IssuedSecret{}, ErrRevoked
	}
	secret, hash := newSecret()
	now := r.now()
	sec := &store.ClientSecret{ID: "sec_" + store.NewID(), ClientID: id, Hash: hash, CreatedAt: now}
	until := store.NormTime(now.Add(overlap))
	err = r.st.Tx(ctx, func(tx store.Txn) error {
		if err := tx.AddClientSecret(ctx, sec); err != nil {
			return err
		}
		if _, err := tx.ExpireClientSecrets(ctx, id, sec.ID, until); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, r.audit(c, "rotate", id, map[string]any{"secret_id": sec.ID, "previous_expire_at": until}))
	})
	if err != nil {
		return IssuedSecret{}, err
	}
	return IssuedSecret{ClientID: id, SecretID: sec.ID, ClientSecret: secret, PreviousExpireAt: &until}, nil
}

// RetireSecret ends one of the client's secrets at once.
func (r *Registry) RetireSecret(ctx context.Context, c auth.Caller, id, secretID string) error {
	if err := admin(c); err != nil {
		return err
	}
	if _, err := r.client(ctx, id); err != nil {
		return err
	}
	err := r.st.Tx(ctx, func(tx store.Txn) error {
		if err := tx.RetireClientSecret(ctx, id, secretID, r.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, r.audit(c, "retire_secret", id, map[string]any{"secret_id": secretID}))
	})
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{What: "secret", ID: secretID}
	}
	return err
}

// Revoke revokes the client: from the moment it returns, no token is issued to it, none of
// its tokens is honoured, and no webhook goes to it (its subscriptions end and their pending
// deliveries are dead-lettered as client_revoked).
func (r *Registry) Revoke(ctx context.Context, c auth.Caller, id string) (View, error) {
	if err := admin(c); err != nil {
		return View{}, err
	}
	if _, err := r.client(ctx, id); err != nil {
		return View{}, err
	}
	err := r.st.Tx(ctx, func(tx store.Txn) error {
		if err := tx.RevokeClient(ctx, id, r.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, r.audit(c, "revoke", id, nil))
	})
	if err != nil {
		return View{}, err
	}
	r.limiters.forget(id)
	return r.Get(ctx, c, id)
}

// Token authenticates the client by id and secret and mints a caller token (role
// department, subject the client id, no jurisdiction: the whole district) whose scope is the
// client's items and actions, narrowed to scope when it is not empty (space-separated item
// codes and actions, each granted to the client; naming no item keeps every granted item,
// naming no action every granted action). ErrInvalidClient or ErrInvalidScope on refusal.
func (r *Registry) Token(ctx context.Context, clientID, secret, scope string) (Token, error) {
	if clientID == "" || len(clientID) > 128 || secret == "" || len(secret) > 256 {
		return Token{}, ErrInvalidClient
	}
	cl, err := r.st.GetClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, ErrInvalidClient
	}
	if err != nil {
		return Token{}, err
	}
	secs, err := r.st.ListClientSecrets(ctx, clientID)
	if err != nil {
		return Token{}, err
	}
	now := r.now()
	sum := hashSecret(secret)
	match := 0
	for _, s := range secs {
		// Every usable secret is compared, so timing does not tell which one matched.
		if s.Usable(now) {
			match |= subtle.ConstantTimeCompare([]byte(s.Hash), []byte(sum))
		}
	}
	if match != 1 || cl.Status != store.ClientActive {
		return Token{}, ErrInvalidClient
	}
	granted, err := r.narrow(cl, scope)
	if err != nil {
		return Token{}, err
	}
	tok, err := r.issuer.Mint(auth.Caller{Subject: cl.ID, Role: auth.RoleDepartment, Scope: granted}, r.cfg.TokenTTL)
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(r.cfg.TokenTTL / time.Second), Scope: strings.Join(granted, " ")}, nil
}

// narrow returns the token scope: items then actions.
func (r *Registry) narrow(cl store.Client, scope string) ([]string, error) {
	if len(scope) > 4096 {
		return nil, ErrInvalidScope
	}
	var items, actions []string
	for _, s := range strings.Fields(scope) {
		switch {
		case slices.Contains(Actions, s):
			if !slices.Contains(cl.Actions, s) {
				return nil, ErrInvalidScope
			}
			if !slices.Contains(actions, s) {
				actions = append(actions, s)
			}
		case slices.Contains(cl.Items, s) || (slices.Contains(cl.Items, "*") && validItemCode(s) && r.known(s)):
			if !slices.Contains(items, s) {
				items = append(items, s)
			}
		default:
			return nil, ErrInvalidScope
		}
	}
	if len(items) == 0 {
		items = cl.Items
	}
	if len(actions) == 0 {
		actions = cl.Actions
	}
	return append(slices.Clone(items), actions...), nil
}

func (r *Registry) audit(c auth.Caller, op, clientID string, details map[string]any) *store.AuditEntry {
	if details == nil {
		details = map[string]any{}
	}
	details["op"], details["client_id"] = op, clientID
	b, _ := json.Marshal(details)
	return &store.AuditEntry{At: r.now(), ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditClient, Details: b}
}

// validate checks a registration and returns the client to store.
func (r *Registry) validate(req RegisterRequest) (*store.Client, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return nil, &InvalidError{Field: "name", Detail: fmt.Sprintf("1-%d characters, no control characters", MaxNameLen)}
	}
	u, err := ident.ParseUSCC(strings.TrimSpace(req.USCC))
	if err != nil || !u.CheckValid {
		return nil, &InvalidError{Field: "uscc", Detail: "not a valid unified social credit code (GB 32100-2015)"}
	}
	if len(req.Items) == 0 || len(req.Items) > MaxItems {
		return nil, &InvalidError{Field: "items", Detail: fmt.Sprintf("1-%d item codes, or [\"*\"]", MaxItems)}
	}
	var items []string
	for _, it := range req.Items {
		if it != "*" && (!validItemCode(it) || !r.known(it)) {
			return nil, &InvalidError{Field: "items", Detail: fmt.Sprintf("unknown item %q", truncate(it))}
		}
		if !slices.Contains(items, it) {
			items = append(items, it)
		}
	}
	if slices.Contains(items, "*") && len(items) > 1 {
		return nil, &InvalidError{Field: "items", Detail: `"*" stands alone`}
	}
	if len(req.Actions) == 0 {
		return nil, &InvalidError{Field: "actions", Detail: "at least one action"}
	}
	var actions []string
	for _, a := range req.Actions {
		if !slices.Contains(Actions, a) {
			return nil, &InvalidError{Field: "actions", Detail: fmt.Sprintf("%q is not an action a department app may be granted", truncate(a))}
		}
		if !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
	}
	rl := RateLimit{RequestsPerSecond: DefaultRate, Burst: DefaultBurst}
	if req.RateLimit != nil {
		rl = *req.RateLimit
		if !(rl.RequestsPerSecond > 0 && rl.RequestsPerSecond <= MaxRate) {
			return nil, &InvalidError{Field: "rate_limit.requests_per_second", Detail: fmt.Sprintf("must be above 0 and at most %d", MaxRate)}
		}
		if rl.Burst < 1 || rl.Burst > MaxBurst {
			return nil, &InvalidError{Field: "rate_limit.burst", Detail: fmt.Sprintf("must be between 1 and %d", MaxBurst)}
		}
	}
	if req.WebhookURL != "" {
		if err := checkWebhookURL(req.WebhookURL); err != nil {
			return nil, &InvalidError{Field: "webhook_url", Detail: err.Error()}
		}
	}
	return &store.Client{Name: name, USCC: u.Code, Items: items, Actions: actions,
		RateLimit: rl.RequestsPerSecond, Burst: rl.Burst, WebhookURL: req.WebhookURL}, nil
}

// validItemCode: lower-case letters, digits and underscores, 1-64 bytes (item codes in
// policies/data.yaml).
func validItemCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.ToValidUTF8(s, "")
}

// checkWebhookURL allows an absolute https URL (http only to a loopback host), without user
// information or fragment.
func checkWebhookURL(raw string) error {
	if len(raw) > MaxWebhookLen {
		return fmt.Errorf("at most %d bytes", MaxWebhookLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errors.New("must be an absolute URL without user information or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" {
			return nil
		} else if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			return nil
		}
		return errors.New("must use https unless the host is loopback")
	default:
		return errors.New("scheme must be https")
	}
}

// newSecret returns a fresh secret (SecretPrefix + 256 random bits, base64url) and its
// stored digest.
func newSecret() (secret, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashSecret(secret)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hashPrefix + hex.EncodeToString(sum[:])
}

func view(cl store.Client, secs []store.ClientSecret, now time.Time) View {
	v := View{ID: cl.ID, Name: cl.Name, USCC: cl.USCC, Items: cl.Items, Actions: cl.Actions,
		RateLimit: RateLimit{RequestsPerSecond: cl.RateLimit, Burst: cl.Burst}, WebhookURL: cl.WebhookURL,
		Status: string(cl.Status), CreatedAt: cl.CreatedAt, Secrets: []SecretView{}}
	if !cl.RevokedAt.IsZero() {
		t := cl.RevokedAt
		v.RevokedAt = &t
	}
	for _, s := range secs {
		sv := SecretView{ID: s.ID, CreatedAt: s.CreatedAt, Active: s.Usable(now) && cl.Status == store.ClientActive}
		if !s.ExpiresAt.IsZero() {
			t := s.ExpiresAt
			sv.ExpiresAt = &t
		}
		v.Secrets = append(v.Secrets, sv)
	}
	return v
}
