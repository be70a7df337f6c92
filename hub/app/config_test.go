package app_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"gopkg.in/yaml.v3"

	"sanmian/hub/app"
	"sanmian/hub/config"
	"sanmian/hub/policy"
	"sanmian/hub/seal"
	"sanmian/hub/store"
	"sanmian/policies"
)

// loadWithSettings writes cfg as `hub demo` would, lays the hub.yaml snippet override over
// it (deep merge), and loads the file as `hub serve --config` does.
func loadWithSettings(t *testing.T, cfg *config.Config, override string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.yaml")
	if err := cfg.Write(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var base, over map[string]any
	if err := yaml.Unmarshal(b, &base); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(override), &over); err != nil {
		t.Fatal(err)
	}
	merge(base, over)
	if b, err = yaml.Marshal(base); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return c
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
}

// demoSettings is the configuration `hub demo` writes, for platforms that are never called.
func demoSettings(t *testing.T) *config.Config {
	t.Helper()
	p := startPlatforms(t, envOptions{residents: 300})
	cfg, _ := hubConfig(t, t.TempDir(), p, "")
	return cfg
}

func newApp(t *testing.T, cfg *config.Config) (*app.App, error) {
	t.Helper()
	a, err := app.New(t.Context(), cfg, app.WithLogger(quietLogger()), app.WithCheckpointInterval(time.Hour))
	if err == nil {
		t.Cleanup(func() { _ = a.Close() })
	}
	return a, err
}

// signedBundleDir writes the real policy bundle (tests left out) as a bundle directory with
// revision rev, signed with signingKey by alg under kid (unsigned when signingKey is "").
func signedBundleDir(t *testing.T, rev, alg, kid, signingKey string) string {
	t.Helper()
	l, err := bundle.NewFSLoader(policies.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	l = l.WithFilter(func(_ string, info fs.FileInfo, _ int) bool {
		return !info.IsDir() && strings.HasSuffix(info.Name(), "_test.rego")
	})
	b, err := bundle.NewCustomReader(l).WithRegoVersion(ast.RegoV1).WithSkipBundleVerification(true).Read()
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest.Revision = rev
	if signingKey != "" {
		if err := b.GenerateSignature(bundle.NewSigningConfig(signingKey, alg, ""), kid, false); err != nil {
			t.Fatal(err)
		}
	}
	var tarball bytes.Buffer
	if err := bundle.NewWriter(&tarball).Write(b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zr, err := gzip.NewReader(&tarball)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(h.Name, "/")))
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ecKeyPair(t *testing.T) (private, public string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
}

// TestPolicyVerificationFromHubYAML: with a verification key in hub.yaml the hub starts only
// on a bundle signed with that key; without one it takes any bundle.
func TestPolicyVerificationFromHubYAML(t *testing.T) {
	const secret = "bundle-signing-secret"
	ecPriv, ecPub := ecKeyPair(t)
	otherPriv, _ := ecKeyPair(t)
	pubFile := filepath.Join(t.TempDir(), "bundle.pub.pem")
	if err := os.WriteFile(pubFile, []byte(ecPub), 0o600); err != nil {
		t.Fatal(err)
	}
	hsSettings := "policy: {key_id: ops, key_algorithm: HS256, verification_key: " + secret + "}"
	ecSettings := "policy: {key_algorithm: ES256, verification_key_file: " + pubFile + "}"
	cases := []struct {
		name     string
		bundle   func(t *testing.T) string
		settings string
		wantErr  error // nil: the hub starts on the bundle
	}{
		{"hs256_signed_with_the_key", func(t *testing.T) string { return signedBundleDir(t, "hs-1", "HS256", "ops", secret) }, hsSettings, nil},
		{"hs256_unsigned_refused", func(t *testing.T) string { return signedBundleDir(t, "hs-2", "", "", "") }, hsSettings, policy.ErrBundle},
		{"hs256_other_secret_refused", func(t *testing.T) string { return signedBundleDir(t, "hs-3", "HS256", "ops", "another-secret") }, hsSettings, policy.ErrBundle},
		{"es256_key_file_signed", func(t *testing.T) string { return signedBundleDir(t, "es-1", "ES256", "sanmian", ecPriv) }, ecSettings, nil},
		{"es256_key_file_other_key_refused", func(t *testing.T) string { return signedBundleDir(t, "es-2", "ES256", "sanmian", otherPriv) }, ecSettings, policy.ErrBundle},
		{"no_key_takes_unsigned", func(t *testing.T) string { return signedBundleDir(t, "plain-1", "", "", "") }, "", nil},
	}
	base := demoSettings(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.bundle(t)
			cfg := loadWithSettings(t, base, "policy: {dir: "+dir+"}")
			if tc.settings != "" {
				cfg = loadWithSettings(t, cfg, tc.settings)
			}
			a, err := newApp(t, cfg)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("hub started on a bundle it must refuse (err %v)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rev := a.Policy.Revision(); !strings.HasSuffix(rev, "-1") {
				t.Fatalf("active revision %q, want the configured bundle's", rev)
			}
		})
	}
}

