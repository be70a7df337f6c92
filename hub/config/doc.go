// Package config is the hub's configuration file (hub.yaml): where the hub listens, where its
// store lives, which upstream platforms it pulls from with which credentials, which token
// issuers it trusts, where its policy bundle comes from and which key must have signed it, and
// how the sealing keys are protected. `hub demo` writes one; `hub serve --config FILE` reads
// one.
//
// Each section is the Config of the package that reads it, with that package's yaml tags and
// Validate: upstreams.province is province.Config, upstreams.city city.Config,
// upstreams.district district.Config (each with a resilience.Config), auth is auth.Config,
// policy is policy.Config, keys is seal.Config, clients is clients.Config, telemetry is
// telemetry.Config, webhooks is webhook.Config and evidence is cache.Config (its kinds checked against
// assembly.CacheKinds). Config.Validate runs them all and reports
// every problem at once.
//
// The environment is read under one prefix, SANMIAN_ (EnvPrefix): values may reference
// ${SANMIAN_...} variables (others are left as written), and the sealing keys' master secret
// comes from SANMIAN_MASTER_KEY when keys.master_key_file is not set.
//
// Every setting and the code that reads it (TestEverySettingIsListed keeps this table, the
// Config struct and the README's hub.yaml section in step):
//
//	addr                                cmd/hub serve: net.Listen (hub serve --addr overrides it)
//	public_url                          app.New: the print page's verification link; Config.StatusListURI
//	data_dir                            Load: the default store, <data_dir>/hub.db
//	store                               app.New and cmd/hub: store.Open
//	upstreams.province.base_url         province.New
//	upstreams.province.app_key          province.New: the request signer
//	upstreams.province.secret           province.New: the request signer
//	upstreams.city.base_url             city.New
//	upstreams.city.client_id            city.New: the OAuth2 token request
//	upstreams.city.client_secret        city.New: the OAuth2 token request
//	upstreams.city.scope                city.New: the OAuth2 token request
//	upstreams.city.refresh_before       city.New: when a token is replaced
//	upstreams.district.base_url         district.New
//	upstreams.district.api_key          district.New: the X-Api-Key header
//	upstreams.*.resilience.*            resilience.New (retries, timeouts, rate limit, breaker, hedging)
//	evidence.max_entries                cache.New (app's connectors): the evidence cache's size
//	evidence.ttl                        cache.New: freshness per "<platform>.<kind>" (assembly.CacheKinds)
//	evidence.default_ttl                cache.New: freshness of kinds not in evidence.ttl
//	evidence.max_stale                  cache.GetMany: how long past its TTL a kind may be served stale
//	evidence.default_max_stale          cache.GetMany: the same for kinds not in evidence.max_stale
//	auth.issuers[].name                 auth.NewVerifier
//	auth.issuers[].algorithms           auth.NewVerifier
//	auth.issuers[].jwks_file            auth.NewVerifier
//	auth.issuers[].jwks_url             auth.NewVerifier
//	auth.leeway                         auth.NewVerifier
//	policy.dir                          policy.Config.Options: policy.FromDir; app.New starts Engine.Watch
//	policy.url                          policy.Config.Options: policy.FromURL; app.New starts Engine.Watch
//	policy.poll_interval                policy.Config.Options: policy.WithPollInterval
//	policy.evaluator                    policy.Config.Options: policy.WithTopdown
//	policy.verification_key             policy.Config.Options: policy.WithVerification
//	policy.verification_key_file        policy.Config.Options: policy.WithVerification
//	policy.key_id                       policy.Config.Options: policy.WithVerification
//	policy.key_algorithm                policy.Config.Options: policy.WithVerification
//	policy.scope                        policy.Config.Options: policy.WithVerification
//	keys.master_key_file                seal.Config.MasterKey (app.Keyring)
//	keys.retired_overlap                seal.Config.Keyring: seal.WithRetiredOverlap
//	keys.status_list_uri                Config.StatusListURI: app.New's sealer (permits' status claim, the signed list)
//	clients.issuer                      app.New: the hub's own issuer (clients.Registry), trusted by the Verifier
//	clients.key_file                    app.New: auth.OpenKeyFileIssuer (<data_dir>/keys/hub-issuer-ed25519.pem, else auth.NewEphemeralIssuer, when empty)
//	clients.token_ttl                   clients.New: the lifetime of minted tokens
//	clients.secret_overlap              clients.New: how long earlier secrets work after a rotation
//	telemetry.endpoint                  telemetry.Setup: the OTLP exporter (empty: tracing off); app.New: api.WithTracerProvider
//	telemetry.protocol                  telemetry.Setup: otlptracehttp or otlptracegrpc
//	telemetry.sample_ratio              telemetry.NewProvider: the ParentBased(TraceIDRatioBased) sampler
//	telemetry.service_name              telemetry.NewProvider: the service.name resource attribute
//	webhooks.enabled                    app.New: whether this replica runs webhook.Worker.Run
//	webhooks.poll_interval              webhook.Config.Options: webhook.WithPollInterval
//	webhooks.concurrency                webhook.Config.Options: webhook.WithBatch
//	webhooks.timeout                    webhook.Config.Options: webhook.WithTimeout
//	webhooks.retry_schedule             webhook.Config.Options: webhook.WithSchedule
package config
