package ident

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"sanmian/hub/division"
)

// Sex is the sex encoded in an ID number's sequence: SexMale ('M') for an odd
// sequence, SexFemale ('F') for an even one.
type Sex byte

// Sex values.
const (
	SexMale   Sex = 'M'
	SexFemale Sex = 'F'
)

// String returns "M" or "F", or "?" for any other value.
func (s Sex) String() string {
	switch s {
	case SexMale, SexFemale:
		return string(rune(s))
	}
	return "?"
}

// IDNumber is a parsed resident ID number (公民身份号码, GB 11643-1999).
//
// Number is the 18-character canonical form (a lowercase check character x
// is normalised to X). Address is the 6-digit address code of the place of
// first registration (not necessarily the current residence: people born in
// Zhangqiu before 2016 carry 370181). Birth is the birth date at UTC
// midnight. Sequence is the 3-digit order code 0..999, whose parity gives
// Sex.
type IDNumber struct {
	Number   string
	Address  string
	Birth    time.Time
	Sequence int
	Sex      Sex
}

// String returns the masked number, so that an IDNumber printed by accident
// (%v, a log line) does not leak it. Use the Number field for the full value.
func (n IDNumber) String() string { return MaskIDNumber(n.Number) }

// idLen is the length of a second-generation ID number.
const idLen = 18

// idWeights are the MOD 11-2 weights 2^(18-i) mod 11 for positions 1..17.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// provinceCodes are the GB/T 2260 province-level prefixes that appear in ID
// number address codes.
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// now is the clock used to judge "not after today"; tests replace it.
var now = time.Now

// minBirth is the earliest birth date accepted.
var minBirth = time.Date(1880, time.January, 1, 0, 0, 0, 0, time.UTC)

// ParseIDNumber parses and validates an 18-character resident ID number. It
// checks, in order: the length (ErrLength), the characters (17 digits then a
// digit or X/x, ErrCharset), the check character (ErrChecksum), the address
// code's province prefix (ErrAddressCode) and the birth date, which must be a
// real calendar date between 1880-01-01 and today in China Standard Time
// (ErrBirthDate). Surrounding spaces are not trimmed. The error never
// contains the number.
func ParseIDNumber(s string) (IDNumber, error) {
	if len(s) != idLen {
		return IDNumber{}, fmt.Errorf("ident: id number: %d bytes, want %d: %w", len(s), idLen, ErrLength)
	}
	for i := range idLen - 1 {
		if !isDigit(s[i]) {
			return IDNumber{}, fmt.Errorf("ident: id number: position %d: %w", i+1, ErrCharset)
		}
	}
	last := s[idLen-1]
	if last == 'x' {
		last = 'X'
		s = s[:idLen-1] + "X"
	}
	if !isDigit(last) && last != 'X' {
		return IDNumber{}, fmt.Errorf("ident: id number: position %d: %w", idLen, ErrCharset)
	}
	if want := idCheck(s[:idLen-1]); want != last {
		return IDNumber{}, fmt.Errorf("ident: id number: %w", ErrChecksum)
	}
	if !provinceCodes[s[:2]] {
		return IDNumber{}, fmt.Errorf("ident: id number: province prefix: %w", ErrAddressCode)
	}
	birth, err := parseBirth(s[6:14])
	if err != nil {
		return IDNumber{}, err
	}
	seq := atoi(s[14:17])
	sex := SexFemale
	if seq%2 == 1 {
		sex = SexMale
	}
	return IDNumber{Number: s, Address: s[:6], Birth: birth, Sequence: seq, Sex: sex}, nil
}

// ValidIDNumber reports whether ParseIDNumber accepts s.
func ValidIDNumber(s string) bool {
	_, err := ParseIDNumber(s)
	return err == nil
}

// IDCheckChar returns the ISO 7064 MOD 11-2 check character ('0'-'9' or 'X')
// for the first 17 characters of an ID number, which must be 17 digits
// (ErrLength, ErrCharset otherwise).
func IDCheckChar(first17 string) (byte, error) {
	if len(first17) != idLen-1 {
		return 0, fmt.Errorf("ident: id number check: %d bytes, want %d: %w", len(first17), idLen-1, ErrLength)
	}
	for i := range idLen - 1 {
		if !isDigit(first17[i]) {
			return 0, fmt.Errorf("ident: id number check: position %d: %w", i+1, ErrCharset)
		}
	}
	return idCheck(first17), nil
}

