package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// Bounds of the free text callers type, in characters.
const (
	maxPurpose = 500  // a lookup purpose
	maxComment = 2000 // a review comment
	maxReason  = 1000 // a revocation reason
	maxNote    = 500  // a note on a declined field
)

// textRule says how one free-text field is checked.
type textRule struct {
	field     string
	max       int  // characters
	required  bool // empty (after trimming) is refused
	multiline bool // line breaks and tabs allowed
}

// checkText trims s and validates it against rule: valid UTF-8, printable characters only
// (letters, marks, numbers, punctuation, symbols and spaces; no control or format characters,
// no private-use or unassigned code points), at most rule.max characters. It returns
// *InvalidError naming the field, without echoing the text.
func checkText(s string, rule textRule) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if rule.required {
			return "", &InvalidError{Field: rule.field, Detail: "required"}
		}
		return "", nil
	}
	if !utf8.ValidString(s) {
		return "", &InvalidError{Field: rule.field, Detail: "not valid UTF-8 text"}
	}
	n := 0
	for _, r := range s {
		n++
		if rule.multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) {
			return "", &InvalidError{Field: rule.field, Detail: fmt.Sprintf("character %d is not printable text (U+%04X)", n, r)}
		}
	}
	if n > rule.max {
		return "", &InvalidError{Field: rule.field, Detail: fmt.Sprintf("at most %d characters", rule.max)}
	}
	return s, nil
}

// redact masks ID numbers, phone numbers and the given names in free text before it is
// stored or shown: the one place the service applies ident.RedactText.
func redact(s string, names ...string) string { return ident.RedactText(s, names...) }

// applicantNames are the names free text about app's applicant is redacted with: the form's
// name field and the resident snapshot's (read through r, the caller's transaction or store).
func applicantNames(ctx context.Context, r store.Reader, app store.Application, v ApplicationView) []string {
	names := []string{v.Applicant.Name}
	if res, err := r.GetResident(ctx, app.ApplicantID); err == nil && res.Name != v.Applicant.Name {
		names = append(names, res.Name)
	}
	return names
}

// checkPurpose validates a lookup purpose (required, 1-500 printable characters on one line)
// and returns it trimmed and redacted; names (the people looked up, when known) are masked too.
func checkPurpose(purpose string, names ...string) (string, error) {
	p, err := checkText(purpose, textRule{field: "purpose", max: maxPurpose, required: true})
	if err != nil {
		if inv, ok := err.(*InvalidError); ok && inv.Detail == "required" {
			inv.Detail = "a purpose is required: every lookup of a person is purpose-bound"
		}
		return "", err
	}
	return redact(p, names...), nil
}

// maxAuditValue bounds a caller-supplied value kept in an audit entry, in characters.
const maxAuditValue = 64

// auditValue is a caller-supplied value (a filter, a code) as an audit entry keeps it:
// redacted, at most maxAuditValue characters (longer values end in "…"), invalid UTF-8 and
// control characters replaced.
func auditValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) {
			return '\uFFFD'
		}
		return r
	}, s)
	s = redact(s)
	if utf8.RuneCountInString(s) > maxAuditValue {
		s = string([]rune(s)[:maxAuditValue-1]) + "…"
	}
	return s
}

// checkIDCursor validates a paging cursor that is an application id (32 lower-case hex
// digits, as store.NewID makes them); "" is the first page.
func checkIDCursor(after string) error {
	if after == "" {
		return nil
	}
	if len(after) != 32 || strings.Trim(after, "0123456789abcdef") != "" {
		return &InvalidError{Field: "after", Detail: "not a cursor this list returned"}
	}
	return nil
}

// checkSeqCursor validates a paging cursor that is a record sequence number (a positive
// decimal integer); "" is the first page.
func checkSeqCursor(after string) error {
	if after == "" {
		return nil
	}
	if n, err := strconv.ParseInt(after, 10, 64); err != nil || n <= 0 || strings.Trim(after, "0123456789") != "" {
		return &InvalidError{Field: "after", Detail: "not a cursor this list returned"}
	}
	return nil
}
