// Package permitverify verifies the permits (审批结果) a Sanmian hub issues, in a department
// app, without the hub's help: a permit is a compact JWS (EdDSA, typ "sanmian-permit+jwt")
// signed by an issuing office's key, published in the hub's JWK set at
// /.well-known/jwks.json, and revocable through a signed IETF Token Status List at
// /v1/permits/status.
//
// A Verifier does the work an app needs:
//
//   - New (online) fetches the key set and caches it as long as the hub's Cache-Control
//     says (max-age, or Expires; DefaultMaxAge without either); a permit signed with a key
//     it does not know makes it fetch the set again, at most once per RefreshInterval, so
//     a rotated key is picked up at once and a flood of forged kids costs the hub nothing.
//     While the hub cannot be reached it keeps using what it has for MaxStale.
//   - A permit naming a status list ("status": {"status_list": {"idx", "uri"}}) is checked
//     for revocation against that list, fetched from an allowed origin only, verified with
//     the same key set, and cached likewise (never past its own exp).
//   - Snapshot saves the key set and status lists; NewOffline verifies from such a
//     snapshot alone, for sites without a connection. An expired status list in the
//     snapshot is an error unless OfflineConfig.StaleStatusList allows it.
//
// Verify returns a Result: Valid, Status ("active", "revoked", "unchecked" when no status
// list was consulted, "invalid"), the Claims once the signature verified, and a stable
// Reason when not valid (malformed, wrong_type, unknown_key, office_mismatch,
// bad_signature, expired, not_yet_valid, bad_claims, revoked). A permit found invalid is not
// an error; an error (ErrJWKS, ErrStatusList, ErrOffline) means verification could not be
// carried out and nothing is known about the permit.
//
// The package is the hub's own verification code (hub/seal names it): the hub's
// POST /v1/permits/verify and `hub verify` give the same answers.
package permitverify
