package evidence

import "errors"

// Sentinel errors of the Assembler.
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
)
