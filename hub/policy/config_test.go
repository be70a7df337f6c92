package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestConfigOptions: every setting of Config becomes the engine option it names.
func TestConfigOptions(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "bundle.key")
	if err := os.WriteFile(keyFile, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		cfg   Config
		check func(t *testing.T, o options)
	}{
		{"zero_is_embedded_irvm_unsigned", Config{}, func(t *testing.T, o options) {
			if o.dir != "" || o.url != "" || o.topdown || o.verify != nil || o.poll != 0 {
				t.Errorf("options %+v", o)
			}
		}},
		{"dir_and_poll_interval", Config{Dir: "bundle", PollInterval: time.Minute}, func(t *testing.T, o options) {
			if o.dir != "bundle" || o.poll != time.Minute {
				t.Errorf("dir %q poll %v", o.dir, o.poll)
			}
		}},
		{"url", Config{URL: "https://bundles.example/b.tar.gz"}, func(t *testing.T, o options) {
			if o.url != "https://bundles.example/b.tar.gz" {
				t.Errorf("url %q", o.url)
			}
		}},
		{"evaluator_topdown", Config{Evaluator: EvaluatorTopdown}, func(t *testing.T, o options) {
			if !o.topdown {
				t.Error("topdown not selected")
			}
		}},
		{"evaluator_irvm", Config{Evaluator: EvaluatorIRVM}, func(t *testing.T, o options) {
			if o.topdown {
				t.Error("topdown selected for irvm")
			}
		}},
		{"verification_key_defaults", Config{VerificationKey: "PEM"}, func(t *testing.T, o options) {
			k, err := o.verify.GetPublicKey("sanmian")
			if err != nil || k.Key != "PEM" || k.Algorithm != "RS256" {
				t.Errorf("key %+v %v", k, err)
			}
		}},
		{"verification_key_file", Config{VerificationKeyFile: keyFile, KeyID: "ops", KeyAlgorithm: "HS256", Scope: "write"}, func(t *testing.T, o options) {
			k, err := o.verify.GetPublicKey("ops")
			if err != nil || k.Key != "file-secret" || k.Algorithm != "HS256" || k.Scope != "write" || o.verify.Scope != "write" {
				t.Errorf("key %+v %v", k, err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := tc.cfg.Options()
			if err != nil {
				t.Fatal(err)
			}
			var o options
			for _, f := range opts {
				f(&o)
			}
			tc.check(t, o)
		})
	}
}

func TestConfigRefuses(t *testing.T) {
	for name, c := range map[string]Config{
		"unknown_evaluator":     {Evaluator: "wasm"},
		"two_verification_keys": {VerificationKey: "k", VerificationKeyFile: "f"},
		"scope_without_key":     {Scope: "s"},
		"missing_key_file":      {VerificationKeyFile: filepath.Join(t.TempDir(), "absent")},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Options(); !errors.Is(err, ErrConfig) {
				t.Fatalf("Options: %v, want ErrConfig", err)
			}
		})
	}
}
