package evidence

import (
	"errors"
	"fmt"
)

// Failure kinds of evidence gathering. The assembler (hub/evidence/assembly) returns the first
// three; the connectors map their own errors onto ErrNotFound and SourceError, so that callers
// above (the hub service) classify failures without knowing any connector.
var (
	// ErrInvalidIDNumber is returned by Assemble when the ID number fails validation
	// (length, characters, check character, birth date); no platform is contacted.
	ErrInvalidIDNumber = errors.New("evidence: invalid ID number")

	// ErrUnknownResident is returned by Assemble when every platform that answered says it
	// holds nothing about the resident (and none failed).
	ErrUnknownResident = errors.New("evidence: resident unknown to every platform")

	// ErrNoEvidence is returned by Assemble, joined with the platforms' errors, when no
	// platform could provide anything about the applicant (all failed, no stale values
	// allowed or cached). The returned Bundle still lists what is Missing.
	ErrNoEvidence = errors.New("evidence: no platform could provide evidence")

	// ErrNotFound matches (errors.Is) a source's answer that it holds no record for the
	// person or household asked about: an answer, not a failure of the platform. A
	// DistrictSource returns it for an unknown resident or household.
	ErrNotFound = errors.New("evidence: no such record")
)

// SourceError is one platform's failure to give evidence. Connector errors match it through
// errors.As, which fills Platform; Err is the source's own error (endpoint, kind, HTTP status,
// attempts), for logs only: its text may carry internal detail.
type SourceError struct {
	// Platform names the failing source: "province", "city" or "district" (a Platform), or
	// "hub" when the hub itself gave up (the caller's context ended).
	Platform string
	Err      error
}

// Error formats as "evidence: <platform>: <cause>".
func (e *SourceError) Error() string { return fmt.Sprintf("evidence: %s: %v", e.Platform, e.Err) }

// Unwrap returns the source's error.
func (e *SourceError) Unwrap() error { return e.Err }
