package jwk

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
)

// Algorithm names (RFC 7518, RFC 8037) of the keys this package handles.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
)

// MaxSetSize is the largest key-set document Parse accepts, in bytes.
const MaxSetSize = 1 << 20

// maxKeys bounds the number of keys in one set.
const maxKeys = 1000

// b64 is the strict unpadded base64url encoding JOSE uses: non-canonical
// trailing bits are refused so that one key has exactly one encoding.
var b64 = base64.RawURLEncoding.Strict()

// Key is one public signing key with its key id. Public is either
// ed25519.PublicKey (Alg EdDSA) or *ecdsa.PublicKey on P-256 (Alg ES256).
type Key struct {
	Kid    string
	Alg    string // AlgEdDSA or AlgES256, derived from the key type
	Public any
}

// NewKey wraps a public key. It returns ErrUnsupportedKey for any key other
// than an Ed25519 or P-256 public key and ErrInvalidKey for an empty kid.
func NewKey(kid string, public any) (Key, error) {
	if kid == "" {
		return Key{}, fmt.Errorf("%w: empty kid", ErrInvalidKey)
	}
	switch pk := public.(type) {
	case ed25519.PublicKey:
		if len(pk) != ed25519.PublicKeySize {
			return Key{}, fmt.Errorf("%w: kid %q: ed25519 key length", ErrInvalidKey, kid)
		}
		return Key{Kid: kid, Alg: AlgEdDSA, Public: slices.Clone(pk)}, nil
	case *ecdsa.PublicKey:
		if pk == nil || pk.Curve != elliptic.P256() {
			return Key{}, fmt.Errorf("%w: kid %q: only P-256", ErrUnsupportedKey, kid)
		}
		return Key{Kid: kid, Alg: AlgES256, Public: pk}, nil
	default:
		return Key{}, fmt.Errorf("%w: kid %q: %T", ErrUnsupportedKey, kid, public)
	}
}

// Set is an ordered list of keys with unique kids.
type Set struct {
	keys []Key
}

// NewSet builds a set from keys; it returns ErrInvalidKey on a duplicate
// kid.
func NewSet(keys ...Key) (Set, error) {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k.Kid] {
			return Set{}, fmt.Errorf("%w: duplicate kid %q", ErrInvalidKey, k.Kid)
		}
		seen[k.Kid] = true
	}
	return Set{keys: slices.Clone(keys)}, nil
}

// Keys returns a copy of the keys in document order.
func (s Set) Keys() []Key { return slices.Clone(s.keys) }

// Len returns the number of keys.
func (s Set) Len() int { return len(s.keys) }

// Lookup returns the key with the given kid.
func (s Set) Lookup(kid string) (Key, bool) {
	for _, k := range s.keys {
		if k.Kid == kid {
			return k, true
		}
	}
	return Key{}, false
}

