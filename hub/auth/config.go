package auth

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"

	"sanmian/hub/auth/jwk"
)

// TrustedIssuer is one issuer whose tokens the hub accepts. Exactly one of
// Keys, JWKSFile and JWKSURL names its public keys.
type TrustedIssuer struct {
	// Name is the exact "iss" of the issuer's tokens.
	Name string `yaml:"name"`
	// Algorithms pins the JWS algorithms accepted from this issuer: a
	// non-empty subset of "EdDSA" and "ES256".
	Algorithms []string `yaml:"algorithms"`
	// JWKSFile is a path to a JWK Set document, read at start and re-read
	// (at most once per refresh interval) when a token names an unknown kid.
	JWKSFile string `yaml:"jwks_file,omitempty"`
	// JWKSURL is an https URL (http only for a loopback host) serving the
	// issuer's JWK Set; fetched on first use and refreshed through a
	// bounded cache (see WithJWKSCache).
	JWKSURL string `yaml:"jwks_url,omitempty"`
	// Keys is a static key set, for issuers configured in code (the demo
	// issuer, tests).
	Keys jwk.Set `yaml:"-"`
}

// Config configures a Verifier; it is the "auth" section of the hub's
// configuration.
type Config struct {
	// Issuers lists the trusted issuers; names must be unique.
	Issuers []TrustedIssuer `yaml:"issuers"`
	// Leeway is the clock skew allowed on exp, nbf and iat: 0 to 5 minutes;
	// zero means DefaultLeeway.
	Leeway time.Duration `yaml:"leeway,omitempty"`
}

// DefaultLeeway is the clock skew allowed when Config.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// Validate reports the first problem with the configuration, wrapping
// ErrConfig.
func (c Config) Validate() error {
	if len(c.Issuers) == 0 {
		return fmt.Errorf("%w: no trusted issuer", ErrConfig)
	}
	if c.Leeway < 0 || c.Leeway > 5*time.Minute {
		return fmt.Errorf("%w: leeway must be between 0 and 5m", ErrConfig)
	}
	names := map[string]bool{}
	for i, is := range c.Issuers {
		if is.Name == "" {
			return fmt.Errorf("%w: issuer %d: empty name", ErrConfig, i)
		}
		if names[is.Name] {
			return fmt.Errorf("%w: issuer %q listed twice", ErrConfig, is.Name)
		}
		names[is.Name] = true
		if len(is.Algorithms) == 0 {
			return fmt.Errorf("%w: issuer %q: no algorithm pinned", ErrConfig, is.Name)
		}
		for _, a := range is.Algorithms {
			if a != jwk.AlgEdDSA && a != jwk.AlgES256 {
				return fmt.Errorf("%w: issuer %q: algorithm %q not allowed (EdDSA, ES256)", ErrConfig, is.Name, a)
			}
		}
		sources := 0
		if is.Keys.Len() > 0 {
			sources++
		}
		if is.JWKSFile != "" {
			sources++
		}
		if is.JWKSURL != "" {
			sources++
			if err := checkJWKSURL(is.JWKSURL); err != nil {
				return fmt.Errorf("%w: issuer %q: %v", ErrConfig, is.Name, err)
			}
		}
		if sources != 1 {
			return fmt.Errorf("%w: issuer %q: exactly one of keys, jwks_file, jwks_url", ErrConfig, is.Name)
		}
	}
	return nil
}

// checkJWKSURL allows https, and http only to a loopback address.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("jwks_url is not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("jwks_url must use https unless the host is loopback")
	default:
		return fmt.Errorf("jwks_url scheme must be https")
	}
}

func (is TrustedIssuer) allows(alg string) bool { return slices.Contains(is.Algorithms, alg) }
