// Package jwk parses and writes JSON Web Key Sets (RFC 7517) holding the two
// kinds of public signing keys the hub trusts: Ed25519 keys (kty "OKP",
// crv "Ed25519", RFC 8037) used with alg "EdDSA", and NIST P-256 keys
// (kty "EC", crv "P-256", RFC 7518 section 6.2) used with alg "ES256".
//
// It is the hub's narrow view of github.com/lestrrat-go/jwx/v3/jwk, which
// reads and writes the JSON: shared by hub/auth (caller tokens from trusted
// issuers) and hub/seal (the issuing offices' permit keys, published at
// /.well-known/jwks.json), it keeps only the key types the hub accepts and
// hands out standard library keys. Private key members ("d") are refused: a
// key set read or written here is public by construction.
//
// Set and Key values are immutable after Parse or New and safe for
// concurrent use.
package jwk
