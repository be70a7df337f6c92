package policy

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// Evaluators accepted by Config.Evaluator.
const (
	EvaluatorIRVM    = "irvm"    // OPA's plan of each query, run by package irvm (the default)
	EvaluatorTopdown = "topdown" // OPA's reference tree-walking evaluator (see WithTopdown)
)

// Config selects the policy bundle and how it is evaluated and verified (the policy section
// of hub.yaml). The zero value means the embedded bundle, unsigned, evaluated by irvm.
type Config struct {
	// Dir is a bundle directory on disk (OPA bundle layout; *_test.rego files are ignored).
	Dir string `yaml:"dir,omitempty"`
	// URL is an OPA bundle service endpoint serving the bundle as a gzipped tarball.
	URL string `yaml:"url,omitempty"`
	// PollInterval is how often Dir or URL is polled for a new revision; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration `yaml:"poll_interval,omitempty"`
	// Evaluator chooses how queries run: "irvm" (the default) or "topdown" (several times
	// slower; the same decisions).
	Evaluator string `yaml:"evaluator,omitempty"`
	// VerificationKey, when set, requires signed bundles (.signatures.json, as `opa build
	// --signing-key` writes): a PEM public key, or the shared secret for HS256. A bundle
	// without a valid signature by this key is refused, at start and on every reload.
	VerificationKey string `yaml:"verification_key,omitempty"`
	// VerificationKeyFile is a file holding the verification key instead (exclusive with
	// VerificationKey); surrounding white space is ignored.
	VerificationKeyFile string `yaml:"verification_key_file,omitempty"`
	// KeyID names the verification key (default "sanmian"); the key is used whatever kid a
	// signature names, so what counts is the key itself.
	KeyID string `yaml:"key_id,omitempty"`
	// KeyAlgorithm is the JWS algorithm of the bundle signature (default RS256; ES256, PS256,
	// HS256 for a shared secret, ...).
	KeyAlgorithm string `yaml:"key_algorithm,omitempty"`
	// Scope, when set, must match the scope claim of the signature.
	Scope string `yaml:"scope,omitempty"`
}

// Validate reports contradictory or malformed settings, wrapping ErrConfig.
func (c Config) Validate() error {
	if c.Dir != "" && c.URL != "" {
		return fmt.Errorf("%w: policy dir and url are exclusive", ErrConfig)
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: policy url %q is not an http(s) URL", ErrConfig, c.URL)
		}
	}
	if c.PollInterval < 0 {
		return fmt.Errorf("%w: negative poll interval", ErrConfig)
	}
	if c.Evaluator != "" && c.Evaluator != EvaluatorIRVM && c.Evaluator != EvaluatorTopdown {
		return fmt.Errorf("%w: evaluator %q is neither %s nor %s", ErrConfig, c.Evaluator, EvaluatorIRVM, EvaluatorTopdown)
	}
	if c.VerificationKey != "" && c.VerificationKeyFile != "" {
		return fmt.Errorf("%w: verification_key and verification_key_file are exclusive", ErrConfig)
	}
	if !c.verified() && (c.KeyID != "" || c.KeyAlgorithm != "" || c.Scope != "") {
		return fmt.Errorf("%w: key settings without a verification key", ErrConfig)
	}
	return nil
}

// verified reports whether c requires signed bundles.
func (c Config) verified() bool { return c.VerificationKey != "" || c.VerificationKeyFile != "" }

// Watched reports whether the bundle comes from a source that Engine.Watch polls (Dir or
// URL); the embedded bundle never changes.
func (c Config) Watched() bool { return c.Dir != "" || c.URL != "" }

// CandidateOptions are the options to load a candidate bundle from another source (FromDir,
// FromTarball) under the same rules as the live one: the same signature verification and
// evaluator, never polled. A candidate is evaluated, never activated.
func (c Config) CandidateOptions() ([]Option, error) {
	c.Dir, c.URL, c.PollInterval = "", "", 0
	return c.Options()
}

// Options turns the configuration into engine options; it reads VerificationKeyFile.
func (c Config) Options() ([]Option, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var opts []Option
	switch {
	case c.Dir != "":
		opts = append(opts, FromDir(c.Dir))
	case c.URL != "":
		opts = append(opts, FromURL(c.URL))
	}
	if c.PollInterval > 0 {
		opts = append(opts, WithPollInterval(c.PollInterval))
	}
	if c.Evaluator == EvaluatorTopdown {
		opts = append(opts, WithTopdown())
	}
	if c.verified() {
		key := c.VerificationKey
		if c.VerificationKeyFile != "" {
			b, err := os.ReadFile(c.VerificationKeyFile)
			if err != nil {
				return nil, fmt.Errorf("%w: verification_key_file: %v", ErrConfig, err)
			}
			key = strings.TrimSpace(string(b)) // a trailing newline is no part of an HS256 secret
		}
		id := c.KeyID
		if id == "" {
			id = "sanmian"
		}
		alg := c.KeyAlgorithm
		if alg == "" {
			alg = "RS256"
		}
		keys := map[string]*bundle.KeyConfig{id: {Key: key, Algorithm: alg, Scope: c.Scope}}
		opts = append(opts, WithVerification(bundle.NewVerificationConfig(keys, id, c.Scope, nil)))
	}
	return opts, nil
}
