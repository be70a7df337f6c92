package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenSize is the longest token Verify reads, in bytes.
const MaxTokenSize = 8 << 10

// Verifier checks caller tokens against the trusted issuers. It is safe
// for concurrent use.
type Verifier struct {
	issuers map[string]*trusted
}

// trusted is one issuer with its parser (pinned algorithms, iss, aud, exp
// required, leeway, iat checked, strict base64url) and key source.
type trusted struct {
	cfg    TrustedIssuer
	parser *jwt.Parser
	source keySource
}

// Option configures a Verifier.
type Option func(*options)

type options struct {
	client   *http.Client
	now      func() time.Time
	refresh  time.Duration
	minWait  time.Duration
	maxStale time.Duration
}

// WithHTTPClient sets the client used to fetch JWKS URLs (default: a
// client with a 10 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the time source used for exp/iat checks and the JWKS
// cache (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithJWKSCache sets how a JWKS file or URL is cached: re-read when older
// than refresh or, at most once per minWait, when a token names an unknown
// kid; a cached set is served for up to maxStale while re-reading fails.
// Zero values keep the defaults (DefaultJWKSRefresh, DefaultJWKSMinWait,
// DefaultJWKSMaxStale).
func WithJWKSCache(refresh, minWait, maxStale time.Duration) Option {
	return func(o *options) {
		if refresh > 0 {
			o.refresh = refresh
		}
		if minWait > 0 {
			o.minWait = minWait
		}
		if maxStale > 0 {
			o.maxStale = maxStale
		}
	}
}

// NewVerifier validates cfg and builds a Verifier. JWKS files are read now
// (a missing or malformed file is an error); JWKS URLs on first use.
func NewVerifier(cfg Config, opts ...Option) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{now: time.Now, refresh: DefaultJWKSRefresh, minWait: DefaultJWKSMinWait, maxStale: DefaultJWKSMaxStale}
	for _, opt := range opts {
		opt(&o)
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	v := &Verifier{issuers: make(map[string]*trusted, len(cfg.Issuers))}
	for _, is := range cfg.Issuers {
		t := &trusted{
			cfg: is,
			parser: jwt.NewParser(
				jwt.WithValidMethods(append([]string(nil), is.Algorithms...)),
				jwt.WithIssuer(is.Name),
				jwt.WithAudience(Audience),
				jwt.WithExpirationRequired(),
				jwt.WithIssuedAt(),
				jwt.WithLeeway(leeway),
				jwt.WithTimeFunc(o.now),
				jwt.WithStrictDecoding(),
			),
		}
		switch {
		case is.Keys.Len() > 0:
			t.source = staticSource{set: is.Keys}
		case is.JWKSFile != "":
			cs := &cachedSource{load: fileLoader(is.JWKSFile), refresh: o.refresh, minWait: o.minWait, maxStale: o.maxStale, now: o.now}
			if _, err := cs.keys(context.Background(), false); err != nil {
				return nil, fmt.Errorf("%w: issuer %q: %w", ErrConfig, is.Name, err)
			}
			t.source = cs
		default:
			t.source = &cachedSource{load: urlLoader(o.client, is.JWKSURL), refresh: o.refresh, minWait: o.minWait, maxStale: o.maxStale, now: o.now}
		}
		v.issuers[is.Name] = t
	}
	return v, nil
}

// callerClaims is the JSON form of a caller token's claims.
type callerClaims struct {
	jwt.RegisteredClaims
	Role         string     `json:"role"`
	Jurisdiction string     `json:"jurisdiction,omitempty"`
	Scope        scopeClaim `json:"scope,omitempty"`
}

// Internal refusal reasons, fixed strings.
const (
	reasonMalformed     = "malformed"
	reasonTooLong       = "token too long"
	reasonIssuerClaim   = "iss claim missing or not a string"
	reasonMissingKid    = "kid header missing"
	reasonKeyAlg        = "key does not match the token algorithm"
	reasonCrit          = "crit header not supported"
	reasonNoSubject     = "sub claim missing"
	reasonCallerClaims  = "caller claims invalid"
	reasonSignature     = "signature or algorithm invalid"
	reasonAudience      = "audience invalid"
	reasonRequired      = "required claim missing (exp, aud)"
	reasonFutureIat     = "issued in the future"
	reasonNotYetValid   = "not valid yet"
	reasonExpired       = "expired"
	reasonUnknownIssuer = "unknown issuer"
	reasonUnknownKey    = "unknown key id"
	reasonInvalid       = "invalid"
)

// keyfuncError carries a refusal reason out of the jwt.Keyfunc.
type keyfuncError struct{ reason string }

func (e *keyfuncError) Error() string { return e.reason }

// refusal is the error Verify returns for a token it refuses: its message
// is "auth: token invalid: <reason>" with a fixed reason, and it wraps
// ErrTokenInvalid plus any more specific sentinel.
type refusal struct {
	reason string
	errs   []error
}

