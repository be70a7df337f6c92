// Package auth authenticates the hub's callers: counter staff, reviewers,
// department apps, auditors and administrators presenting a bearer JWT
// signed by a trusted issuer (DESIGN.md section 3, "Caller tokens").
//
// A Verifier is built from a Config naming each trusted issuer ("iss"), the
// algorithms pinned for it (EdDSA and/or ES256; never HMAC, never "none")
// and where its public keys come from: a static set, a JWKS file or a JWKS
// URL fetched and refreshed through a bounded cache. A token must carry a
// "kid" header naming one of its issuer's keys, the audience "sanmian-hub",
// an expiry, a role and, for counter and reviewer roles, a jurisdiction.
// Verify turns a valid token into a Caller; every refusal wraps
// ErrTokenInvalid (and a more specific sentinel where there is one) and
// never contains the token or any claim value.
//
// Signatures are checked by golang-jwt with strict base64url decoding, so a
// token has one encoding. Ed25519 signatures are not malleable; ECDSA
// (ES256) signatures are, as everywhere in JOSE: (r, n-s) verifies like
// (r, s), which changes the token string but none of its claims.
//
// Issuer is the demo issuer behind `hub token` and `hub demo`: an Ed25519
// key kept in the data directory (created on first use, mode 0600) that
// mints caller tokens, and whose public key set a Verifier trusts.
//
// Key-set parsing lives in the sub-package jwk, shared with hub/seal.
package auth
