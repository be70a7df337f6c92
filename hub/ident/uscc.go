package ident

import (
	"fmt"
	"strings"
)

// USCC is a parsed unified social credit code (统一社会信用代码, GB 32100-2015)
// of an organisation, such as a licence issuer.
//
// Code is the 18-character canonical (uppercase) form. Department is the
// registration department code (position 1: '1' establishment, '5' civil
// affairs, '9' market regulation, ...), Kind the organisation type within
// that department (position 2: after '9', '1' enterprise, '2' individual
// business, '3' farmers' cooperative), Region the 6-digit administrative
// division code of the registering authority (positions 3-8), OrgCode the
// 9-character organisation code (positions 9-17). CheckValid reports whether
// position 18 matches the GB 32100 check character; some early pilot codes
// still in use do not, so a mismatch is a warning, not an error.
type USCC struct {
	Code       string
	Department byte
	Kind       byte
	Region     string
	OrgCode    string
	CheckValid bool
}

// usccLen is the length of a unified social credit code.
const usccLen = 18

// usccAlphabet lists the 31 USCC symbols in value order: 0-9 then A-Z
// without I, O, Z, S and V.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps an uppercase byte to its symbol value, or -1.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(usccAlphabet) {
		t[usccAlphabet[i]] = int8(i)
	}
	return t
}()

// ParseUSCC parses an 18-character unified social credit code. Lowercase
// letters are accepted and normalised to uppercase. It returns an error only
// for structural problems: the length (ErrLength), a character outside the
// 31-symbol alphabet (ErrCharset) or a region part that is not 6 digits
// (ErrAddressCode). A check character that does not match gives
// CheckValid == false and a nil error.
func ParseUSCC(s string) (USCC, error) {
	if len(s) != usccLen {
		return USCC{}, fmt.Errorf("ident: uscc: %d bytes, want %d: %w", len(s), usccLen, ErrLength)
	}
	s = strings.ToUpper(s)
	if err := checkUSCCChars("ident: uscc", s); err != nil {
		return USCC{}, err
	}
	if err := checkRegion("ident: uscc", s[2:8]); err != nil {
		return USCC{}, err
	}
	return USCC{
		Code:       s,
		Department: s[0],
		Kind:       s[1],
		Region:     s[2:8],
		OrgCode:    s[8:17],
		CheckValid: usccCheck(s[:17]) == s[17],
	}, nil
}

// USCCCheckChar returns the GB 32100 check character for the first 17
// characters of a USCC (uppercase or lowercase symbols of the 31-character
// alphabet; ErrLength, ErrCharset otherwise). The result is always uppercase.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != usccLen-1 {
		return 0, fmt.Errorf("ident: uscc check: %d bytes, want %d: %w", len(first17), usccLen-1, ErrLength)
	}
	first17 = strings.ToUpper(first17)
	if err := checkUSCCChars("ident: uscc check", first17); err != nil {
		return 0, err
	}
	return usccCheck(first17), nil
}

// NewUSCC builds a USCC with a valid check character from its parts: the
// department and kind symbols, a 6-digit region code and a 9-character
// organisation code. Lowercase letters are accepted and normalised.
// ParseUSCC accepts every code it returns, with CheckValid true.
func NewUSCC(department, kind byte, region, orgCode string) (string, error) {
	if len(region) != 6 {
		return "", fmt.Errorf("ident: new uscc: region: %w", ErrLength)
	}
	if len(orgCode) != 9 {
		return "", fmt.Errorf("ident: new uscc: organisation code: %w", ErrLength)
	}
	first17 := strings.ToUpper(string([]byte{department, kind}) + region + orgCode)
	if err := checkUSCCChars("ident: new uscc", first17); err != nil {
		return "", err
	}
	if err := checkRegion("ident: new uscc", first17[2:8]); err != nil {
		return "", err
	}
	return first17 + string(usccCheck(first17)), nil
}

// checkUSCCChars reports the first byte of s outside the USCC alphabet.
func checkUSCCChars(ctx, s string) error {
	for i := range len(s) {
		if usccValue[s[i]] < 0 {
			return fmt.Errorf("%s: position %d: %w", ctx, i+1, ErrCharset)
		}
	}
	return nil
}

// checkRegion requires the region part to be 6 digits.
func checkRegion(ctx, region string) error {
	for i := range len(region) {
		if !isDigit(region[i]) {
			return fmt.Errorf("%s: region: %w", ctx, ErrAddressCode)
		}
	}
	return nil
}

// usccCheck computes the check character of 17 validated uppercase symbols.
func usccCheck(first17 string) byte {
	sum := 0
	for i, w := range usccWeights {
		sum += int(usccValue[first17[i]]) * w
	}
	return usccAlphabet[(31-sum%31)%31]
}
