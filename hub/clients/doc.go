// Package clients makes department apps first-class clients of the hub: an administrator
// registers an app (its name, the department's unified social credit code, the items and
// actions it may use, its rate limit and an optional webhook URL) and receives client
// credentials; the app exchanges them at the hub's OAuth2 token endpoint (RFC 6749 section
// 4.4, client credentials) for a short-lived caller token that the hub signs with its own
// issuer key.
//
// Secrets are 256-bit random values shown once and stored as SHA-256 digests. A slow password
// hash (argon2id, bcrypt) protects low-entropy human passwords against guessing after a
// database leak; a 256-bit random secret cannot be guessed whatever the hash, and a slow hash
// would only cost CPU on every token request (an easy denial of service). Secrets are compared
// in constant time.
//
// A rotation adds a secret while the others keep working until their overlap ends (or they
// are retired), so an app can roll its configuration without downtime. A revoked client is
// refused at once: Authenticator checks the client's status in the store on every request
// that carries a token the hub minted (no cache), and applies the client's rate limit there
// (golang.org/x/time/rate, one token bucket per client and replica: with N replicas behind a
// balancer an app may reach up to N times its limit).
//
// An app's webhook URL is its webhook subscription: registering the app stores the
// subscription (every event type, the app's items, a fresh signing secret returned with the
// client secret) in the same transaction, and revoking the app ends it (no further event is
// queued for it and its pending deliveries are dead-lettered as client_revoked).
//
// Every change to the registry is recorded in the audit chain in the transaction that makes
// it. Token issuance is not audited (it changes nothing and would flood the chain); the
// calls made with the tokens are, as every call is.
package clients
