// Package wire holds the small strict parsers the platform connectors share: dates in the
// vendors' formats, Y/N flags, ID numbers and division codes. Every function either returns
// a valid value or an error; none returns a zero value in place of a fact. Errors name the
// problem, never the value (values may be personal data).
package wire

import (
	"errors"
	"fmt"
	"time"

	"sanmian/hub/ident"
)

// CompactDate converts "YYYYMMDD" to "YYYY-MM-DD", checking it is a real calendar date.
func CompactDate(s string) (string, error) {
	t, err := time.Parse("20060102", s)
	if err != nil || len(s) != 8 {
		return "", errors.New("not a YYYYMMDD date")
	}
	return t.Format(time.DateOnly), nil
}

// ISODate checks "YYYY-MM-DD" is a real calendar date and returns it.
func ISODate(s string) (string, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 {
		return "", errors.New("not a YYYY-MM-DD date")
	}
	return t.Format(time.DateOnly), nil
}

// OptionalISODate is ISODate for a nullable field: nil gives "".
func OptionalISODate(s *string) (string, error) {
	if s == nil {
		return "", nil
	}
	return ISODate(*s)
}

// YN parses the district platform's "Y"/"N" flags.
func YN(s string) (bool, error) {
	switch s {
	case "Y":
		return true, nil
	case "N":
		return false, nil
	}
	return false, errors.New(`not "Y" or "N"`)
}

// IDNumber checks an 18-character resident ID number (GB 11643-1999, check character
// included) and returns its canonical form.
func IDNumber(s string) (string, error) {
	n, err := ident.ParseIDNumber(s)
	if err != nil {
		return "", fmt.Errorf("invalid ID number: %w", errors.Unwrap(err))
	}
	return n.Number, nil
}

// DivisionCode checks a 12-digit statistical division code (village, town).
func DivisionCode(s string) (string, error) {
	if len(s) != 12 {
		return "", errors.New("division code is not 12 digits")
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return "", errors.New("division code is not 12 digits")
		}
	}
	return s, nil
}

// SexOf returns "M" or "F" from the sequence digit of a valid ID number.
func SexOf(id string) string {
	n, err := ident.ParseIDNumber(id)
	if err != nil {
		return ""
	}
	return n.Sex.String()
}

// BirthOf returns the birth date "YYYY-MM-DD" encoded in a valid ID number.
func BirthOf(id string) string {
	n, err := ident.ParseIDNumber(id)
	if err != nil {
		return ""
	}
	return n.Birth.Format(time.DateOnly)
}

// Mask returns the masked ID number used in provenance records and errors.
func Mask(id string) string { return ident.MaskIDNumber(id) }
