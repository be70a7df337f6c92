package division

import "errors"

// Sentinel errors. Validate wraps them with the offending code only when it
// is well formed (6 or 12 digits, never personal data); malformed input is
// not echoed.
var (
	// ErrMalformedCode is returned by Validate when a code is neither 6 nor
	// 12 ASCII digits.
	ErrMalformedCode = errors.New("division: malformed code")

	// ErrUnknownCode is returned by Validate when a well-formed code is not
	// a division of the district (another district, a former code such as
	// 370181, or an unused village number).
	ErrUnknownCode = errors.New("division: unknown code")

	// ErrUnknownLevel is returned by ParseLevel and Level.UnmarshalText for
	// a name other than "district", "town", "work_area" or "village".
	ErrUnknownLevel = errors.New("division: unknown level")
)
