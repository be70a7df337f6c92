package auth

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every error Verify returns for a token it refuses wraps
// ErrTokenInvalid and, where one applies, one of the more specific
// sentinels below, so a handler maps errors.Is(err, ErrTokenInvalid) to
// 401. Messages name the reason only: never the token, a claim value or key
// material.
var (
	// ErrTokenInvalid is wrapped by every refusal of a token: malformed,
	// bad signature, algorithm not pinned for the issuer (including "none"
	// and HMAC), wrong audience, missing kid, "crit" header, iat in the
	// future, missing or invalid caller claims, and the more specific
	// refusals below.
	ErrTokenInvalid = errors.New("auth: token invalid")

	// ErrTokenExpired is returned (with ErrTokenInvalid) when the token's
	// exp lies in the past by more than the leeway.
	ErrTokenExpired = errors.New("auth: token expired")

	// ErrUnknownIssuer is returned (with ErrTokenInvalid) when the token's
	// iss is not one of the trusted issuers.
	ErrUnknownIssuer = errors.New("auth: unknown issuer")

	// ErrUnknownKey is returned (with ErrTokenInvalid) when the token's kid
	// names no key of its issuer, even after a permitted key-set refresh.
	ErrUnknownKey = errors.New("auth: unknown key id")

	// ErrInvalidCaller is returned by Caller.Validate and Issuer.Mint, and
	// (with ErrTokenInvalid) by Verify, when the caller claims are unusable:
	// empty subject, unknown role, malformed jurisdiction or scope.
	ErrInvalidCaller = errors.New("auth: invalid caller claims")

	// ErrKeysUnavailable is returned when an issuer's JWKS file or URL
	// cannot be read and no cached copy young enough is left. It does not
	// wrap ErrTokenInvalid: the caller is not at fault (a handler answers
	// 503).
	ErrKeysUnavailable = errors.New("auth: issuer keys unavailable")

	// ErrConfig is returned by Config.Validate and NewVerifier for an
	// unusable configuration (no issuer, duplicate name, no or several key
	// sources, an algorithm other than EdDSA or ES256, a bad leeway).
	ErrConfig = errors.New("auth: invalid configuration")

	// ErrKeyFile is returned by OpenDemoIssuer when the issuer key file is
	// unreadable, malformed, not an Ed25519 key, or readable by group or
	// others.
	ErrKeyFile = errors.New("auth: issuer key file unusable")
)

// ErrRateLimited is wrapped by a *RateLimitedError: the caller is authenticated but has sent
// more requests than its rate limit allows (a handler answers 429 with Retry-After). It does
// not wrap ErrTokenInvalid.
var ErrRateLimited = errors.New("auth: rate limit exceeded")

// RateLimitedError is returned by an authenticator that limits a caller's request rate;
// RetryAfter is how long until the next request would be allowed.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string { return ErrRateLimited.Error() }

// Unwrap returns ErrRateLimited.
func (e *RateLimitedError) Unwrap() error { return ErrRateLimited }

// ErrCallerRevoked is returned (with ErrTokenInvalid) for a valid token of a caller the hub
// has since revoked, such as a revoked department app.
var ErrCallerRevoked = errors.New("auth: caller revoked")

// Refuse returns an error that wraps ErrTokenInvalid and reason (a sentinel such as
// ErrCallerRevoked), for authenticators layered over a Verifier.
func Refuse(reason error) error { return fmt.Errorf("%w: %w", ErrTokenInvalid, reason) }
