package ident

import (
	"fmt"
	"strings"
)

// LicencePrefix is the object identifier arc that starts every e-licence
// identifier (GB/T 36904-2018), dot included.
const LicencePrefix = "1.2.156.3005.2."

// maxLicencePart bounds each part of a licence identifier; real type codes
// are about 21 characters, issuer codes 18 and numbers at most about 32.
const maxLicencePart = 64

// LicenceID is a parsed e-licence identifier (电子证照标识, GB/T 36904-2018):
//
//	1.2.156.3005.2.<type code>.<issuer code>.<number>.<version>.<check>
//
// TypeCode is the licence type code (typically the defining authority's USCC
// followed by a 3-digit serial, e.g. 11100000000013338W050), IssuerCode the
// issuing authority's code (normally its 18-character USCC, sometimes a
// division code), Number the licence number and Version its version
// ("001"). Check is the ISO/IEC 7064 MOD 37,36 check character over the four
// parts concatenated.
//
// This package accepts only 0-9 and A-Z in TypeCode, IssuerCode and Number
// (1 to 64 characters each) and only digits in Version (1 to 64): licence
// numbers containing '-', '_' or Chinese characters must be mapped by the
// issuing system before an identifier is formed, as GB/T 36904 requires.
// Lowercase letters are accepted on input and normalised to uppercase.
type LicenceID struct {
	TypeCode, IssuerCode, Number, Version string
	Check                                 byte
}

// String returns the identifier in canonical dotted form. For a LicenceID
// returned by ParseLicenceID it is the (uppercased) input.
func (l LicenceID) String() string {
	return LicencePrefix + l.TypeCode + "." + l.IssuerCode + "." + l.Number + "." + l.Version + "." + string(l.Check)
}

// ParseLicenceID parses and validates an e-licence identifier. Errors:
// ErrFormat for a missing prefix or a wrong number of parts, ErrLength for
// an empty or over-long part, ErrCharset for a character outside a part's
// alphabet, ErrChecksum when the check character does not match.
func ParseLicenceID(s string) (LicenceID, error) {
	rest, ok := strings.CutPrefix(s, LicencePrefix)
	if !ok {
		return LicenceID{}, fmt.Errorf("ident: licence id: prefix is not %s: %w", LicencePrefix, ErrFormat)
	}
	parts := strings.Split(strings.ToUpper(rest), ".")
	if len(parts) != 5 {
		return LicenceID{}, fmt.Errorf("ident: licence id: %d parts after the prefix, want 5: %w", len(parts), ErrFormat)
	}
	l := LicenceID{TypeCode: parts[0], IssuerCode: parts[1], Number: parts[2], Version: parts[3]}
	if err := l.checkParts("ident: licence id"); err != nil {
		return LicenceID{}, err
	}
	if len(parts[4]) != 1 || mod3736Value(parts[4][0]) < 0 {
		return LicenceID{}, fmt.Errorf("ident: licence id: check part: %w", ErrCharset)
	}
	l.Check = parts[4][0]
	if want := mod3736(l.payload()); want != l.Check {
		return LicenceID{}, fmt.Errorf("ident: licence id: %w", ErrChecksum)
	}
	return l, nil
}

// NewLicenceID builds an identifier with its check character from the four
// parts (same rules as ParseLicenceID; lowercase normalised). ParseLicenceID
// accepts every identifier it returns.
func NewLicenceID(typeCode, issuerCode, number, version string) (string, error) {
	l := LicenceID{
		TypeCode:   strings.ToUpper(typeCode),
		IssuerCode: strings.ToUpper(issuerCode),
		Number:     strings.ToUpper(number),
		Version:    version,
	}
	if err := l.checkParts("ident: new licence id"); err != nil {
		return "", err
	}
	l.Check = mod3736(l.payload())
	return l.String(), nil
}

// LicenceCheckChar returns the ISO/IEC 7064 MOD 37,36 check character ('0'-'9'
// or 'A'-'Z') for payload, the four middle parts of a licence identifier
// concatenated without dots. Lowercase letters are uppercased; any other
// character gives ErrCharset, an empty payload ErrLength.
func LicenceCheckChar(payload string) (byte, error) {
	if payload == "" {
		return 0, fmt.Errorf("ident: licence check: empty payload: %w", ErrLength)
	}
	payload = strings.ToUpper(payload)
	for i := range len(payload) {
		if mod3736Value(payload[i]) < 0 {
			return 0, fmt.Errorf("ident: licence check: position %d: %w", i+1, ErrCharset)
		}
	}
	return mod3736(payload), nil
}

// payload is the string the check character is computed over.
func (l LicenceID) payload() string {
	return l.TypeCode + l.IssuerCode + l.Number + l.Version
}

// checkParts validates the four middle parts (already uppercased).
func (l LicenceID) checkParts(ctx string) error {
	for _, p := range []struct {
		name, value string
		digitsOnly  bool
	}{
		{"type code", l.TypeCode, false},
		{"issuer code", l.IssuerCode, false},
		{"number", l.Number, false},
		{"version", l.Version, true},
	} {
		if p.value == "" || len(p.value) > maxLicencePart {
			return fmt.Errorf("%s: %s: %d bytes, want 1 to %d: %w", ctx, p.name, len(p.value), maxLicencePart, ErrLength)
		}
		for i := range len(p.value) {
			c := p.value[i]
			if mod3736Value(c) < 0 || (p.digitsOnly && !isDigit(c)) {
				return fmt.Errorf("%s: %s: position %d: %w", ctx, p.name, i+1, ErrCharset)
			}
		}
	}
	return nil
}

// mod3736Alphabet lists the 36 symbols of ISO/IEC 7064 MOD 37,36 in value order.
const mod3736Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// mod3736Value returns the value 0..35 of an uppercase symbol, or -1.
func mod3736Value(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// mod3736 computes the ISO/IEC 7064 hybrid MOD 37,36 check character of a
// validated uppercase payload.
func mod3736(payload string) byte {
	const m = 36
	p := m
	for i := range len(payload) {
		s := (p + mod3736Value(payload[i])) % m
		if s == 0 {
			s = m
		}
		p = (s * 2) % (m + 1)
	}
	return mod3736Alphabet[(m+1-p)%m]
}
