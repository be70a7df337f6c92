package clients

import (
	"errors"
	"fmt"
	"time"
)

// Defaults and bounds of Config.
const (
	DefaultIssuer        = "sanmian-hub"
	DefaultTokenTTL      = 10 * time.Minute
	MaxTokenTTL          = time.Hour
	DefaultSecretOverlap = 24 * time.Hour
	MaxSecretOverlap     = 30 * 24 * time.Hour
)

// ErrConfig is returned by Config.Validate for an unusable configuration.
var ErrConfig = errors.New("clients: invalid configuration")

// Config is the "clients" section of the hub's configuration: the hub's own token issuer.
type Config struct {
	// Issuer is the "iss" of the tokens the hub mints for registered apps (default
	// "sanmian-hub"); it must differ from every trusted external issuer.
	Issuer string `yaml:"issuer,omitempty"`
	// KeyFile is the hub issuer's Ed25519 private key (PKCS #8 PEM, mode 0600), created on
	// first use. Every replica must share it. Empty: a key generated at start and kept in
	// memory, which suits a single replica only (tokens stop verifying on restart).
	KeyFile string `yaml:"key_file,omitempty"`
	// TokenTTL is the lifetime of a minted token (default 10m, at most 1h).
	TokenTTL time.Duration `yaml:"token_ttl,omitempty"`
	// SecretOverlap is how long the previous secrets keep working after a rotation, unless
	// the rotation request names its own overlap (default 24h, at most 30 days).
	SecretOverlap time.Duration `yaml:"secret_overlap,omitempty"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.SecretOverlap == 0 {
		c.SecretOverlap = DefaultSecretOverlap
	}
	return c
}

// Validate reports the first problem, wrapping ErrConfig.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.TokenTTL < time.Minute || c.TokenTTL > MaxTokenTTL {
		return fmt.Errorf("%w: token_ttl must be between 1m and %s", ErrConfig, MaxTokenTTL)
	}
	if c.SecretOverlap < 0 || c.SecretOverlap > MaxSecretOverlap {
		return fmt.Errorf("%w: secret_overlap must be between 0 and %s", ErrConfig, MaxSecretOverlap)
	}
	return nil
}
