package jwk

import "errors"

// Sentinel errors. Messages name the key by index or kid, never by key
// material.
var (
	// ErrMalformed is returned by Parse when the document is not a JSON
	// object with a "keys" array, is larger than MaxSetSize, or a key member
	// has the wrong JSON type or is not valid unpadded base64url.
	ErrMalformed = errors.New("jwk: malformed key set")

	// ErrInvalidKey is returned when a key of a supported type is unusable:
	// wrong coordinate length, a point not on the curve, a missing or
	// duplicate kid, an "alg" or "use" that contradicts the key type, or a
	// private key member ("d") in what must be a public key set.
	ErrInvalidKey = errors.New("jwk: invalid key")

	// ErrUnsupportedKey is returned by NewKey for a public key type other
	// than ed25519.PublicKey and *ecdsa.PublicKey on P-256. Parse skips keys
	// of unsupported kty or crv instead (RFC 7517 section 5).
	ErrUnsupportedKey = errors.New("jwk: unsupported key type")
)
