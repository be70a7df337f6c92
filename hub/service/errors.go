package service

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned when the application, permit, item or decision does not exist
	// (or the caller may not know that it exists).
	ErrNotFound = errors.New("service: not found")

	// ErrState is returned when the action does not fit the application's status (confirming
	// an approved application, reviewing a draft, reviewing at the wrong level).
	ErrState = errors.New("service: action not allowed in the current state")

	// ErrConcurrent is returned when another request changed the application at the same time
	// (optimistic concurrency); retrying reads the new state.
	ErrConcurrent = errors.New("service: application changed concurrently")

	// ErrIdempotencyMismatch is returned when an Idempotency-Key is reused for a different
	// request.
	ErrIdempotencyMismatch = errors.New("service: idempotency key reused with a different request")

	// ErrResidentNotFound is returned when a valid ID number is not on the district's resident
	// roll (and no other platform knows the person). It wraps ErrNotFound, so callers that
	// only distinguish "not found" still see it as such.
	ErrResidentNotFound = fmt.Errorf("resident not on the district roll: %w", ErrNotFound)

	// ErrEvidenceUnavailable is returned when no evidence could be obtained for the applicant
	// (every platform failed and no cached value may be used).
	ErrEvidenceUnavailable = errors.New("service: evidence unavailable")

	// ErrRecordAltered is returned by Policy.Replay when a stored decision's input no longer
	// matches its digest: the record was changed after the decision.
	ErrRecordAltered = errors.New("service: decision record altered")
)

// DeniedError is returned when the access policy refuses the caller. The refusal has been
// audited when it is returned.
type DeniedError struct {
	Action string
	Reason Reason

	resource Resource
	subject  string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("service: %s denied: %s", e.Action, e.Reason.EN)
}

// InvalidError is returned for a request that is malformed; Field names the offending input.
type InvalidError struct {
	Field  string
	Detail string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("service: invalid %s: %s", e.Field, e.Detail)
}
