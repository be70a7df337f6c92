package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"sanmian/connectors/cache"
	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/hub/auth"
	"sanmian/hub/clients"
	"sanmian/hub/evidence/assembly"
	"sanmian/hub/policy"
	"sanmian/hub/seal"
	"sanmian/hub/telemetry"
	"sanmian/hub/webhook"
)

// EnvPrefix is the one prefix of the environment variables the hub reads: ${SANMIAN_...}
// references in hub.yaml, and SANMIAN_MASTER_KEY.
const EnvPrefix = "SANMIAN_"

// StatusListPath is where the hub serves its revocation status list.
const StatusListPath = "/v1/permits/status"

// DefaultHedgeBudget is the hedged-read budget of every upstream unless hub.yaml sets
// upstreams.<platform>.resilience.hedge_budget: a read slower than its endpoint's recent p90
// gets one duplicate, at most 5% more requests per platform (connectors/conformance
// BenchmarkAssembleScoped). 0 in hub.yaml turns hedging off.
const DefaultHedgeBudget = 0.05

// Config is the whole hub configuration. Each section is the Config of the package that
// reads it.
type Config struct {
	// Addr is the HTTP listen address, e.g. "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// PublicURL is the hub's address as callers and verifiers reach it, without a trailing
	// slash (default http://<addr>): the print page links to it, and the status list is
	// <PublicURL>/v1/permits/status unless keys.status_list_uri says otherwise.
	PublicURL string `yaml:"public_url,omitempty"`
	// DataDir is the directory of the demo layout; Store defaults to DataDir/hub.db.
	// Relative paths in the file are resolved against the directory of the file.
	DataDir string `yaml:"data_dir,omitempty"`
	// Store is an SQLite file path (default DataDir/hub.db) or a PostgreSQL DSN
	// (postgres://...).
	Store string `yaml:"store"`
	// Upstreams are the three data platforms.
	Upstreams Upstreams `yaml:"upstreams"`
	// Evidence sets the evidence cache: freshness (TTL) and how long past it a value may be
	// served stale when its platform fails, per "<platform>.<kind>" and by default. Whether
	// an item accepts stale evidence at all is the policy's choice (the catalogue's
	// stale_allowed and stale_kinds).
	Evidence cache.Config `yaml:"evidence,omitempty"`
	// Auth lists the trusted caller-token issuers (pinned algorithms, JWKS file or URL).
	Auth auth.Config `yaml:"auth"`
	// Policy says where the policy bundle comes from, how it is evaluated and which key must
	// have signed it.
	Policy policy.Config `yaml:"policy,omitempty"`
	// Keys says how the sealing keys (kept in the store) are protected and published.
	Keys seal.Config `yaml:"keys,omitempty"`
	// Clients configures the hub's own token issuer for registered department apps (the
	// OAuth2 token endpoint).
	Clients clients.Config `yaml:"clients,omitempty"`
	// Telemetry turns on OpenTelemetry tracing to an OTLP collector (off by default).
	Telemetry telemetry.Config `yaml:"telemetry,omitempty"`
	// Webhooks configures this replica's webhook delivery worker.
	Webhooks webhook.Config `yaml:"webhooks,omitempty"`
}

// Upstreams configures the three platform connectors, each with its package's Config.
type Upstreams struct {
	// Province is the provincial big-data platform (app key + HMAC signature).
	Province province.Config `yaml:"province"`
	// City is the city platform (OAuth2 client credentials).
	City city.Config `yaml:"city"`
	// District is the district platform (API key).
	District district.Config `yaml:"district"`
}

// Default returns the settings a hub.yaml starts from: every upstream hedges its reads
// within DefaultHedgeBudget; everything else is the zero value (each package's default).
func Default() *Config {
	var c Config
	c.Upstreams.Province.Resilience.HedgeBudget = DefaultHedgeBudget
	c.Upstreams.City.Resilience.HedgeBudget = DefaultHedgeBudget
	c.Upstreams.District.Resilience.HedgeBudget = DefaultHedgeBudget
	return &c
}

