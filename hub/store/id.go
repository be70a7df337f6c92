package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// NewID returns a random 128-bit identifier as 32 lower-case hex digits whose first 48 bits
// are the Unix time in milliseconds, so ids sort by creation time (ULID-like).
func NewID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
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