func (r *refusal) Error() string   { return "auth: token invalid: " + r.reason }
func (r *refusal) Unwrap() []error { return r.errs }

// reject builds a refusal wrapping ErrTokenInvalid and the sentinels more.
func reject(reason string, more ...error) error {
	return &refusal{reason: reason, errs: append([]error{ErrTokenInvalid}, more...)}
}

// Verify checks token and returns the caller it names. The token must be
// a compact JWS from a trusted issuer, signed with an algorithm pinned for
// that issuer by the key its kid names, with aud "sanmian-hub", an exp not
// past (with leeway), an iat not in the future, and valid caller claims.
// Every refusal wraps ErrTokenInvalid; ErrKeysUnavailable means the
// issuer's keys could not be read and says nothing about the token.
func (v *Verifier) Verify(ctx context.Context, token string) (Caller, error) {
	if token == "" {
		return Caller{}, reject(reasonMalformed)
	}
	if len(token) > MaxTokenSize {
		return Caller{}, reject(reasonTooLong)
	}
	iss, reason := peekIssuer(token)
	if reason != "" {
		return Caller{}, reject(reason)
	}
	t, ok := v.issuers[iss]
	if !ok {
		return Caller{}, reject(reasonUnknownIssuer, ErrUnknownIssuer)
	}
	var claims callerClaims
	_, err := t.parser.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		return t.key(ctx, tok)
	})
	if err != nil {
		return Caller{}, mapParseError(err)
	}
	if claims.Subject == "" {
		return Caller{}, reject(reasonNoSubject)
	}
	c := Caller{
		Subject:      claims.Subject,
		Issuer:       claims.Issuer,
		Role:         claims.Role,
		Jurisdiction: claims.Jurisdiction,
		Scope:        []string(claims.Scope),
		TokenID:      claims.ID,
	}
	if err := c.Validate(); err != nil {
		// Validate's messages name the field, never its value.
		return Caller{}, &refusal{reason: strings.TrimPrefix(err.Error(), "auth: "), errs: []error{ErrTokenInvalid, err}}
	}
	return c, nil
}

// key is the jwt.Keyfunc: the kid must name a key of the issuer whose type
// matches the (already pinned) algorithm.
func (t *trusted) key(ctx context.Context, tok *jwt.Token) (any, error) {
	if _, ok := tok.Header["crit"]; ok {
		return nil, &keyfuncError{reasonCrit}
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return nil, &keyfuncError{reasonMissingKid}
	}
	set, err := t.source.keys(ctx, false)
	if err != nil {
		return nil, err
	}
	k, ok := set.Lookup(kid)
	if !ok {
		if set, err = t.source.keys(ctx, true); err != nil {
			return nil, err
		}
		if k, ok = set.Lookup(kid); !ok {
			return nil, ErrUnknownKey
		}
	}
	if k.Alg != tok.Method.Alg() || !t.cfg.allows(k.Alg) {
		return nil, &keyfuncError{reasonKeyAlg}
	}
	return k.Public, nil
}

// peekIssuer reads the iss claim of an unverified token, only to choose
// the issuer whose pinned parser then verifies everything.
// It returns the issuer or a refusal reason.
func peekIssuer(token string) (iss, reason string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", reasonMalformed
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return "", reasonMalformed
	}
	var p struct {
		Iss *string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", reasonMalformed
	}
	if p.Iss == nil || *p.Iss == "" {
		return "", reasonIssuerClaim
	}
	return *p.Iss, ""
}

// mapParseError turns a golang-jwt error into one of ours with a fixed
// message, so nothing from the token can reach a log or a response.
func mapParseError(err error) error {
	var kf *keyfuncError
	switch {
	case errors.As(err, &kf):
		return reject(kf.reason)
	case errors.Is(err, ErrKeysUnavailable):
		return err // configuration problem, not the caller's; names no token data
	case errors.Is(err, ErrUnknownKey):
		return reject(reasonUnknownKey, ErrUnknownKey)
	case errors.Is(err, jwt.ErrTokenExpired):
		return reject(reasonExpired, ErrTokenExpired)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return reject(reasonRequired)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return reject(reasonMalformed)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return reject(reasonSignature)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return reject(reasonAudience)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return reject(reasonUnknownIssuer, ErrUnknownIssuer)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return reject(reasonFutureIat)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return reject(reasonNotYetValid)
	case errors.Is(err, jwt.ErrInvalidType), errors.Is(err, ErrInvalidCaller):
		return reject(reasonCallerClaims)
	default:
		return reject(reasonInvalid)
	}
}

// Issuers returns the names of the trusted issuers.
func (v *Verifier) Issuers() []string {
	out := make([]string, 0, len(v.issuers))
	for n := range v.issuers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