// idCheck computes the check character of 17 digits already validated.
func idCheck(first17 string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(first17[i]-'0') * w
	}
	return idCheckChars[sum%11]
}

// NewIDNumber builds a valid ID number from a 6-digit address code with a real
// province prefix, a birth date (its calendar date in birth's own location is
// used; it must lie between 1880-01-01 and today in China Standard Time) and a
// sequence 0..999 (odd for a man, even for a woman). It returns the same
// errors as ParseIDNumber plus ErrSequence. ParseIDNumber accepts every
// number it returns.
func NewIDNumber(address string, birth time.Time, seq int) (string, error) {
	if len(address) != 6 {
		return "", fmt.Errorf("ident: new id number: address code: %w", ErrLength)
	}
	for i := range len(address) {
		if !isDigit(address[i]) {
			return "", fmt.Errorf("ident: new id number: address code position %d: %w", i+1, ErrCharset)
		}
	}
	if !provinceCodes[address[:2]] {
		return "", fmt.Errorf("ident: new id number: province prefix: %w", ErrAddressCode)
	}
	if seq < 0 || seq > 999 {
		return "", fmt.Errorf("ident: new id number: sequence %d: %w", seq, ErrSequence)
	}
	y, m, d := birth.Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if err := checkBirthRange(date); err != nil {
		return "", err
	}
	first17 := fmt.Sprintf("%s%04d%02d%02d%03d", address, y, int(m), d, seq)
	return first17 + string(idCheck(first17)), nil
}

// parseBirth parses 8 digits YYYYMMDD as a real calendar date in range.
func parseBirth(s string) (time.Time, error) {
	y, m, d := atoi(s[:4]), atoi(s[4:6]), atoi(s[6:8])
	date := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || date.Day() != d || date.Month() != time.Month(m) {
		return time.Time{}, fmt.Errorf("ident: id number: not a calendar date: %w", ErrBirthDate)
	}
	return date, checkBirthRange(date)
}

// checkBirthRange rejects dates before minBirth or after today in China.
func checkBirthRange(date time.Time) error {
	if date.Before(minBirth) {
		return fmt.Errorf("ident: id number: before 1880: %w", ErrBirthDate)
	}
	ty, tm, td := now().In(division.Zone).Date()
	if date.After(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)) {
		return fmt.Errorf("ident: id number: in the future: %w", ErrBirthDate)
	}
	return nil
}

// MaskIDNumber returns s fit for display: for an 18-character ID-number-like
// string (17 ASCII digits and a digit or X/x) the first 6 and last 4
// characters with eight '*' between them ("370114********123X"); for anything
// else a string of '*' with the same number of runes (invalid UTF-8 bytes
// count one each), so that nothing of a malformed value leaks. It does not
// validate the check character or the date.
func MaskIDNumber(s string) string {
	if looksLikeIDNumber(s) {
		tail := s[idLen-4:]
		if tail[3] == 'x' {
			tail = tail[:3] + "X"
		}
		return s[:6] + "********" + tail
	}
	return strings.Repeat("*", utf8.RuneCountInString(s))
}

// looksLikeIDNumber reports whether s has the character shape of an ID number.
func looksLikeIDNumber(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := range idLen - 1 {
		if !isDigit(s[i]) {
			return false
		}
	}
	c := s[idLen-1]
	return isDigit(c) || c == 'X' || c == 'x'
}

// AgeOn returns the age in full years on the date on of a person born on the
// date birth, comparing calendar dates as each time's own location reports
// them (pass both in the same zone, typically China Standard Time or the
// UTC-midnight dates from IDNumber.Birth). A person born on 29 February turns
// a year older on 1 March in non-leap years. It returns 0 when on is before
// birth.
func AgeOn(birth, on time.Time) int {
	by, bm, bd := birth.Date()
	oy, om, od := on.Date()
	age := oy - by
	if om < bm || (om == bm && od < bd) {
		age--
	}
	return max(age, 0)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoi converts a string of ASCII digits already validated.
func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
