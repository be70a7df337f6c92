package permitverify

import (
	"strconv"
	"strings"
)

// KidOffice returns the office code a kid names ("370114001000" for
// "370114001000-2026-1") and whether kid has the form "<office>-<year>-<n>", the office
// being a 6-digit county code or a 12-digit statistical division code.
func KidOffice(kid string) (string, bool) {
	parts := strings.Split(kid, "-")
	if len(parts) != 3 || !officeCode(parts[0]) {
		return "", false
	}
	if y, err := strconv.Atoi(parts[1]); err != nil || y < 2000 || y > 9999 || len(parts[1]) != 4 {
		return "", false
	}
	if n, err := strconv.Atoi(parts[2]); err != nil || n < 1 || strconv.Itoa(n) != parts[2] {
		return "", false
	}
	return parts[0], true
}

// officeCode reports whether code is 6 or 12 decimal digits.
func officeCode(code string) bool {
	if len(code) != 6 && len(code) != 12 {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
