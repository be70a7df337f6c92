// Package app wires the hub together from its configuration: store, policy engine,
// connectors and evidence assembler, sealing keys, caller authentication, the hub service,
// and the parts api.Routes serves (REST, GraphQL, the web UI, operations endpoints). It
// builds and connects; the routes live in hub/api, the handlers in the packages they belong
// to. cmd/hub calls it for `hub serve` and `hub demo` (whose simulator wiring is hub/demo);
// integration tests call it to run the real thing.
package app

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"sanmian/connectors/cache"
	"sanmian/hub/api"
	"sanmian/hub/auth"
	"sanmian/hub/clients"
	"sanmian/hub/config"
	"sanmian/hub/division"
	"sanmian/hub/policy"
	"sanmian/hub/seal"
	"sanmian/hub/service"
	"sanmian/hub/store"
	_ "sanmian/hub/store/postgres" // registers the postgres:// backend
	_ "sanmian/hub/store/sqlite"   // registers the SQLite backend
	"sanmian/hub/telemetry"
	"sanmian/hub/web"
	"sanmian/hub/webhook"
)

// App is a running hub: its HTTP handler and the resources it holds. Close releases them.
type App struct {
	Config *config.Config
	Store  store.Store
	Server *api.Server
	Auth   *auth.Verifier
	Keys   *seal.Keyring
	Policy *policy.Engine
	Hub    *service.Hub
	// Clients is the registry of department apps; Authn verifies caller tokens (Auth) and
	// applies the registry's status check and rate limits to the tokens the hub minted.
	Clients *clients.Registry
	Authn   *clients.Authenticator
	// Webhooks delivers the outbox events to subscribed department apps; New starts it unless
	// WithManualWebhooks is given.
	Webhooks *webhook.Worker

	log     *slog.Logger
	conns   *connectorSet
	closers []func() error
}

// Option configures New.
type Option func(*options)

type options struct {
	log                *slog.Logger
	checkpointInterval time.Duration
	storeOpts          []store.Option
	webhookOpts        []webhook.Option
	manualWebhooks     bool
	cacheOpts          []cache.Option
}

// WithEvidenceClock sets the clock of the evidence cache (tests that let evidence lifetimes,
// hub.yaml's evidence.ttl and evidence.max_stale, pass without waiting).
func WithEvidenceClock(now func() time.Time) Option {
	return func(o *options) { o.cacheOpts = append(o.cacheOpts, cache.WithClock(now)) }
}

// WithWebhookOptions configures the webhook delivery worker (clock, retry schedule, timeout).
func WithWebhookOptions(opts ...webhook.Option) Option {
	return func(o *options) { o.webhookOpts = append(o.webhookOpts, opts...) }
}

// WithManualWebhooks builds the webhook worker without starting it: the caller drives it with
// App.Webhooks.RunOnce (tests that let simulated time pass).
func WithManualWebhooks() Option { return func(o *options) { o.manualWebhooks = true } }

// WithStoreOptions adds options for opening the store (a schema, a connection pool size).
func WithStoreOptions(opts ...store.Option) Option {
	return func(o *options) { o.storeOpts = append(o.storeOpts, opts...) }
}