// wireKey is the JSON form of one key. Members are json.RawMessage where a
// wrong JSON type must be an error rather than silently ignored.
type wireKey struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	D   string `json:"d,omitempty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

type wireSet struct {
	Keys []json.RawMessage `json:"keys"`
}

// Parse reads a JWK Set document. Keys whose kty or crv this package does
// not support (RSA, P-384, X25519, symmetric "oct" ...) are skipped, as RFC
// 7517 section 5 asks; every supported key must be well formed, carry a
// unique kid, and have no private member, or the whole set is refused (a
// half-read key set hides configuration mistakes).
func Parse(data []byte) (Set, error) {
	if len(data) > MaxSetSize {
		return Set{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxSetSize)
	}
	var ws wireSet
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&ws); err != nil {
		return Set{}, fmt.Errorf("%w: not a JSON key set", ErrMalformed)
	}
	if dec.More() {
		return Set{}, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if ws.Keys == nil {
		return Set{}, fmt.Errorf("%w: no \"keys\" array", ErrMalformed)
	}
	if len(ws.Keys) > maxKeys {
		return Set{}, fmt.Errorf("%w: more than %d keys", ErrMalformed, maxKeys)
	}
	keys := make([]Key, 0, len(ws.Keys))
	seen := make(map[string]bool, len(ws.Keys))
	for i, raw := range ws.Keys {
		var wk wireKey
		if err := json.Unmarshal(raw, &wk); err != nil {
			return Set{}, fmt.Errorf("%w: key %d: not a JSON object with string members", ErrMalformed, i)
		}
		k, ok, err := parseKey(wk)
		if err != nil {
			return Set{}, fmt.Errorf("key %d: %w", i, err)
		}
		if !ok {
			continue
		}
		if seen[k.Kid] {
			return Set{}, fmt.Errorf("%w: key %d: duplicate kid", ErrInvalidKey, i)
		}
		seen[k.Kid] = true
		keys = append(keys, k)
	}
	return Set{keys: keys}, nil
}

// parseKey converts one wire key; ok is false for an unsupported type.
func parseKey(wk wireKey) (Key, bool, error) {
	var alg string
	switch {
	case wk.Kty == "OKP" && wk.Crv == "Ed25519":
		alg = AlgEdDSA
	case wk.Kty == "EC" && wk.Crv == "P-256":
		alg = AlgES256
	default:
		return Key{}, false, nil
	}
	if wk.D != "" {
		return Key{}, false, fmt.Errorf("%w: private key member in a public key set", ErrInvalidKey)
	}
	if wk.Kid == "" {
		return Key{}, false, fmt.Errorf("%w: missing kid", ErrInvalidKey)
	}
	if wk.Alg != "" && wk.Alg != alg {
		return Key{}, false, fmt.Errorf("%w: alg does not match key type", ErrInvalidKey)
	}
	if wk.Use != "" && wk.Use != "sig" {
		return Key{}, false, fmt.Errorf("%w: use is not \"sig\"", ErrInvalidKey)
	}
	x, err := b64.DecodeString(wk.X)
	if err != nil {
		return Key{}, false, fmt.Errorf("%w: x is not base64url", ErrMalformed)
	}
	switch alg {
	case AlgEdDSA:
		if wk.Y != "" {
			return Key{}, false, fmt.Errorf("%w: OKP key with y", ErrInvalidKey)
		}
		if len(x) != ed25519.PublicKeySize {
			return Key{}, false, fmt.Errorf("%w: Ed25519 x must be 32 bytes", ErrInvalidKey)
		}
		return Key{Kid: wk.Kid, Alg: alg, Public: ed25519.PublicKey(x)}, true, nil
	default: // ES256
		y, err := b64.DecodeString(wk.Y)
		if err != nil {
			return Key{}, false, fmt.Errorf("%w: y is not base64url", ErrMalformed)
		}
		if len(x) != 32 || len(y) != 32 {
			return Key{}, false, fmt.Errorf("%w: P-256 x and y must be 32 bytes", ErrInvalidKey)
		}
		point := make([]byte, 0, 65)
		point = append(point, 4)
		point = append(point, x...)
		point = append(point, y...)
		pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		if err != nil {
			return Key{}, false, fmt.Errorf("%w: point not on P-256", ErrInvalidKey)
		}
		return Key{Kid: wk.Kid, Alg: alg, Public: pk}, true, nil
	}
}

// Marshal writes the set as an RFC 7517 JWK Set with "use":"sig" and the
// "alg" of each key. The output parses back to an equal set.
func (s Set) Marshal() ([]byte, error) {
	out := struct {
		Keys []wireKey `json:"keys"`
	}{Keys: make([]wireKey, 0, len(s.keys))}
	for _, k := range s.keys {
		wk := wireKey{Kid: k.Kid, Use: "sig", Alg: k.Alg}
		switch pk := k.Public.(type) {
		case ed25519.PublicKey:
			wk.Kty, wk.Crv, wk.X = "OKP", "Ed25519", b64.EncodeToString(pk)
		case *ecdsa.PublicKey:
			raw, err := pk.Bytes()
			if err != nil || len(raw) != 65 {
				return nil, fmt.Errorf("%w: kid %q: P-256 encoding", ErrInvalidKey, k.Kid)
			}
			wk.Kty, wk.Crv = "EC", "P-256"
			wk.X, wk.Y = b64.EncodeToString(raw[1:33]), b64.EncodeToString(raw[33:])
		default:
			return nil, fmt.Errorf("%w: kid %q: %T", ErrUnsupportedKey, k.Kid, k.Public)
		}
		out.Keys = append(out.Keys, wk)
	}
	return json.Marshal(out)
}
