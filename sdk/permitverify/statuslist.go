package permitverify

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/auth/jwk"
)

// StatusListType is the "typ" header of a status list token.
const StatusListType = "statuslist+jwt"

// MaxStatusListBits bounds a status list: 2^24 entries (2 MiB
// uncompressed), also the decompression limit when reading one.
const MaxStatusListBits = 1 << 24

// DefaultStatusListBits is the size of a new list: large enough that the
// index says little about when a permit was issued (herd privacy), small
// enough to stay a few hundred bytes compressed while mostly empty.
const DefaultStatusListBits = 1 << 17

// StatusList is a bitstring of revocation states, one bit per permit
// (IETF Token Status List with "bits": 1; 1 = revoked). Safe for
// concurrent use.
type StatusList struct {
	mu   sync.RWMutex
	bits []byte
}

// NewStatusList returns an all-valid list with room for size entries
// (rounded up to a multiple of 8; DefaultStatusListBits when size <= 0).
func NewStatusList(size int) (*StatusList, error) {
	if size <= 0 {
		size = DefaultStatusListBits
	}
	if size > MaxStatusListBits {
		return nil, fmt.Errorf("%w: more than %d entries", ErrStatusList, MaxStatusListBits)
	}
	return &StatusList{bits: make([]byte, (size+7)/8)}, nil
}

// Len returns the number of entries.
func (l *StatusList) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.bits) * 8
}

// Set marks entry idx revoked (true) or valid (false).
func (l *StatusList) Set(idx int, revoked bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if idx < 0 || idx >= len(l.bits)*8 {
		return fmt.Errorf("%w: index %d out of range", ErrStatusList, idx)
	}
	mask := byte(1) << (idx % 8) // least significant bit first
	if revoked {
		l.bits[idx/8] |= mask
	} else {
		l.bits[idx/8] &^= mask
	}
	return nil
}

// Revoked reports whether entry idx is marked revoked.
func (l *StatusList) Revoked(idx int) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if idx < 0 || idx >= len(l.bits)*8 {
		return false, fmt.Errorf("%w: index %d out of range", ErrStatusList, idx)
	}
	return l.bits[idx/8]&(byte(1)<<(idx%8)) != 0, nil
}

// Encode returns the list's "lst" value: base64url (unpadded) of the
// zlib-compressed (RFC 1950) bytes.
func (l *StatusList) Encode() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	_, _ = w.Write(l.bits)
	_ = w.Close()
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

// DecodeStatusList reads an "lst" value with the given bits per entry
// (only 1 is supported); it refuses lists that decompress to more than
// MaxStatusListBits entries.
func DecodeStatusList(lst string, bits int) (*StatusList, error) {
	if bits != 1 {
		return nil, fmt.Errorf("%w: bits %d not supported", ErrStatusList, bits)
	}
	raw, err := base64.RawURLEncoding.DecodeString(lst)
	if err != nil {
		return nil, fmt.Errorf("%w: lst is not base64url", ErrStatusList)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: lst is not zlib", ErrStatusList)
	}
	defer zr.Close()
	b, err := io.ReadAll(io.LimitReader(zr, MaxStatusListBits/8+1))
	if err != nil {
		return nil, fmt.Errorf("%w: lst does not decompress", ErrStatusList)
	}
	if len(b) > MaxStatusListBits/8 {
		return nil, fmt.Errorf("%w: more than %d entries", ErrStatusList, MaxStatusListBits)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty list", ErrStatusList)
	}
	return &StatusList{bits: b}, nil
}

// StatusListClaims is the claim set of a status list token: {iss office, sub uri, iat,
// exp, ttl, status_list {bits, lst}}.
type StatusListClaims struct {
	jwt.RegisteredClaims
	TTL        int64          `json:"ttl,omitempty"` // seconds a verifier may cache the list
	StatusList StatusListWire `json:"status_list"`
}

// StatusListWire is the "status_list" claim: bits per entry (1) and the encoded list.
type StatusListWire struct {
	Bits int    `json:"bits"`
	Lst  string `json:"lst"`
}

// VerifyStatusListToken checks a status list token with keys at now (alg
// EdDSA, typ "statuslist+jwt", a kid in keys naming the office in iss, exp
// not passed, sub equal to uri) and returns its list.
func VerifyStatusListToken(token string, keys jwk.Set, uri string, now time.Time) (*StatusList, error) {
	if len(token) > 4*MaxStatusListBits/8 {
		return nil, fmt.Errorf("%w: token too large", ErrStatusList)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwk.AlgEdDSA}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuedAt(),
		jwt.WithSubject(uri),
		jwt.WithStrictDecoding(),
	)
	var c StatusListClaims
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != StatusListType {
			return nil, errors.New("typ is not " + StatusListType)
		}
		kid, _ := t.Header["kid"].(string)
		key, ok := keys.Lookup(kid)
		if !ok || key.Alg != jwk.AlgEdDSA {
			return nil, errors.New("unknown kid")
		}
		if office, ok := KidOffice(kid); !ok || office != c.Issuer {
			return nil, errors.New("kid names another office")
		}
		return key.Public, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: token does not verify: %w", ErrStatusList, err)
	}
	return DecodeStatusList(c.StatusList.Lst, c.StatusList.Bits)
}
