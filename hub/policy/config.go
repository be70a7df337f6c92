package policy

import (
	"fmt"
	"net/url"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// Config selects the policy bundle for `hub serve` (the policy section of hub.yaml). The zero
// value means the embedded bundle.
type Config struct {
	// Dir is a bundle directory on disk (OPA bundle layout; *_test.rego files are ignored).
	Dir string `yaml:"dir"`
	// URL is an OPA bundle service endpoint serving the bundle as a gzipped tarball.
	URL string `yaml:"url"`
	// PollInterval is how often Watch polls Dir or URL; 0 means DefaultPollInterval.
	PollInterval time.Duration `yaml:"poll_interval"`
	// VerificationKey, when set, requires signed bundles (.signatures.json): a PEM public key,
	// or the shared secret for HS256.
	VerificationKey string `yaml:"verification_key"`
	// KeyID names the key in the signatures (default "sanmian").
	KeyID string `yaml:"key_id"`
	// KeyAlgorithm is the JWS algorithm of the bundle signature (default RS256; ES256, PS256,
	// HS256 for a shared secret, ...).
	KeyAlgorithm string `yaml:"key_algorithm"`
	// Scope, when set, must match the scope claim of the signature.
	Scope string `yaml:"scope"`
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
	if c.VerificationKey == "" && (c.KeyID != "" || c.KeyAlgorithm != "" || c.Scope != "") {
		return fmt.Errorf("%w: key settings without a verification key", ErrConfig)
	}
	return nil
}

// Options turns the configuration into engine options.
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
	if c.VerificationKey != "" {
		id := c.KeyID
		if id == "" {
			id = "sanmian"
		}
		alg := c.KeyAlgorithm
		if alg == "" {
			alg = "RS256"
		}
		keys := map[string]*bundle.KeyConfig{id: {Key: c.VerificationKey, Algorithm: alg, Scope: c.Scope}}
		opts = append(opts, WithVerification(bundle.NewVerificationConfig(keys, id, c.Scope, nil)))
	}
	return opts, nil
}
