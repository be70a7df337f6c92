package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/hub/auth"
)

func validConfig() *Config {
	c := Default()
	c.Addr = "127.0.0.1:8080"
	c.DataDir = "data"
	c.Upstreams.Province = province.Config{BaseURL: "http://127.0.0.1:9001", AppKey: "k", Secret: "s"}
	c.Upstreams.City = city.Config{BaseURL: "http://127.0.0.1:9002", ClientID: "c", ClientSecret: "s"}
	c.Upstreams.District = district.Config{BaseURL: "http://127.0.0.1:9003", APIKey: "a"}
	c.Auth = auth.Config{Issuers: []auth.TrustedIssuer{{Name: "demo", Algorithms: []string{"EdDSA"}, JWKSFile: "issuer.jwks.json"}}}
	return c
}

func writeYAML(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.yaml")
	want := validConfig()
	want.Policy.Dir = "bundle"
	want.Policy.VerificationKeyFile = "bundle.pub"
	want.Policy.PollInterval = 90 * time.Second
	want.Keys.MasterKeyFile = "keys/master.key"
	want.Keys.RetiredOverlap = 48 * time.Hour
	if err := want.Write(path); err != nil {
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
	for _, p := range []struct{ name, got, want string }{
		{"store", c.Store, filepath.Join(dir, "data", "hub.db")},
		{"auth.issuers[0].jwks_file", c.Auth.Issuers[0].JWKSFile, filepath.Join(dir, "issuer.jwks.json")},
		{"policy.dir", c.Policy.Dir, filepath.Join(dir, "bundle")},
		{"policy.verification_key_file", c.Policy.VerificationKeyFile, filepath.Join(dir, "bundle.pub")},
		{"keys.master_key_file", c.Keys.MasterKeyFile, filepath.Join(dir, "keys", "master.key")},
		{"public_url", c.PublicURL, "http://127.0.0.1:8080"},
	} {
		if p.got != p.want {
			t.Errorf("%s = %q, want %q (relative paths resolve against the file)", p.name, p.got, p.want)
		}
	}
	if c.Policy.PollInterval != 90*time.Second || c.Keys.RetiredOverlap != 48*time.Hour {
		t.Errorf("durations: poll %v overlap %v", c.Policy.PollInterval, c.Keys.RetiredOverlap)
	}
	if c.Upstreams.City.Resilience.HedgeBudget != DefaultHedgeBudget {
		t.Errorf("hedge budget %v after a round trip", c.Upstreams.City.Resilience.HedgeBudget)
	}
	if got := c.StatusListURI(); got != "http://127.0.0.1:8080/v1/permits/status" {
		t.Errorf("status list URI %q", got)
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

// TestLoadReadsFilesOfEarlierDemos: a hub.yaml written by `hub demo` before the sections
// became their packages' Configs (upstreams.*.url, policy.bundle_url, keys.dir) still loads.
func TestLoadReadsFilesOfEarlierDemos(t *testing.T) {
	path := writeYAML(t, `# Sanmian hub configuration, written by `+"`hub demo`"+`; usable with `+"`hub serve --config`"+`.
addr: 127.0.0.1:8080
public_url: http://127.0.0.1:8080
data_dir: data
store: data/hub.db
upstreams:
    province:
        url: http://127.0.0.1:41001
        app_key: demo-app
        secret: demo-secret
    city:
        url: http://127.0.0.1:41002
        client_id: demo-client
        client_secret: demo-client-secret
    district:
        url: http://127.0.0.1:41003
        api_key: demo-api-key
auth:
    issuers:
        - name: sanmian-demo
          algorithms:
            - EdDSA
          jwks_file: data/issuer.jwks.json
policy:
    bundle_url: http://127.0.0.1:41004/bundles/sanmian.tar.gz
keys:
    dir: data/keys
    master_key_file: data/keys/master.key
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Upstreams.Province.BaseURL != "http://127.0.0.1:41001" || c.Upstreams.City.BaseURL != "http://127.0.0.1:41002" ||
		c.Upstreams.District.BaseURL != "http://127.0.0.1:41003" {
		t.Errorf("upstream URLs not carried over: %+v", c.Upstreams)
	}
	if c.Policy.URL != "http://127.0.0.1:41004/bundles/sanmian.tar.gz" {
		t.Errorf("policy.bundle_url not carried over: %q", c.Policy.URL)
	}
	if c.Keys.MasterKeyFile != filepath.Join(filepath.Dir(path), "data", "keys", "master.key") {
		t.Errorf("master key file %q", c.Keys.MasterKeyFile)
	}
}

// TestLoadKeepsDefaultsUnderPartialSections: a section that sets some fields keeps the
// defaults of the others, and an explicit zero overrides a default.
func TestLoadKeepsDefaultsUnderPartialSections(t *testing.T) {
	base := "addr: 127.0.0.1:1\nstore: hub.db\nauth: {issuers: [{name: i, algorithms: [EdDSA], jwks_file: j.json}]}\n"
	cases := []struct {
		name                     string
		upstreams                string
		province, city, district float64
		retryMax                 int
	}{
		{"defaults", `
  province: {base_url: "http://p", app_key: k, secret: s}
  city: {base_url: "http://c", client_id: c, client_secret: s}
  district: {base_url: "http://d", api_key: k}`, DefaultHedgeBudget, DefaultHedgeBudget, DefaultHedgeBudget, 0},
		{"retry_max_keeps_hedging", `
  province: {base_url: "http://p", app_key: k, secret: s, resilience: {retry_max: 3}}
  city: {base_url: "http://c", client_id: c, client_secret: s}
  district: {base_url: "http://d", api_key: k}`, DefaultHedgeBudget, DefaultHedgeBudget, DefaultHedgeBudget, 3},
		{"hedging_turned_off_for_city", `
  province: {base_url: "http://p", app_key: k, secret: s}
  city: {base_url: "http://c", client_id: c, client_secret: s, resilience: {hedge_budget: 0}}
  district: {base_url: "http://d", api_key: k, resilience: {hedge_budget: 0.1}}`, DefaultHedgeBudget, 0, 0.1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(writeYAML(t, base+"upstreams:"+tc.upstreams+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			u := c.Upstreams
			if u.Province.Resilience.HedgeBudget != tc.province || u.City.Resilience.HedgeBudget != tc.city ||
				u.District.Resilience.HedgeBudget != tc.district || u.Province.Resilience.RetryMax != tc.retryMax {
				t.Fatalf("hedge budgets %v %v %v, province retry_max %d", u.Province.Resilience.HedgeBudget,
					u.City.Resilience.HedgeBudget, u.District.Resilience.HedgeBudget, u.Province.Resilience.RetryMax)
			}
		})
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"missing_addr", func(c *Config) { c.Addr = "" }, []string{"addr is required"}},
		{"bad_upstream_url", func(c *Config) { c.Upstreams.City.BaseURL = "ftp://x" }, []string{"upstreams.city.base_url"}},
		{"missing_province_secret", func(c *Config) { c.Upstreams.Province.Secret = "" }, []string{"upstreams.province:"}},
		{"negative_city_refresh", func(c *Config) { c.Upstreams.City.RefreshBefore = -time.Second }, []string{"upstreams.city:"}},
		{"bad_resilience", func(c *Config) { c.Upstreams.District.Resilience.RateLimit = -1 }, []string{"upstreams.district:"}},
		{"hs256_issuer", func(c *Config) { c.Auth.Issuers[0].Algorithms = []string{"HS256"} }, []string{"auth:"}},
		{"two_key_sources", func(c *Config) { c.Auth.Issuers[0].JWKSURL = "http://x" }, []string{"auth:"}},
		{"unknown_evaluator", func(c *Config) { c.Policy.Evaluator = "wasm" }, []string{"policy:", "evaluator"}},
		{"policy_dir_and_url", func(c *Config) { c.Policy.Dir, c.Policy.URL = "p", "http://x/b" }, []string{"policy:"}},
		{"policy_key_id_without_key", func(c *Config) { c.Policy.KeyID = "k" }, []string{"policy:"}},
		{"policy_two_keys", func(c *Config) { c.Policy.VerificationKey, c.Policy.VerificationKeyFile = "k", "f" }, []string{"policy:"}},
		{"negative_retired_overlap", func(c *Config) { c.Keys.RetiredOverlap = -time.Hour }, []string{"keys:"}},
		{"relative_status_list_uri", func(c *Config) { c.Keys.StatusListURI = "/v1/permits/status" }, []string{"keys:"}},
		{"no_status_list_uri", func(c *Config) { c.PublicURL = "" }, []string{"keys.status_list_uri or public_url"}},
		{"client_token_ttl_too_long", func(c *Config) { c.Clients.TokenTTL = 2 * time.Hour }, []string{"clients:", "token_ttl"}},
		{"hub_issuer_also_external", func(c *Config) { c.Auth.Issuers[0].Name = "sanmian-hub" }, []string{"clients.issuer"}},
		{"several_at_once", func(c *Config) { c.Addr = ""; c.Upstreams.District.APIKey = "" }, []string{"addr is required", "upstreams.district:"}},
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
	for name, text := range map[string]string{
		"top_level_typo":    "addr: 127.0.0.1:1\nstroe: typo.db\n",
		"removed_keys_file": "addr: 127.0.0.1:1\nkeys: {keys_file: k.json}\n",
		"policy_typo":       "addr: 127.0.0.1:1\npolicy: {verification_keys: x}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeYAML(t, text))
			if err == nil || !strings.Contains(err.Error(), "not found in type") {
				t.Fatalf("unknown field not refused: %v", err)
			}
		})
	}
}

// FuzzLoad: no input makes Load panic, and whatever it accepts passes Validate.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("addr: 127.0.0.1:1\nstore: x.db\n"))
	f.Add([]byte("upstreams: {province: {url: http://x}}\npolicy: {bundle_url: 1}\nkeys: {dir: [a]}\n"))
	f.Add([]byte("keys: [1, 2]\nupstreams: 3\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "hub.yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Load accepted a config Validate refuses: %v", verr)
			}
		}
	})
}

// TestEvidenceSection: hub.yaml's evidence section is cache.Config, written and read back
// (a 0s max_stale included), and refused with a clear message for an unknown kind, a bare
// kind or a lifetime that is not positive.
func TestEvidenceSection(t *testing.T) {
	t.Run("round_trip", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hub.yaml")
		want := validConfig()
		want.Evidence.TTL = map[string]time.Duration{"province.person": 2 * time.Minute, "district.resident": time.Hour}
		want.Evidence.DefaultTTL = 5 * time.Minute
		want.Evidence.MaxStale = map[string]time.Duration{"province.person": 0, "district.household": 36 * time.Hour}
		want.Evidence.DefaultMaxStale = 12 * time.Hour
		want.Evidence.MaxEntries = 5000
		if err := want.Write(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Evidence, want.Evidence) {
			t.Fatalf("evidence after a round trip = %+v, want %+v", got.Evidence, want.Evidence)
		}
	})
	for _, tc := range []struct {
		name, section, want string
	}{
		{"unknown_kind", "evidence: {ttl: {province.persons: 1m}}", `evidence: unknown evidence kind "province.persons" (known: city.insurance, district.household, district.resident, province.kinship, province.licences, province.person)`},
		{"unknown_kind_max_stale", "evidence: {max_stale: {city.pension: 1h}}", `unknown evidence kind "city.pension"`},
		{"bare_kind", "evidence: {ttl: {person: 1m}}", `evidence: ttl: kind "person" is not of the form <platform>.<kind>`},
		{"ttl_zero", "evidence: {ttl: {province.person: 0s}}", "evidence: ttl.province.person 0s is not positive"},
		{"max_stale_negative", "evidence: {max_stale: {district.resident: -1h}}", "evidence: max_stale.district.resident -1h0m0s is negative"},
		{"default_ttl_negative", "evidence: {default_ttl: -1m}", "evidence: default_ttl -1m0s is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.yaml")
			if err := validConfig().Write(path); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, []byte(tc.section+"\n")...), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = Load(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestWebhooksSection(t *testing.T) {
	t.Run("round_trip", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hub.yaml")
		want := validConfig()
		off := false
		want.Webhooks.Enabled = &off
		want.Webhooks.PollInterval = 2 * time.Second
		want.Webhooks.Concurrency = 32
		want.Webhooks.Timeout = 5 * time.Second
		want.Webhooks.RetrySchedule = []time.Duration{time.Minute, time.Hour, 24 * time.Hour}
		if err := want.Write(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Webhooks, want.Webhooks) || got.Webhooks.On() {
			t.Fatalf("webhooks after a round trip = %+v, want %+v", got.Webhooks, want.Webhooks)
		}
		if !validConfig().Webhooks.On() {
			t.Fatal("the worker is off by default")
		}
	})
	for _, tc := range []struct {
		name, section, want string
	}{
		{"schedule_under_a_day", "webhooks: {retry_schedule: [5s, 1h]}", "webhooks: webhook: invalid configuration: retry_schedule adds up to 1h0m5s; deliveries must be retried for at least 24h0m0s"},
		{"schedule_nonpositive", "webhooks: {retry_schedule: [0s, 30h]}", "retry_schedule[0] must be positive"},
		{"concurrency_too_high", "webhooks: {concurrency: 1000}", "concurrency must be between 0 (default 16) and 256"},
		{"poll_negative", "webhooks: {poll_interval: -1s}", "poll_interval must be between"},
		{"timeout_too_long", "webhooks: {timeout: 2m}", "timeout must be between"},
		{"unknown_setting", "webhooks: {backoff: 5s}", "field backoff not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.yaml")
			if err := validConfig().Write(path); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, []byte(tc.section+"\n")...), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = Load(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
