package seal

import (
	"fmt"
	"net/url"
	"time"
)

// Config is the "keys" section of the hub's configuration (hub.yaml): how the sealing keys
// the hub keeps in its store are protected and published. The zero value is valid: the
// master secret then comes from SANMIAN_MASTER_KEY.
type Config struct {
	// MasterKeyFile holds the master secret (base64, >= 32 bytes, mode 0600) that encrypts
	// the offices' private keys at rest. When empty the secret comes from SANMIAN_MASTER_KEY.
	MasterKeyFile string `yaml:"master_key_file,omitempty"`
	// RetiredOverlap is how long a key rotated out stays in the JWKS, so permits it sealed
	// keep verifying (default DefaultRetiredOverlap).
	RetiredOverlap time.Duration `yaml:"retired_overlap,omitempty"`
	// StatusListURI is the public URL of the revocation status list, written into every
	// permit's status claim and into the signed list. When empty the hub uses its own
	// <public_url>/v1/permits/status.
	StatusListURI string `yaml:"status_list_uri,omitempty"`
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	if c.RetiredOverlap < 0 {
		return fmt.Errorf("seal: config: retired_overlap must not be negative")
	}
	if c.StatusListURI != "" {
		u, err := url.Parse(c.StatusListURI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("seal: config: status_list_uri must be an absolute http(s) URL")
		}
	}
	return nil
}

// MasterKey returns the master secret named by c: MasterKeyFile when set,
// else SANMIAN_MASTER_KEY; ErrMasterKey when neither gives one.
func (c Config) MasterKey() (MasterKey, error) {
	if c.MasterKeyFile != "" {
		return LoadMasterKeyFile(c.MasterKeyFile)
	}
	m, ok, err := MasterKeyFromEnv()
	if err != nil {
		return MasterKey{}, err
	}
	if !ok {
		return MasterKey{}, fmt.Errorf("%w: set master_key_file or %s", ErrMasterKey, MasterKeyEnv)
	}
	return m, nil
}

// Keyring opens the keys in store with the master secret c names and c's retired-key
// overlap; opts come after c's own options.
func (c Config) Keyring(store KeyStore, opts ...KeyringOption) (*Keyring, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	master, err := c.MasterKey()
	if err != nil {
		return nil, err
	}
	var own []KeyringOption
	if c.RetiredOverlap > 0 {
		own = append(own, WithRetiredOverlap(c.RetiredOverlap))
	}
	return NewKeyring(store, master, append(own, opts...)...)
}
