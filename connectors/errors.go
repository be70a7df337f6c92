package connectors

import (
	"errors"
	"fmt"
	"strings"

	"sanmian/hub/evidence"
)

// Sentinel errors. Every error a connector returns wraps exactly one of these kinds (test
// with errors.Is) inside an *Error that names the platform and endpoint. Messages never carry
// an ID number or a URL with one. Above the connectors, the same errors are seen through the
// evidence model's failure kinds (see Error.Is and Error.As).
var (
	// ErrCircuitOpen is returned without contacting the platform while the platform's circuit
	// breaker is open (after consecutive failures) or while its half-open probe is in flight.
	ErrCircuitOpen = errors.New("circuit open")

	// ErrUpstream is returned when the platform answered with a status the connector cannot
	// use (5xx, 429, an unexpected 4xx) after the retry budget was spent. *Error.Status holds
	// the last status.
	ErrUpstream = errors.New("upstream error")

	// ErrUnavailable is returned when the platform could not be reached at all: connection
	// refused or reset, DNS failure, TLS failure, connection closed before a response.
	ErrUnavailable = errors.New("unavailable")

	// ErrTimeout is returned when every attempt exceeded the per-attempt timeout, or the
	// caller's deadline expired while waiting for the platform.
	ErrTimeout = errors.New("timeout")

	// ErrDecode is returned when a response could not be decoded strictly: truncated or
	// malformed bodies, wrong JSON types, unknown enum values, malformed dates or identifiers,
	// missing required fields. A connector never passes a zero value on as a fact.
	ErrDecode = errors.New("decode error")

	// ErrNotFound is returned when the platform holds no record for the requested person or
	// household. It is an answer, not a failure: it does not count against the breaker.
	ErrNotFound = errors.New("not found")

	// ErrAuth is returned when the platform refused the connector's credentials (401/403
	// after one token refresh, a rejected signature, an unknown API key). It does not count
	// against the breaker: retrying will not help, fixing the configuration will.
	ErrAuth = errors.New("authentication refused")

	// ErrInvalidRequest is returned before contacting a platform when the request itself is
	// wrong (an empty ID list, an ID number that fails its check character, a batch larger
	// than the platform accepts), and when the platform answers 400.
	ErrInvalidRequest = errors.New("invalid request")

	// ErrCanceled is returned when the caller's context was canceled before an answer came.
	ErrCanceled = errors.New("canceled")
)

// Error is the error every connector returns: which platform and endpoint failed, how (Kind,
// one of the sentinel errors above), the last HTTP status when there was one, and how many
// attempts were made. It unwraps to both Kind and the underlying cause.
type Error struct {
	Platform string // "province", "city" or "district"
	Endpoint string // logical endpoint, e.g. "rkjc/query"; never a URL
	Kind     error  // one of the sentinel errors of this package
	Status   int    // last HTTP status, 0 when none was received
	Attempts int    // HTTP attempts made, 0 when none was made (circuit open, invalid request)
	Err      error  // underlying cause, may be nil
}

// Error formats as "connectors: <platform>[: <endpoint>]: <kind>[ (status N)][ after N
// attempts][: cause]", e.g. "connectors: province: circuit open".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("connectors: ")
	b.WriteString(e.Platform)
	if e.Endpoint != "" {
		b.WriteString(": ")
		b.WriteString(e.Endpoint)
	}
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("error")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (status %d)", e.Status)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Err != nil && e.Err != e.Kind {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind and the cause, so errors.Is works for both.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Is maps the connector's kinds onto the evidence model's failure kinds: an error of kind
// ErrNotFound is evidence.ErrNotFound (the platform's answer that it holds no such record).
func (e *Error) Is(target error) bool {
	return target == evidence.ErrNotFound && errors.Is(e.Kind, ErrNotFound)
}

// As lets callers that know only the evidence model see any connector error as an
// *evidence.SourceError naming the platform, with this error as its cause.
func (e *Error) As(target any) bool {
	t, ok := target.(**evidence.SourceError)
	if !ok {
		return false
	}
	*t = &evidence.SourceError{Platform: e.Platform, Err: e}
	return true
}

// DecodeError returns an *Error of kind ErrDecode for platform and endpoint. The format must
// not interpolate personal data (ID numbers, names): name the field, not its value.
func DecodeError(platform, endpoint, format string, args ...any) *Error {
	return &Error{Platform: platform, Endpoint: endpoint, Kind: ErrDecode, Err: fmt.Errorf(format, args...)}
}

// IsAvailabilityFailure reports whether err means the platform could not give an answer
// (circuit open, upstream error, unavailable, timeout, decode error): the cases where a
// cached value may be served stale. Not found, auth and invalid-request errors are answers or
// configuration faults, and a canceled caller is not the platform's fault.
func IsAvailabilityFailure(err error) bool {
	if err == nil {
		return false
	}
	for _, k := range []error{ErrCircuitOpen, ErrUpstream, ErrUnavailable, ErrTimeout, ErrDecode} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
