package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NewID returns a UUID version 7 (RFC 9562: 48 bits of Unix milliseconds, then a counter
// within the millisecond, then random bits) written as 32 lower-case hex digits without
// hyphens, so ids made by one process sort by creation time. Safe for concurrent use.
func NewID() string {
	u := uuid.Must(uuid.NewV7()) // fails only when crypto/rand fails, which it does not
	return hex.EncodeToString(u[:])
}

// NormalizeIDNumber trims and upper-cases an ID number (the check character may be x or X).
func NormalizeIDNumber(id string) string {
	return strings.ToUpper(strings.TrimSpace(id))
}

// SubjectDigest returns hex HMAC-SHA256(key, normalised ID) or, with an empty key,
// hex SHA-256 of a domain-separated normalised ID.
func SubjectDigest(key []byte, idNumber string) string {
	id := NormalizeIDNumber(idNumber)
	if len(key) == 0 {
		sum := sha256.Sum256([]byte("sanmian.subject.v1\x00" + id))
		return hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// Now is the store's clock reading: UTC, truncated to microseconds (what both backends keep).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// NormTime converts t to the stored precision (UTC, microseconds); zero stays zero.
func NormTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
