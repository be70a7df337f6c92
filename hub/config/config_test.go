package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sanmian/hub/auth"
)

func validConfig() *Config {
	return &Config{
		Addr:    "127.0.0.1:8080",
		DataDir: "data",
		Upstreams: Upstreams{
			Province: Province{URL: "http://127.0.0.1:9001", AppKey: "k", Secret: "s"},
			City:     City{URL: "http://127.0.0.1:9002", ClientID: "c", ClientSecret: "s"},
			District: District{URL: "http://127.0.0.1:9003", APIKey: "a"},
		},
		Auth: auth.Config{Issuers: []auth.TrustedIssuer{{Name: "demo", Algorithms: []string{"EdDSA"}, JWKSFile: "issuer.jwks.json"}}},
	}
}

func TestWriteLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.yaml")
	if err := validConfig().Write(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("config written with mode %v, want 0600", st.Mode().Perm())
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != filepath.Join(dir, "data", "hub.db") || c.Keys.Dir != filepath.Join(dir, "data", "keys") {
		t.Fatalf("relative paths not resolved against the file: store %q keys %q", c.Store, c.Keys.Dir)
	}
	if c.Auth.Issuers[0].JWKSFile != filepath.Join(dir, "issuer.jwks.json") {
		t.Fatalf("issuer jwks path %q", c.Auth.Issuers[0].JWKSFile)
	}
}

func TestLoadExpandsOnlySanmianVariables(t *testing.T) {
	t.Setenv("SANMIAN_TEST_SECRET", "from-env")
	t.Setenv("HOME_SECRET", "must-not-expand")
	dir := t.TempDir()
	c := validConfig()
	c.Upstreams.Province.Secret = "${SANMIAN_TEST_SECRET}"
	c.Upstreams.District.APIKey = "${HOME_SECRET}"
	path := filepath.Join(dir, "hub.yaml")
	if err := c.Write(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Upstreams.Province.Secret != "from-env" || got.Upstreams.District.APIKey != "${HOME_SECRET}" {
		t.Fatalf("expansion: %q %q", got.Upstreams.Province.Secret, got.Upstreams.District.APIKey)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"missing_addr", func(c *Config) { c.Addr = "" }, []string{"addr is required"}},
		{"bad_upstream_url", func(c *Config) { c.Upstreams.City.URL = "ftp://x" }, []string{"upstreams.city.url"}},
		{"hs256_issuer", func(c *Config) { c.Auth.Issuers[0].Algorithms = []string{"HS256"} }, []string{"auth:"}},
		{"two_key_sources", func(c *Config) { c.Auth.Issuers[0].JWKSURL = "http://x" }, []string{"auth:"}},
		{"unknown_evaluator", func(c *Config) { c.Policy.Evaluator = "wasm" }, []string{"policy.evaluator"}},
		{"several_at_once", func(c *Config) { c.Addr = ""; c.Upstreams.District.APIKey = "" }, []string{"addr is required", "district needs api_key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.resolve(t.TempDir())
			tc.mutate(c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted an invalid config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	for _, ev := range []string{"", "irvm", "topdown"} {
		c := validConfig()
		c.resolve(t.TempDir())
		c.Policy.Evaluator = ev
		if err := c.Validate(); err != nil {
			t.Fatalf("valid config (evaluator %q) rejected: %v", ev, err)
		}
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.yaml")
	if err := os.WriteFile(path, []byte("addr: 127.0.0.1:1\nstroe: typo.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "stroe") {
		t.Fatalf("unknown field not named: %v", err)
	}
}
