package jwk

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/lestrrat-go/jwx/v3/jwa"
	jose "github.com/lestrrat-go/jwx/v3/jwk"
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

// Parse reads a JWK Set document with github.com/lestrrat-go/jwx. Keys whose
// kty or crv this package does not support (RSA, P-384, X25519, symmetric
// "oct" ...) are skipped, as RFC 7517 section 5 asks; every supported key
// must be well formed, carry a unique kid, and have no private member, or
// the whole set is refused (a half-read key set hides configuration
// mistakes).
func Parse(data []byte) (Set, error) {
	if len(data) > MaxSetSize {
		return Set{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxSetSize)
	}
	// jwx also reads a lone key as a set of one; a key set must have "keys".
	var shape struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &shape); err != nil || shape.Keys == nil {
		return Set{}, fmt.Errorf("%w: not a JSON object with a \"keys\" array", ErrMalformed)
	}
	if len(shape.Keys) > maxKeys {
		return Set{}, fmt.Errorf("%w: more than %d keys", ErrMalformed, maxKeys)
	}
	// Not strict: an entry jwx cannot read is kept as a placeholder, so that
	// an unsupported key type is skipped, not fatal.
	js, err := jose.Parse(data, jose.WithStrictKeySetParsing(false), jose.WithMaxKeys(maxKeys))
	if err != nil {
		return Set{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	keys := make([]Key, 0, js.Len())
	seen := make(map[string]bool, js.Len())
	for i := range js.Len() {
		jk, _ := js.Key(i)
		k, ok, err := fromJOSE(jk)
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

// supported reports whether kty and crv name a key type this package handles.
func supported(kty, crv string) bool {
	return (kty == "OKP" && crv == "Ed25519") || (kty == "EC" && crv == "P-256")
}

// fromJOSE converts one parsed key; ok is false for an unsupported type.
func fromJOSE(jk jose.Key) (Key, bool, error) {
	if jose.IsUnsupportedKey(jk) {
		// jwx could not read the entry: skip it unless it claims to be a key
		// type this package handles, which must then be well formed.
		raw, err := json.Marshal(jk)
		if err != nil {
			return Key{}, false, fmt.Errorf("%w: unreadable entry", ErrMalformed)
		}
		var head struct{ Kty, Crv string }
		if err := json.Unmarshal(raw, &head); err != nil {
			return Key{}, false, fmt.Errorf("%w: kty or crv is not a string", ErrMalformed)
		}
		if supported(head.Kty, head.Crv) {
			return Key{}, false, fmt.Errorf("%w: %s %s key: %w", ErrInvalidKey, head.Kty, head.Crv, jk.(jose.UnsupportedKey).Reason())
		}
		return Key{}, false, nil
	}
	var raw any
	if err := jose.Export(jk, &raw); err != nil {
		return Key{}, false, nil // a type jwx reads but cannot export (none of ours)
	}
	var alg string
	switch pk := raw.(type) {
	case ed25519.PublicKey:
		alg = AlgEdDSA
	case *ecdsa.PublicKey:
		if pk.Curve != elliptic.P256() {
			return Key{}, false, nil
		}
		alg = AlgES256
	case ed25519.PrivateKey, *ecdsa.PrivateKey:
		return Key{}, false, fmt.Errorf("%w: private key member in a public key set", ErrInvalidKey)
	default:
		return Key{}, false, nil
	}
	kid, _ := jk.KeyID()
	if kid == "" {
		return Key{}, false, fmt.Errorf("%w: missing kid", ErrInvalidKey)
	}
	if a, ok := jk.Algorithm(); ok && a.String() != alg {
		return Key{}, false, fmt.Errorf("%w: alg does not match key type", ErrInvalidKey)
	}
	if u, ok := jk.KeyUsage(); ok && u != "sig" {
		return Key{}, false, fmt.Errorf("%w: use is not \"sig\"", ErrInvalidKey)
	}
	return Key{Kid: kid, Alg: alg, Public: raw}, true, nil
}

// Marshal writes the set as an RFC 7517 JWK Set (with jwx), each key with
// its kid, "use":"sig" and its "alg". The output parses back to an equal set.
func (s Set) Marshal() ([]byte, error) {
	js := jose.NewSet()
	for _, k := range s.keys {
		jk, err := jose.Import(k.Public)
		if err != nil {
			return nil, fmt.Errorf("%w: kid %q: %T", ErrUnsupportedKey, k.Kid, k.Public)
		}
		alg := jwa.EdDSA()
		if k.Alg == AlgES256 {
			alg = jwa.ES256()
		}
		for name, v := range map[string]any{jose.KeyIDKey: k.Kid, jose.KeyUsageKey: "sig", jose.AlgorithmKey: alg} {
			if err := jk.Set(name, v); err != nil {
				return nil, fmt.Errorf("%w: kid %q: %w", ErrInvalidKey, k.Kid, err)
			}
		}
		if err := js.AddKey(jk); err != nil {
			return nil, fmt.Errorf("%w: kid %q: %w", ErrInvalidKey, k.Kid, err)
		}
	}
	return json.Marshal(js)
}
