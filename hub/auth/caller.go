package auth

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Audience is the "aud" every caller token must carry.
const Audience = "sanmian-hub"

// Roles a caller may have (DESIGN.md section 3).
const (
	RoleCounter    = "counter"    // village or work-area counter staff
	RoleReviewer   = "reviewer"   // work-area, town or district reviewer
	RoleDepartment = "department" // a third-party department app, limited to its scope
	RoleAuditor    = "auditor"    // reads decisions, audit and data-use records, masked
	RoleAdmin      = "admin"      // operates the hub
)

// Roles lists the valid roles.
var Roles = []string{RoleCounter, RoleReviewer, RoleDepartment, RoleAuditor, RoleAdmin}

// Caller is an authenticated caller, taken from a verified token. It is a
// plain value; the access policy decides what it may do.
type Caller struct {
	Subject      string   // "sub": the person or app, unique within Issuer
	Issuer       string   // "iss": the trusted issuer that signed the token
	Role         string   // one of Roles
	Jurisdiction string   // division code (6 or 12 digits); required for counter and reviewer
	Scope        []string // "scope": item codes or permissions, e.g. for a department app
	TokenID      string   // "jti", empty when the token has none
}

// Validate checks the caller claims: a subject of at most 256 bytes, a
// known role, a jurisdiction of 6 or 12 digits (required for counter and
// reviewer), at most 64 scope entries of 1-128 printable ASCII characters
// without spaces. Errors wrap ErrInvalidCaller and name the field only.
func (c Caller) Validate() error {
	if c.Subject == "" || len(c.Subject) > 256 {
		return fmt.Errorf("%w: sub must be 1-256 bytes", ErrInvalidCaller)
	}
	if !validRole(c.Role) {
		return fmt.Errorf("%w: unknown role", ErrInvalidCaller)
	}
	if c.Jurisdiction == "" {
		if c.Role == RoleCounter || c.Role == RoleReviewer {
			return fmt.Errorf("%w: role %s needs a jurisdiction", ErrInvalidCaller, c.Role)
		}
	} else if !ValidDivisionCode(c.Jurisdiction) {
		return fmt.Errorf("%w: jurisdiction must be a 6- or 12-digit division code", ErrInvalidCaller)
	}
	if len(c.Scope) > 64 {
		return fmt.Errorf("%w: more than 64 scope entries", ErrInvalidCaller)
	}
	for _, s := range c.Scope {
		if !validScopeToken(s) {
			return fmt.Errorf("%w: malformed scope entry", ErrInvalidCaller)
		}
	}
	return nil
}

func validRole(r string) bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// ValidDivisionCode reports whether s has the shape of a GB/T 2260 county
// code (6 digits) or a 12-digit statistical division code.
func ValidDivisionCode(s string) bool {
	if len(s) != 6 && len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validScopeToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// scopeClaim is the "scope" claim: written as one space-separated string
// (RFC 8693 section 4.2, RFC 9068), read from that or from a JSON array of
// strings, which some issuers emit.
type scopeClaim []string

func (s scopeClaim) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.Join(s, " "))
}

func (s *scopeClaim) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = strings.Fields(str)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%w: scope is neither a string nor an array of strings", ErrInvalidCaller)
	}
	*s = list
	return nil
}
