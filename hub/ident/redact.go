package ident

import (
	"strings"
	"unicode/utf8"
)

// RedactText returns free text (a lookup purpose, a review comment, a revocation reason, a
// note, a refused filter value) fit to be stored and shown to any reader, auditors included:
//
//   - every run of 15 or more digits is masked: an 18-character ID number (17 digits and a
//     digit or X) written contiguously in ASCII shows as MaskIDNumber does
//     ("370114********123X"); any other long run (a 15-digit first-generation ID number, an ID
//     number written with spaces or hyphens or in full-width digits, a bank card number) has
//     every digit and check character replaced by '*';
//   - a mainland mobile number (11 digits 1[3-9]..., optionally after 86) keeps its first
//     three and last four digits ("138****8000"); a landline with its area code (10-12
//     digits starting with 0) keeps its first three and last two;
//   - every occurrence of one of names (of two or more runes) keeps its first rune only
//     ("张**").
//
// A run of digits may contain single separators (space, hyphen, dot, full-width space or
// hyphen) between digits and is recognised wherever it stands, also inside other text
// ("身份证370114...的"). A hub identifier (32 or 64 lower-case hex digits standing alone) is
// kept whole, even where it happens to hold a long run of decimal digits. Separators and all other text are kept, so the result has as many
// runes as s (an invalid UTF-8 byte counts as one rune and comes out as U+FFFD). RedactText is
// idempotent and safe for concurrent use.
func RedactText(s string, names ...string) string {
	if !needsRedaction(s, names) {
		return s
	}
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if end, ok := hexIdentifier(rs, i); ok {
			i = end
			continue
		}
		if _, ok := digitValue(rs[i]); !ok {
			i++
			continue
		}
		i = redactNumber(rs, i)
	}
	out := string(rs)
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) < 2 || !strings.Contains(out, n) {
			continue
		}
		first, size := utf8.DecodeRuneInString(n)
		out = strings.ReplaceAll(out, n, string(first)+strings.Repeat("*", utf8.RuneCountInString(n[size:])))
	}
	return out
}

// hexIdentifier reports whether a hub identifier starts at rs[i]: a token of exactly 32 or 64
// lower-case hex digits (an application, permit or decision id, a subject digest) standing
// alone, neither preceded nor followed by a letter or digit. Such a token is kept as it is: a
// run of decimal digits inside it is part of a random id, not a number to mask. It returns
// the index after the token.
func hexIdentifier(rs []rune, i int) (int, bool) {
	if i > 0 && isAlnum(rs[i-1]) {
		return 0, false
	}
	end := i
	for end < len(rs) && (rs[end] >= '0' && rs[end] <= '9' || rs[end] >= 'a' && rs[end] <= 'f') {
		end++
	}
	if n := end - i; n != 32 && n != 64 {
		return 0, false
	}
	if end < len(rs) && isAlnum(rs[end]) {
		return 0, false
	}
	return end, true
}

func isAlnum(r rune) bool {
	_, digit := digitValue(r)
	return digit || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// needsRedaction reports cheaply whether s may hold anything RedactText masks: ten or more
// digits, or one of names.
func needsRedaction(s string, names []string) bool {
	digits := 0
	for _, r := range s {
		if _, ok := digitValue(r); ok {
			digits++
		}
	}
	if digits >= 10 {
		return true
	}
	for _, n := range names {
		if n = strings.TrimSpace(n); utf8.RuneCountInString(n) >= 2 && strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// redactNumber masks the run of digits starting at rs[start] (a digit) in place, as
// RedactText describes, and returns the index after the run.
func redactNumber(rs []rune, start int) int {
	var pos []int // indexes of the digits (and a final check character) in rs
	end := start
	for end < len(rs) {
		if _, ok := digitValue(rs[end]); ok {
			pos = append(pos, end)
			end++
			continue
		}
		if isCheckX(rs[end]) && len(pos) == 17 && pos[len(pos)-1] == end-1 {
			pos = append(pos, end)
			end++
			break
		}
		// One separator between two digits belongs to the run.
		if isNumberSeparator(rs[end]) && end+1 < len(rs) && pos[len(pos)-1] == end-1 {
			if _, ok := digitValue(rs[end+1]); ok {
				end++
				continue
			}
		}
		break
	}
	n := len(pos)
	star := func(from, to int) { // mask pos[from:to]
		for _, p := range pos[from:to] {
			rs[p] = '*'
		}
	}
	switch {
	case n == 18 && end-start == 18 && asciiRun(rs[start:end]):
		copy(rs[start:end], []rune(MaskIDNumber(string(rs[start:end]))))
	case n >= 15:
		star(0, n)
	case n == 11 && isMobile(rs, pos):
		star(3, 7)
	case n == 13 && digitIs(rs[pos[0]], 8) && digitIs(rs[pos[1]], 6) && isMobile(rs, pos[2:]):
		star(5, 9)
	case n >= 10 && n <= 12 && digitIs(rs[pos[0]], 0):
		star(3, n-2)
	}
	return end
}

// isMobile reports whether the 11 digits at pos start with 1 and a second digit 3-9.
func isMobile(rs []rune, pos []int) bool {
	second, _ := digitValue(rs[pos[1]])
	return digitIs(rs[pos[0]], 1) && second >= 3
}

func digitIs(r rune, d int) bool {
	v, ok := digitValue(r)
	return ok && v == d
}

// digitValue returns the value of an ASCII or full-width decimal digit.
func digitValue(r rune) (int, bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), true
	case r >= '０' && r <= '９':
		return int(r - '０'), true
	}
	return 0, false
}

func isCheckX(r rune) bool { return r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ' }

func isNumberSeparator(r rune) bool {
	switch r {
	case ' ', '-', '.', '\u00a0', '\u3000', '－', '\t':
		return true
	}
	return false
}

func asciiRun(rs []rune) bool {
	for _, r := range rs {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