// Load reads and validates a configuration file over Default. Relative paths are resolved
// against the file's directory; ${SANMIAN_...} references are replaced by the environment
// variable's value. Files written before the sections became their packages' Configs are
// read as well (see upgrade).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(expandEnv(string(b))), &doc); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	upgrade(&doc)
	text, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	c := Default()
	dec := yaml.NewDecoder(strings.NewReader(string(text)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// upgrade rewrites, in place, the settings of files `hub demo` wrote before each section
// became its package's Config: upstreams.<platform>.url is now base_url, policy.bundle_url
// is policy.url, and keys.dir (never read: the keys live in the store) is dropped.
func upgrade(doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if ups := mapValue(root, "upstreams"); ups != nil {
		for _, p := range []string{"province", "city", "district"} {
			renameKey(mapValue(ups, p), "url", "base_url")
		}
	}
	renameKey(mapValue(root, "policy"), "bundle_url", "url")
	if keys := mapValue(root, "keys"); keys != nil && keys.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(keys.Content); i += 2 {
			if keys.Content[i].Value == "dir" {
				keys.Content = append(keys.Content[:i], keys.Content[i+2:]...)
				break
			}
		}
	}
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// renameKey renames key from to to in mapping m unless m already has to.
func renameKey(m *yaml.Node, from, to string) {
	if m == nil || mapValue(m, to) != nil {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == from {
			m.Content[i].Value = to
		}
	}
}

// Write writes c as YAML to path with mode 0600 (it may hold credentials), atomically.
func (c *Config) Write(path string) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	head := "# Sanmian hub configuration, written by `hub demo`; usable with `hub serve --config`.\n"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(head), b...), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

var envRef = regexp.MustCompile(`\$\{(` + EnvPrefix + `[A-Z0-9_]+)\}`)

func expandEnv(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		return os.Getenv(envRef.FindStringSubmatch(m)[1])
	})
}

func (c *Config) resolve(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.DataDir = abs(c.DataDir)
	if c.PublicURL == "" && c.Addr != "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Store == "" && c.DataDir != "" {
		c.Store = filepath.Join(c.DataDir, "hub.db")
	}
	c.Store = abs(c.Store)
	c.Keys.MasterKeyFile = abs(c.Keys.MasterKeyFile)
	c.Policy.Dir = abs(c.Policy.Dir)
	c.Policy.VerificationKeyFile = abs(c.Policy.VerificationKeyFile)
	c.Clients.KeyFile = abs(c.Clients.KeyFile)
	for i := range c.Auth.Issuers {
		c.Auth.Issuers[i].JWKSFile = abs(c.Auth.Issuers[i].JWKSFile)
	}
}

// StatusListURI is the URI of the revocation status list that permits carry:
// keys.status_list_uri, else <public_url>/v1/permits/status.
func (c *Config) StatusListURI() string {
	if c.Keys.StatusListURI != "" {
		return c.Keys.StatusListURI
	}
	return strings.TrimRight(c.PublicURL, "/") + StatusListPath
}

// Validate reports every problem in c at once, each section checked by its package's
// Validate.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Addr == "" {
		bad("addr is required (e.g. 127.0.0.1:8080)")
	}
	if p, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
		bad("public_url %q is not an http(s) URL", c.PublicURL)
	}
	if c.Store == "" {
		bad("store is required (an SQLite file path or a postgres:// DSN), or set data_dir")
	}
	checkURL := func(name, u string) {
		if u == "" {
			return // the connector's Validate names it
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad("upstreams.%s.base_url %q is not an http(s) URL", name, u)
		}
	}
	checkURL("province", c.Upstreams.Province.BaseURL)
	checkURL("city", c.Upstreams.City.BaseURL)
	checkURL("district", c.Upstreams.District.BaseURL)
	for _, s := range []struct {
		name string
		v    interface{ Validate() error }
	}{
		{"upstreams.province", c.Upstreams.Province}, {"upstreams.city", c.Upstreams.City},
		{"upstreams.district", c.Upstreams.District}, {"auth", c.Auth}, {"policy", c.Policy}, {"keys", c.Keys},
		{"clients", c.Clients},
		{"telemetry", c.Telemetry},
		{"webhooks", c.Webhooks},
		{"evidence", c.Evidence},
	} {
		if err := s.v.Validate(); err != nil {
			bad("%s: %w", s.name, err)
		}
	}
	known := assembly.CacheKinds()
	for _, k := range c.Evidence.Kinds() {
		if !slices.Contains(known, k) {
			bad("evidence: unknown evidence kind %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	own := c.Clients.WithDefaults().Issuer
	for _, is := range c.Auth.Issuers {
		if is.Name == own {
			bad("clients.issuer %q is also a trusted external issuer in auth.issuers", own)
		}
	}
	if c.Keys.StatusListURI == "" && c.PublicURL == "" {
		bad("keys.status_list_uri or public_url is required")
	}
	return errors.Join(errs...)
}
