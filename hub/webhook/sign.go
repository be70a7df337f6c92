package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// SecretPrefix starts every signing secret (Standard Webhooks).
const SecretPrefix = "whsec_"

// secretBytes is the size of a generated secret's key.
const secretBytes = 32

// NewSecret returns a fresh signing secret: "whsec_" and the base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// SecretKey returns the HMAC key of a secret: the part after "whsec_", decoded from canonical
// base64.
func SecretKey(secret string) ([]byte, error) {
	enc := strings.TrimPrefix(secret, SecretPrefix)
	k, err := base64.StdEncoding.DecodeString(enc)
	// Canonical base64 only: the decoder skips line breaks, which no secret of ours has.
	if err != nil || !strings.HasPrefix(secret, SecretPrefix) || len(k) < 24 || base64.StdEncoding.EncodeToString(k) != enc {
		return nil, fmt.Errorf("%w: want %s and the base64 of at least 24 bytes", ErrBadSecret, SecretPrefix)
	}
	return k, nil
}

// Sign returns the webhook-signature header value for a message: "v1," and the base64 of
// HMAC-SHA256(key, id + "." + timestamp + "." + body), timestamp in unix seconds.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
