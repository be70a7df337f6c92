// Package config is the hub's configuration file (hub.yaml): where the hub listens, where its
// store and keys live, which upstream platforms it pulls from with which credentials, which
// token issuers it trusts and where its policy bundle comes from. `hub demo` writes one;
// `hub serve --config FILE` reads one. Values may reference environment variables with
// ${SANMIAN_...}; only variables with the SANMIAN_ prefix are expanded.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"sanmian/hub/auth"
)

// Config is the whole hub configuration.
type Config struct {
	// Addr is the HTTP listen address, e.g. "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// PublicURL is the hub's address as callers and verifiers reach it, without a trailing
	// slash (default http://<addr>); permits carry <PublicURL>/v1/permits/status.
	PublicURL string `yaml:"public_url,omitempty"`
	// DataDir holds the demo layout: hub.db, keys/, the demo issuer. Relative paths in the
	// file are resolved against the directory of the file.
	DataDir string `yaml:"data_dir"`
	// Store is an SQLite file path (default DataDir/hub.db) or a PostgreSQL DSN
	// (postgres://...).
	Store string `yaml:"store"`
	// Upstreams are the three data platforms.
	Upstreams Upstreams `yaml:"upstreams"`
	// Auth lists the trusted caller-token issuers (pinned algorithms, JWKS file or URL).
	Auth auth.Config `yaml:"auth"`
	// Policy says where the policy bundle comes from.
	Policy Policy `yaml:"policy"`
	// Keys says where the sealing keys live and how they are protected.
	Keys Keys `yaml:"keys"`
}

// Upstreams configures the three platform connectors.
type Upstreams struct {
	Province Province `yaml:"province"`
	City     City     `yaml:"city"`
	District District `yaml:"district"`
}

// Province is the provincial big-data platform (app key + HMAC signature).
type Province struct {
	URL    string `yaml:"url"`
	AppKey string `yaml:"app_key"`
	Secret string `yaml:"secret"`
}

// City is the city platform (OAuth2 client credentials).
type City struct {
	URL          string `yaml:"url"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
}

// District is the district platform (API key).
type District struct {
	URL    string `yaml:"url"`
	APIKey string `yaml:"api_key"`
}

// Policy says where the policy bundle comes from: the embedded bundle (default), a directory,
// or an OPA bundle service URL polled every PollInterval. Evaluator chooses how queries run:
// "irvm" (default: OPA's plan of each query, run by package hub/policy/irvm) or "topdown"
// (OPA's reference evaluator, several times slower; the same decisions).
type Policy struct {
	Dir          string        `yaml:"dir,omitempty"`
	BundleURL    string        `yaml:"bundle_url,omitempty"`
	PollInterval time.Duration `yaml:"poll_interval,omitempty"`
	Evaluator    string        `yaml:"evaluator,omitempty"`
}

// Keys configures the sealing keys: the directory (default DataDir/keys) and the file holding
// the master key that encrypts them at rest (or ${SANMIAN_MASTER_KEY}).
type Keys struct {
	Dir           string `yaml:"dir,omitempty"`
	MasterKeyFile string `yaml:"master_key_file,omitempty"`
}

// Load reads and validates a configuration file. Relative paths are resolved against the
// file's directory.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	b = []byte(expandEnv(string(b)))
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return &c, nil
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

var envRef = regexp.MustCompile(`\$\{(SANMIAN_[A-Z0-9_]+)\}`)

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
	if c.Keys.Dir == "" && c.DataDir != "" {
		c.Keys.Dir = filepath.Join(c.DataDir, "keys")
	}
	c.Keys.Dir = abs(c.Keys.Dir)
	c.Keys.MasterKeyFile = abs(c.Keys.MasterKeyFile)
	c.Policy.Dir = abs(c.Policy.Dir)
	for i := range c.Auth.Issuers {
		c.Auth.Issuers[i].JWKSFile = abs(c.Auth.Issuers[i].JWKSFile)
	}
}

// Validate reports every problem in c at once.
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
			bad("upstreams.%s.url is required", name)
			return
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad("upstreams.%s.url %q is not an http(s) URL", name, u)
		}
	}
	checkURL("province", c.Upstreams.Province.URL)
	checkURL("city", c.Upstreams.City.URL)
	checkURL("district", c.Upstreams.District.URL)
	if c.Upstreams.Province.AppKey == "" || c.Upstreams.Province.Secret == "" {
		bad("upstreams.province needs app_key and secret")
	}
	if c.Upstreams.City.ClientID == "" || c.Upstreams.City.ClientSecret == "" {
		bad("upstreams.city needs client_id and client_secret")
	}
	if c.Upstreams.District.APIKey == "" {
		bad("upstreams.district needs api_key")
	}
	if err := c.Auth.Validate(); err != nil {
		bad("auth: %w", err)
	}
	if c.Policy.Dir != "" && c.Policy.BundleURL != "" {
		bad("policy: set at most one of dir and bundle_url")
	}
	if e := c.Policy.Evaluator; e != "" && e != "irvm" && e != "topdown" {
		bad("policy.evaluator: %q is neither irvm nor topdown", e)
	}
	if c.Keys.Dir == "" {
		bad("keys.dir is required, or set data_dir")
	}
	return errors.Join(errs...)
}
