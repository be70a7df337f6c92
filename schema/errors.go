package schema

import "errors"

// Sentinel errors. The hub service returns them (wrapped with %w) to tell the GraphQL layer
// what kind of failure happened; the layer turns them into GraphQL errors with a stable
// extensions.code and a fixed message, so no internal error text reaches a client. Errors
// that match none of them (and no WithErrorCode mapping) are reported as INTERNAL.
var (
	// ErrUnauthenticated is returned when a request carries no verified caller identity;
	// code UNAUTHENTICATED.
	ErrUnauthenticated = errors.New("unauthenticated")

	// ErrForbidden is returned when policy does not let the caller see or do something: a
	// resident, household or application outside the caller's jurisdiction, an item outside
	// a department app's scope, an unmasked ID number for an auditor; code FORBIDDEN.
	ErrForbidden = errors.New("forbidden")

	// ErrNotFound is returned when the thing asked for does not exist (or policy prefers not
	// to reveal that it exists); code NOT_FOUND.
	ErrNotFound = errors.New("not found")

	// ErrInvalid is returned when an argument is malformed (a bad ID number, an unknown item
	// code, an empty purpose, a review action not allowed in the current state); code
	// BAD_USER_INPUT.
	ErrInvalid = errors.New("invalid input")

	// ErrConflict is returned when the state changed under the request (an application
	// already reviewed at this level, an idempotency key reused with a different body);
	// code CONFLICT.
	ErrConflict = errors.New("conflict")

	// ErrUnavailable is returned when an upstream platform or the store failed and no
	// usable cached answer exists; code UNAVAILABLE.
	ErrUnavailable = errors.New("unavailable")
)
