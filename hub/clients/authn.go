package clients

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"sanmian/hub/auth"
	"sanmian/hub/store"
)

// Verifier verifies a bearer token (an *auth.Verifier).
type Verifier interface {
	Verify(ctx context.Context, token string) (auth.Caller, error)
}

// Authenticator verifies caller tokens with a Verifier and, for tokens the hub minted (its
// own issuer), checks on every request that the client is registered and active and applies
// the client's rate limit. Tokens of external issuers pass through unchanged. Safe for
// concurrent use.
type Authenticator struct {
	base Verifier
	r    *Registry
}

// Authenticator returns an Authenticator over base, which must trust r's issuer.
func (r *Registry) Authenticator(base Verifier) *Authenticator {
	return &Authenticator{base: base, r: r}
}

// Verify returns the caller, or an error wrapping auth.ErrTokenInvalid (with
// auth.ErrCallerRevoked for a revoked or unknown client), or a *auth.RateLimitedError when the
// client is over its rate limit.
func (a *Authenticator) Verify(ctx context.Context, token string) (auth.Caller, error) {
	c, err := a.base.Verify(ctx, token)
	if err != nil || c.Issuer != a.r.issuer.Name() {
		return c, err
	}
	cl, err := a.r.st.GetClient(ctx, c.Subject)
	if errors.Is(err, store.ErrNotFound) || err == nil && cl.Status != store.ClientActive {
		return auth.Caller{}, auth.Refuse(auth.ErrCallerRevoked)
	}
	if err != nil {
		return auth.Caller{}, err
	}
	if c.Role != auth.RoleDepartment {
		return auth.Caller{}, auth.Refuse(auth.ErrInvalidCaller)
	}
	if wait, ok := a.r.limiters.allow(cl, a.r.now()); !ok {
		return auth.Caller{}, &auth.RateLimitedError{RetryAfter: wait}
	}
	return c, nil
}

// limiters holds one token bucket per client, replaced when the client's limit changes.
type limiters struct {
	mu sync.Mutex
	m  map[string]*limiter
}

type limiter struct {
	rps   float64
	burst int
	lim   *rate.Limiter
}

func newLimiters() *limiters { return &limiters{m: map[string]*limiter{}} }

// allow takes one request from cl's bucket; when it is empty it returns how long until the
// next request would be allowed.
func (l *limiters) allow(cl store.Client, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	e := l.m[cl.ID]
	if e == nil || e.rps != cl.RateLimit || e.burst != cl.Burst {
		e = &limiter{rps: cl.RateLimit, burst: cl.Burst, lim: rate.NewLimiter(rate.Limit(cl.RateLimit), cl.Burst)}
		l.m[cl.ID] = e
	}
	l.mu.Unlock()
	if e.lim.AllowN(now, 1) {
		return 0, true
	}
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Second, false
	}
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	return wait, false
}

func (l *limiters) forget(id string) {
	l.mu.Lock()
	delete(l.m, id)
	l.mu.Unlock()
}
