package ident

import "errors"

// Sentinel errors. Functions in this package wrap them with context naming
// the identifier kind and, where useful, the 1-based character position, for
// example "ident: id number: position 7: invalid character". The value that
// failed is never part of the message.
var (
	// ErrLength is returned when an identifier, or one part of it, has the
	// wrong number of characters (an ID number or USCC that is not 18
	// characters, a first17 argument that is not 17, an empty or over-long
	// licence identifier part).
	ErrLength = errors.New("wrong length")

	// ErrCharset is returned when a character lies outside the alphabet
	// allowed at its position: a non-digit in the first 17 characters of an
	// ID number, I O Z S V or punctuation in a USCC, anything but 0-9 A-Z
	// in a licence identifier part, a non-digit licence version.
	ErrCharset = errors.New("invalid character")

	// ErrChecksum is returned when the check character does not match the
	// rest of an ID number (ISO 7064 MOD 11-2) or of a licence identifier
	// (ISO/IEC 7064 MOD 37,36). A USCC with a bad check character is not an
	// error: ParseUSCC reports it in USCC.CheckValid.
	ErrChecksum = errors.New("check character mismatch")

	// ErrAddressCode is returned when the 6-digit address code of an ID
	// number does not start with a real province-level code (11-15, 21-23,
	// 31-37, 41-46, 50-54, 61-65, 71, 81, 82), or when the administrative
	// division part of a USCC is not 6 digits.
	ErrAddressCode = errors.New("implausible address code")

	// ErrBirthDate is returned when the birth date of an ID number is not a
	// real calendar date, lies after today (China Standard Time) or before
	// 1880-01-01.
	ErrBirthDate = errors.New("invalid birth date")

	// ErrSequence is returned by NewIDNumber when the sequence number is
	// outside 0..999.
	ErrSequence = errors.New("sequence out of range")

	// ErrFormat is returned when a licence identifier does not have the
	// shape 1.2.156.3005.2.<type>.<issuer>.<number>.<version>.<check>: a
	// wrong prefix or the wrong number of dot-separated parts.
	ErrFormat = errors.New("malformed identifier")
)
