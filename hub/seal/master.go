package seal

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeyEnv is the environment variable holding the master secret when
// no master key file is configured: base64 of at least 32 random bytes.
const MasterKeyEnv = "SANMIAN_MASTER_KEY"

// DemoMasterKeyFile is where DemoMasterKey keeps the demo master secret,
// relative to the data directory.
const DemoMasterKeyFile = "keys/master.key"

// MasterKey is the secret from which the key-encryption key and the
// offices' holder-binding keys are derived. Its String and GoString never
// show the secret. The zero value is unusable.
type MasterKey struct {
	secret []byte
}

// String returns a redacted placeholder.
func (MasterKey) String() string { return "seal.MasterKey(redacted)" }

// GoString returns a redacted placeholder.
func (MasterKey) GoString() string { return "seal.MasterKey(redacted)" }

// ParseMasterKey reads a master secret written as standard or URL-safe
// base64, padded or not, surrounding white space ignored; it must decode to
// at least 32 bytes.
func ParseMasterKey(text string) (MasterKey, error) {
	text = strings.TrimSpace(text)
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(text); err == nil {
			break
		}
	}
	if err != nil {
		return MasterKey{}, fmt.Errorf("%w: not base64", ErrMasterKey)
	}
	if len(b) < 32 {
		return MasterKey{}, fmt.Errorf("%w: shorter than 32 bytes", ErrMasterKey)
	}
	return MasterKey{secret: b}, nil
}

// LoadMasterKeyFile reads a master secret from path (see ParseMasterKey);
// the file must not be accessible by group or others.
func LoadMasterKeyFile(path string) (MasterKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("%w: %w", ErrMasterKey, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("%w: %s is accessible by group or others (chmod 600)", ErrMasterKey, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("%w: %w", ErrMasterKey, err)
	}
	return ParseMasterKey(string(data))
}

// MasterKeyFromEnv reads the master secret from SANMIAN_MASTER_KEY; ok is
// false when the variable is unset or empty.
func MasterKeyFromEnv() (m MasterKey, ok bool, err error) {
	v := os.Getenv(MasterKeyEnv)
	if v == "" {
		return MasterKey{}, false, nil
	}
	m, err = ParseMasterKey(v)
	return m, err == nil, err
}

// DemoMasterKey returns the demo master secret kept at DemoMasterKeyFile
// under dataDir, generating 32 random bytes on first use (mode 0600, in a
// 0700 directory; concurrent first uses agree on one secret). Demo mode
// only: production supplies the secret by file or environment.
func DemoMasterKey(dataDir string) (MasterKey, error) {
	path := filepath.Join(dataDir, filepath.FromSlash(DemoMasterKeyFile))
	m, err := LoadMasterKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return m, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return MasterKey{}, err
	}
	if err := writeNewFile(path, []byte(base64.StdEncoding.EncodeToString(secret)+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadMasterKeyFile(path)
		}
		return MasterKey{}, fmt.Errorf("%w: %w", ErrMasterKey, err)
	}
	return MasterKey{secret: secret}, nil
}

// writeNewFile writes data to path with mode 0600, failing with
// fs.ErrExist when path exists: it writes a temporary file and hard-links
// it into place, so the file appears complete or not at all.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return writeTemp(dir, data, func(tmp string) error { return os.Link(tmp, path) })
}

// Derivation labels (HKDF-SHA256 info strings). Changing one makes every
// stored private key or every holder binding unreadable.
const (
	infoKEK     = "sanmian/seal/kek/v1"
	infoBinding = "sanmian/seal/holder-binding/v1/"
)

// derive returns a 32-byte key for info.
func (m MasterKey) derive(info string) ([]byte, error) {
	if len(m.secret) < 32 {
		return nil, fmt.Errorf("%w: empty master key", ErrMasterKey)
	}
	return hkdf.Key(sha256.New, m.secret, nil, info, 32)
}
