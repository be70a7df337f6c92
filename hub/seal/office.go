package seal

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/division"
)

// Office is an issuing office: a division that seals permits.
type Office struct {
	Code string `json:"code"` // "370114" (district) or a 12-digit town/village code
	Name string `json:"name"` // e.g. "章丘区明水街道办事处"
}

// ValidOfficeCode reports whether code is a 6-digit county code or a
// 12-digit statistical division code.
func ValidOfficeCode(code string) bool { return division.WellFormed(code) }

func checkOffice(code string) error {
	if !ValidOfficeCode(code) {
		return fmt.Errorf("%w: %q", ErrOffice, code)
	}
	return nil
}

// makeKid returns "<office>-<year>-<n>".
func makeKid(office string, at time.Time, n int) string {
	return fmt.Sprintf("%s-%d-%d", office, at.In(division.Zone).Year(), n)
}

// kidGeneration returns n of "<office>-<year>-<n>" when kid is of office
// in year, else 0.
func kidGeneration(kid, office string, year int) int {
	prefix := fmt.Sprintf("%s-%d-", office, year)
	if !strings.HasPrefix(kid, prefix) {
		return 0
	}
	n, err := strconv.Atoi(kid[len(prefix):])
	if err != nil {
		return 0
	}
	return n
}
