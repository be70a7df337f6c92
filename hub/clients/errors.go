package clients

import "errors"

// Sentinel errors.
var (
	// ErrForbidden is returned when a caller other than an administrator manages clients.
	ErrForbidden = errors.New("clients: only an administrator manages clients")
	// ErrNotFound is returned (in a *NotFoundError) for an unknown client or secret.
	ErrNotFound = errors.New("clients: not found")
	// ErrInvalidClient is returned by Token when client authentication fails: unknown client,
	// wrong or expired secret, revoked client. Which of them is not told.
	ErrInvalidClient = errors.New("clients: client authentication failed")
	// ErrInvalidScope is returned by Token when the requested scope names an entry the client
	// was not granted, or is malformed.
	ErrInvalidScope = errors.New("clients: requested scope not granted")
	// ErrRevoked is returned when a revoked client's secrets are rotated or retired.
	ErrRevoked = errors.New("clients: client revoked")
)

// InvalidError is a registration or rotation request with an invalid field. It wraps nothing;
// Field and Detail say what is wrong (never a secret).
type InvalidError struct {
	Field  string
	Detail string
}

func (e *InvalidError) Error() string { return "clients: invalid " + e.Field + ": " + e.Detail }

// NotFoundError names what was not found; it wraps ErrNotFound.
type NotFoundError struct {
	What string // "client" or "secret"
	ID   string
}

func (e *NotFoundError) Error() string { return "clients: no such " + e.What }

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }
