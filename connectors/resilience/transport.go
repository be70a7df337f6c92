package resilience

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Middleware wraps the transport of one platform, for example to sign every attempt. It
// sits below the retry loop, so it runs once per attempt, and below the rate limiter, so a
// signature's timestamp is taken after any wait. A RoundTripper must not modify the request
// it is given: clone it (req.Clone) before setting headers.
type Middleware func(next http.RoundTripper) http.RoundTripper

// RoundTripperFunc adapts a function to http.RoundTripper.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(req).
func (f RoundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// noCloseIdle hides the wrapped transport's CloseIdleConnections from http.Client, so that
// go-retryablehttp's CloseIdleConnections calls on exhaustion and cancellation do not drop
// the connection pool shared by every concurrent call to the platform. It deliberately
// implements RoundTrip only.
type noCloseIdle struct{ next http.RoundTripper }

func (t noCloseIdle) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(req)
}

// rateLimited waits for the platform's limiter before every attempt.
type rateLimited struct {
	limiter *rate.Limiter
	next    http.RoundTripper
}

// errRateWait marks a limiter wait that cannot finish before the caller's deadline; the
// retry policy does not retry it.
type errRateWait struct{ err error }

func (e errRateWait) Error() string { return "client-side rate limit: " + e.err.Error() }
func (e errRateWait) Unwrap() error { return e.err }

func (t rateLimited) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.Wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errRateWait{err}
	}
	return t.next.RoundTrip(req)
}

// callState travels in the request context through go-retryablehttp to the retry policy
// and the instrumenting transport: one per call.
type callState struct {
	endpoint   string
	idempotent bool
	attempts   atomic.Int32
	lastStatus atomic.Int32
}

type callStateKey struct{}

func stateOf(ctx context.Context) *callState {
	s, _ := ctx.Value(callStateKey{}).(*callState)
	return s
}

// instrumented counts attempts and classifies failed ones for the metrics, and traces each
// attempt (a child span of the call, carried to the platform in the W3C traceparent header).
type instrumented struct {
	c    *Client
	next http.RoundTripper
}

func (t instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateOf(req.Context())
	endpoint := "unknown"
	retry := false
	attempt := 1
	if st != nil {
		endpoint = st.endpoint
		attempt = int(st.attempts.Add(1))
		retry = attempt > 1
	}
	hedge := isHedge(req.Context())
	if hedge {
		retry = false
		t.c.metrics.hedge(t.c.platform, endpoint)
	}
	t.c.metrics.attempt(t.c.platform, endpoint, retry)
	if retry && t.c.logger != nil {
		t.c.logger.DebugContext(req.Context(), "connector retry", "platform", t.c.platform,
			"endpoint", endpoint, "attempt", attempt)
	}
	req, span := startAttempt(req, t.c.platform, endpoint, attempt, retry, hedge)
	resp, err := t.next.RoundTrip(req)
	endAttempt(span, resp, err)
	if err != nil {
		t.c.metrics.failure(t.c.platform, transportKind(err))
		return nil, err
	}
	if st != nil {
		st.lastStatus.Store(int32(resp.StatusCode))
	}
	if k := statusKind(resp.StatusCode); k != "" {
		t.c.metrics.failure(t.c.platform, k)
	}
	return resp, nil
}

// transportKind names a transport-level failure for the failures metric.
func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return "network"
	}
}

// statusKind names a failed status for the failures metric; "" for success.
func statusKind(status int) string {
	switch {
	case status < 400:
		return ""
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "auth"
	case status == http.StatusNotFound:
		return ""
	case status >= 500:
		return "server_error"
	default:
		return "client_error"
	}
}

// isDialError reports whether err happened while connecting, before any byte of the
// request was sent: safe to retry even for non-idempotent requests.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