// TestKeysSettingsTakeEffect: keys.retired_overlap, keys.status_list_uri (default
// <public_url>/v1/permits/status) and keys.master_key_file / SANMIAN_MASTER_KEY, each read
// from hub.yaml and observed on the running hub.
func TestKeysSettingsTakeEffect(t *testing.T) {
	base := demoSettings(t)
	const town = "370114001000"
	cases := []struct {
		name      string
		settings  string
		env       string // SANMIAN_MASTER_KEY
		overlap   time.Duration
		statusURI string
		wantErr   error
	}{
		{"defaults", "", "", seal.DefaultRetiredOverlap, "http://hub.example.test/v1/permits/status", nil},
		{"retired_overlap_72h", "keys: {retired_overlap: 72h}", "", 72 * time.Hour, "http://hub.example.test/v1/permits/status", nil},
		{"status_list_uri", "keys: {status_list_uri: https://status.example.test/sanmian}", "", seal.DefaultRetiredOverlap, "https://status.example.test/sanmian", nil},
		{"master_key_from_env", "keys: {master_key_file: null}", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), seal.DefaultRetiredOverlap, "http://hub.example.test/v1/permits/status", nil},
		{"no_master_key", "keys: {master_key_file: null}", "", 0, "", seal.ErrMasterKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(seal.MasterKeyEnv, tc.env)
			cfg := loadWithSettings(t, base, "public_url: http://hub.example.test\nstore: "+filepath.Join(t.TempDir(), "hub.db")+"\n"+tc.settings)
			a, err := newApp(t, cfg)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("hub started without a master key (err %v)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			first, err := a.Keys.EnsureOffice(ctx, town)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Keys.Rotate(ctx, town); err != nil {
				t.Fatal(err)
			}
			keys, err := a.Store.ListOfficeKeys(ctx, town)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if k.KID != first {
					continue
				}
				if got := time.Until(k.NotAfter); k.Status != store.KeyRetired || got > tc.overlap || got < tc.overlap-time.Minute {
					t.Fatalf("rotated-out key %s: %s, published for %v more, want %v", k.KID, k.Status, got, tc.overlap)
				}
			}

			srv := startServer(t, a)
			resp, err := http.Get(srv + "/v1/permits/status")
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			parts := strings.Split(string(tok), ".")
			if resp.StatusCode != http.StatusOK || len(parts) != 3 {
				t.Fatalf("status list: %d %.200s", resp.StatusCode, tok)
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var claims struct{ Sub string }
			if err := json.Unmarshal(payload, &claims); err != nil || claims.Sub != tc.statusURI {
				t.Fatalf("status list token names %q (%v), want %q", claims.Sub, err, tc.statusURI)
			}
		})
	}
}

// TestUpstreamSettingsTakeEffect: the district platform's base_url and api_key are read from
// hub.yaml: the snapshot sync reaches the platform with the configured key, and a wrong key
// is refused by the platform.
func TestUpstreamSettingsTakeEffect(t *testing.T) {
	base := demoSettings(t)
	for _, tc := range []struct {
		name     string
		settings string
		wantErr  bool
	}{
		{"demo_credentials", "", false},
		{"wrong_api_key", "upstreams: {district: {api_key: not-the-key}}", true},
		{"unreachable_base_url", "upstreams: {district: {base_url: 'http://127.0.0.1:1', resilience: {retry_max: -1}}}", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadWithSettings(t, base, "store: "+filepath.Join(t.TempDir(), "hub.db")+"\n"+tc.settings)
			a, err := newApp(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = a.SyncSnapshot(t.Context(), nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("snapshot sync: %v (want error: %v)", err, tc.wantErr)
			}
		})
	}
}

func startServer(t *testing.T, a *app.App) string {
	t.Helper()
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPolicyActivationAudited: a new bundle published to the configured directory and
// activated (Reload, as the watcher does) is recorded in the audit chain with the previous
// and the new revision; a reload of the same revision records nothing more.
func TestPolicyActivationAudited(t *testing.T) {
	dir := signedBundleDir(t, "act-1", "", "", "")
	a, err := newApp(t, loadWithSettings(t, demoSettings(t), "policy: {dir: "+dir+"}"))
	if err != nil {
		t.Fatal(err)
	}
	next := signedBundleDir(t, "act-2", "", "", "")
	b, err := os.ReadFile(filepath.Join(next, ".manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".manifest"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Policy.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a.Policy.Revision() != "act-2" {
		t.Fatalf("revision %q after reload", a.Policy.Revision())
	}
	if _, err := a.Policy.Reload(t.Context()); err != nil { // the watcher re-reads the same revision
		t.Fatal(err)
	}
	entries, err := a.Store.ListAudit(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Action == store.AuditPolicy {
			var d map[string]any
			if err := json.Unmarshal(e.Details, &d); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %v %v→%v %v", e.ActorRole, d["operation"], d["previous_revision"], d["revision"], d["source"]))
		}
	}
	if len(got) != 1 || got[0] != "system activate act-1→act-2 dir" {
		t.Fatalf("policy audit entries %q, want one activation act-1→act-2", got)
	}
}
