package seal

import (
	"fmt"
	"net/url"
	"time"
)

// Config is the "seal" section of the hub's configuration.
type Config struct {
	// MasterKeyFile holds the master secret (base64, >= 32 bytes, mode
	// 0600). When empty the secret comes from SANMIAN_MASTER_KEY.
	MasterKeyFile string `yaml:"master_key_file,omitempty"`
	// KeysFile is the FileKeyStore path, used when the hub's store does not
	// keep the sealing keys itself.
	KeysFile string `yaml:"keys_file,omitempty"`
	// RetiredOverlap is how long a rotated-out key stays in the JWKS
	// (default DefaultRetiredOverlap).
	RetiredOverlap time.Duration `yaml:"retired_overlap,omitempty"`
	// StatusListURI is the public URL of GET /v1/permits/status, written
	// into every permit's status claim.
	StatusListURI string `yaml:"status_list_uri"`
	// StatusListOffice is the office whose key signs the status list
	// (default "370114", the district).
	StatusListOffice string `yaml:"status_list_office,omitempty"`
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	if c.RetiredOverlap < 0 {
		return fmt.Errorf("seal: config: retired_overlap must not be negative")
	}
	if c.StatusListOffice != "" && !ValidOfficeCode(c.StatusListOffice) {
		return fmt.Errorf("seal: config: status_list_office: %w", ErrOffice)
	}
	if c.StatusListURI == "" {
		return fmt.Errorf("seal: config: status_list_uri is required")
	}
	u, err := url.Parse(c.StatusListURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("seal: config: status_list_uri must be an absolute http(s) URL")
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