// WithCheckpointInterval sets how often the audit chain's head is signed (default 1 minute).
func WithCheckpointInterval(d time.Duration) Option {
	return func(o *options) { o.checkpointInterval = d }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New builds the hub from cfg. On error everything opened so far is closed.
func New(ctx context.Context, cfg *config.Config, opts ...Option) (a *App, err error) {
	o := options{log: slog.Default(), checkpointInterval: time.Minute}
	for _, f := range opts {
		f(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a = &App{Config: cfg, log: o.log}
	// An error return sets a to nil before deferred calls run: close what was opened
	// through a copy of the pointer.
	opened := a
	defer func() {
		if err != nil {
			_ = opened.Close()
		}
	}()

	a.Store, err = store.Open(ctx, cfg.Store, append([]store.Option{store.WithLogger(o.log)}, o.storeOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("app: open store: %w", err)
	}
	a.closers = append(a.closers, a.Store.Close)

	hubIssuer, err := openHubIssuer(cfg)
	if err != nil {
		return nil, err
	}
	// The hub trusts its own issuer (tokens minted for registered apps) besides the
	// configured external ones.
	authCfg := cfg.Auth
	authCfg.Issuers = append(slices.Clone(cfg.Auth.Issuers), hubIssuer.Trusted())
	a.Auth, err = auth.NewVerifier(authCfg)
	if err != nil {
		return nil, fmt.Errorf("app: caller authentication: %w", err)
	}

	a.Keys, err = Keyring(cfg, a.Store)
	if err != nil {
		return nil, err
	}
	// The district office signs the status list and the audit checkpoints: make sure it has a key,
	// so the JWKS is never empty.
	if _, err := a.Keys.EnsureOffice(ctx, division.DistrictCode); err != nil {
		return nil, fmt.Errorf("app: district sealing key: %w", err)
	}
	sl := &sealer{keys: a.Keys, store: a.Store, statusURI: cfg.StatusListURI(), now: time.Now}

	popts, err := cfg.Policy.Options()
	if err != nil {
		return nil, fmt.Errorf("app: policy: %w", err)
	}
	// Publishing a bundle to the configured source is the administrators' act of activating
	// it; the hub records each activation in the audit chain with both revisions.
	source := "embedded"
	switch {
	case cfg.Policy.Dir != "":
		source = "dir"
	case cfg.Policy.URL != "":
		source = "url"
	}
	activated := func(ctx context.Context, previous, revision string) {
		e := &store.AuditEntry{ActorSub: "hub", ActorRole: "system", Action: store.AuditPolicy,
			Details: mustJSON(map[string]any{"operation": "activate", "previous_revision": previous, "revision": revision, "source": source})}
		if err := a.Store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
			o.log.ErrorContext(ctx, "audit policy activation", "err", err, "revision", revision)
		}
	}
	a.Policy, err = policy.New(ctx, append(popts, policy.WithLogger(o.log), policy.WithActivationHook(activated))...)
	if err != nil {
		return nil, fmt.Errorf("app: policy bundle: %w", err)
	}
	if cfg.Policy.Watched() {
		// Hot reload: poll the bundle source until the app closes.
		watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
		watchDone := make(chan struct{})
		go func() {
			defer close(watchDone)
			_ = a.Policy.Watch(watchCtx)
		}()
		a.closers = append(a.closers, func() error { stopWatch(); <-watchDone; return nil })
	}

	tracing, err := telemetry.Setup(ctx, cfg.Telemetry)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a.closers = append(a.closers, func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return tracing.Shutdown(sctx)
	})
	a.Server = api.New(api.WithLogger(o.log), api.WithTracerProvider(tracing.TracerProvider()))
	conns, err := newConnectors(cfg, a.Store, a.Server.Registry(), o.log, o.cacheOpts...)
	if err != nil {
		return nil, err
	}
	a.conns = conns
	a.closers = append(a.closers, conns.Close)
	a.Hub = service.New(a.Store, policyPort{a.Policy}, evidencePort{c: conns, store: a.Store}, sl, service.WithLogger(o.log),
		service.WithWhatIf(whatIfPort{live: a.Policy, store: a.Store, cfg: cfg.Policy, log: o.log}))
	a.Clients = clients.New(a.Store, hubIssuer, cfg.Clients, clients.WithItems(func(code string) bool {
		_, err := a.Hub.Item(code)
		return err == nil
	}))
	a.Authn = a.Clients.Authenticator(a.Auth)
	api.Routes(a.Server, api.Parts{
		Hub:     a.Hub,
		Authn:   a.Authn,
		Clients: a.Clients,
		Stats:   a.Hub,
		Auditor: a.Hub,
		Keys:    sl,
		GraphQL: graphQLHandler(a.Hub, o.log),
		UI:      web.UI{},
		Checks: map[string]api.ReadinessCheck{
			"store": a.Store.Ping,
			"policy": func(context.Context) error {
				if a.Policy.Revision() == "" {
					return errors.New("no policy bundle loaded")
				}
				return nil
			},
		},
		PublicURL: cfg.PublicURL,
		Webhooks:  a.Hub,
	})

	a.Webhooks = webhook.NewWorker(a.Store, slices.Concat([]webhook.Option{webhook.WithLogger(o.log)}, cfg.Webhooks.Options(), o.webhookOpts)...)
	if !o.manualWebhooks && cfg.Webhooks.On() {
		whCtx, stopWebhooks := context.WithCancel(context.WithoutCancel(ctx))
		whDone := make(chan struct{})
		go func() {
			defer close(whDone)
			a.Webhooks.Run(whCtx)
		}()
		a.closers = append(a.closers, func() error { stopWebhooks(); <-whDone; return nil })
	}

	cp := store.StartCheckpointer(a.Store, func(ctx context.Context) (string, crypto.Signer, error) {
		return a.Keys.Signer(ctx, division.DistrictCode)
	}, o.checkpointInterval, o.log)
	a.closers = append(a.closers, cp.Close)
	return a, nil
}

// HubIssuerKeyFile is where the hub's own issuer key lives under data_dir when
// clients.key_file is not set.
const HubIssuerKeyFile = "keys/hub-issuer-ed25519.pem"

// openHubIssuer opens the hub's own token issuer: its key from clients.key_file, else from
// HubIssuerKeyFile under data_dir, else a key generated now and kept in memory.
func openHubIssuer(cfg *config.Config) (*auth.Issuer, error) {
	cc := cfg.Clients.WithDefaults()
	path := cc.KeyFile
	if path == "" && cfg.DataDir != "" {
		path = filepath.Join(cfg.DataDir, filepath.FromSlash(HubIssuerKeyFile))
	}
	var (
		is  *auth.Issuer
		err error
	)
	if path != "" {
		is, err = auth.OpenKeyFileIssuer(cc.Issuer, path)
	} else {
		is, err = auth.NewEphemeralIssuer(cc.Issuer)
	}
	if err != nil {
		return nil, fmt.Errorf("app: hub token issuer: %w", err)
	}
	return is, nil
}

// Keyring opens the offices' sealing keys kept in st, as the keys section of cfg says (the
// master secret, the retired-key overlap); for the hub itself and for `hub keys`.
func Keyring(cfg *config.Config, st store.Store) (*seal.Keyring, error) {
	kr, err := cfg.Keys.Keyring(storeKeyStore{st})
	if err != nil {
		return nil, fmt.Errorf("app: sealing keys: %w", err)
	}
	return kr, nil
}

// Handler is the hub's HTTP handler.
func (a *App) Handler() http.Handler { return a.Server }

// Close releases everything New opened, in reverse order.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
