// Package seal holds the issuing offices' sealing keys and seals permits
// with them (盖章免跑腿: no trips for stamps).
//
// An office is a division that issues permits: the district ("370114") or
// a town, subdistrict or village by its 12-digit statistical code. Each
// office has Ed25519 keys; a key id names the office and the key's
// generation, "<office>-<year>-<n>" (e.g. "370114001000-2026-1"). A
// Keyring keeps the keys in a KeyStore (a small interface; hub/store
// implements it for SQLite and PostgreSQL, sealtest.MemKeyStore in memory
// for tests) with each private key encrypted at rest under AES-256-GCM
// with a key-encryption key derived (HKDF-SHA256) from a master secret.
// Rotate adds a new active key and retires the old one, which stays in the
// JWKS until its not_after so permits it sealed still verify.
//
// A permit is a compact JWS (RFC 7515), header {alg "EdDSA", kid, typ
// "sanmian-permit+jwt"}, whose claims (PermitClaims) name the office (iss),
// the permit id (jti), the item, iat, exp when the item has a validity,
// the holder bound by an HMAC of the ID number under an office secret (sub)
// and shown masked (holder), the review chain, the digests of the evidence
// used, the policy revision, the decision id and a status-list reference.
// The full ID number is never in a permit.
//
// Verification needs only the JWKS: any JOSE library that supports EdDSA
// verifies a permit with it, and the tests do so also with plain
// crypto/ed25519. Verify additionally checks that the kid belongs to the
// office in iss. The verification code (claims, Verify, status lists) is
// sanmian/sdk/permitverify, which department apps import; this package
// names it (verify.go) and adds the sealing side.
//
// Revocation uses the IETF OAuth "Token Status List" draft
// (draft-ietf-oauth-status-list): a permit carries
// "status": {"status_list": {"idx": N, "uri": U}}; the list at U is a JWT
// (typ "statuslist+jwt", sub U) whose "status_list" claim holds
// {"bits": 1, "lst": base64url(zlib(bytes))}, bit N (least significant bit
// first within each byte) set meaning revoked. Index allocation is the
// store's job; StatusList only sets and reads bits.
//
// RenderPrintPage writes the printable notice (三免审批结果通知书) with a QR
// code carrying the token.
package seal
