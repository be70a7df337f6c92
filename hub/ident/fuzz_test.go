package ident

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseIDNumber(f *testing.F) {
	fixClock(f)
	for _, s := range []string{
		published, strings.ToLower(published), "110105194912310020", "",
		withCheck("37011419560301123"), withCheck("37018119400229000"), withCheck("37011419570229123"),
		withCheck("37011420261127001"), "370181400229001", "ABCDEFGHIJKLMNOPQR", "11010519491231002\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseIDNumber(s)
		if err != nil {
			if id != (IDNumber{}) {
				t.Fatalf("non-zero IDNumber with error %v", err)
			}
			if len(s) >= 6 && strings.Contains(err.Error(), s) {
				t.Fatalf("error contains the input")
			}
			// A 17-digit body with the right check character appended
			// either parses or fails only on address or date.
			if len(s) >= 17 {
				if c, err := IDCheckChar(s[:17]); err == nil {
					fixed := s[:17] + string(c)
					if _, err := ParseIDNumber(fixed); err != nil && !(errors.Is(err, ErrAddressCode) || errors.Is(err, ErrBirthDate)) {
						t.Fatalf("number with computed check char: %v", err)
					}
				}
			}
			return
		}
		if len(id.Number) != 18 || id.Number != strings.ToUpper(s) {
			t.Fatalf("Number %q not the normalised input", MaskIDNumber(id.Number))
		}
		c, err := IDCheckChar(s[:17])
		if err != nil || c != id.Number[17] {
			t.Fatalf("IDCheckChar = %q, %v; number has %q", c, err, id.Number[17])
		}
		if id.Birth.Location() != time.UTC || id.Birth.Hour() != 0 {
			t.Fatalf("Birth not UTC midnight: %v", id.Birth)
		}
		if (id.Sex == SexMale) != (id.Sequence%2 == 1) {
			t.Fatalf("sex %v for sequence %d", id.Sex, id.Sequence)
		}
		again, err := NewIDNumber(id.Address, id.Birth, id.Sequence)
		if err != nil || again != id.Number {
			t.Fatalf("NewIDNumber round trip = %q, %v", MaskIDNumber(again), err)
		}
		if !ValidIDNumber(s) {
			t.Fatalf("ValidIDNumber disagrees with ParseIDNumber")
		}
	})
}

func FuzzParseUSCC(f *testing.F) {
	for _, s := range publishedUSCCs {
		f.Add(s)
	}
	for _, s := range []string{"", "91350100m000100y43", "91350100M000100Y44", "91350100M0001I0Y43", "9135A100M000100Y43", "913501００M000100Y4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUSCC(s)
		if err != nil {
			if u != (USCC{}) {
				t.Fatalf("non-zero USCC with error %v", err)
			}
			return
		}
		if u.Code != strings.ToUpper(s) {
			t.Fatalf("Code %q is not the uppercased input %q", u.Code, s)
		}
		if string([]byte{u.Department, u.Kind})+u.Region+u.OrgCode+u.Code[17:] != u.Code {
			t.Fatalf("parts do not reassemble: %+v", u)
		}
		c, err := USCCCheckChar(u.Code[:17])
		if err != nil {
			t.Fatalf("USCCCheckChar on a parsed code: %v", err)
		}
		if u.CheckValid != (c == u.Code[17]) {
			t.Fatalf("CheckValid = %v, check char %q vs %q", u.CheckValid, c, u.Code[17])
		}
		built, err := NewUSCC(u.Department, u.Kind, u.Region, u.OrgCode)
		if err != nil || built[:17] != u.Code[:17] || built[17] != c {
			t.Fatalf("NewUSCC = %q, %v", built, err)
		}
	})
}

func FuzzParseLicenceID(f *testing.F) {
	for _, s := range publishedLicenceIDs {
		f.Add(s)
	}
	for _, s := range []string{
		"", LicencePrefix, LicencePrefix + "a.b.c.1.0", LicencePrefix + "....", LicencePrefix + "T.I.N-1.001.0",
		LicencePrefix + "062301.1101101102.0624_001.001.U", "1.2.156.3005.2", LicencePrefix + "T.I.N.1.\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLicenceID(s)
		if err != nil {
			if l != (LicenceID{}) {
				t.Fatalf("non-zero LicenceID with error %v", err)
			}
			return
		}
		if got := l.String(); got != LicencePrefix+strings.ToUpper(s[len(LicencePrefix):]) {
			t.Fatalf("String() = %q, input %q", got, s)
		}
		c, err := LicenceCheckChar(l.TypeCode + l.IssuerCode + l.Number + l.Version)
		if err != nil || c != l.Check {
			t.Fatalf("LicenceCheckChar = %q, %v; identifier has %q", c, err, l.Check)
		}
		built, err := NewLicenceID(l.TypeCode, l.IssuerCode, l.Number, l.Version)
		if err != nil || built != l.String() {
			t.Fatalf("NewLicenceID = %q, %v", built, err)
		}
		again, err := ParseLicenceID(built)
		if err != nil || again != l {
			t.Fatalf("reparse = %+v, %v", again, err)
		}
	})
}

func FuzzMaskIDNumber(f *testing.F) {
	for _, s := range []string{
		published, strings.ToLower(published), "", "张三", strings.Repeat("张", 18), "\xff\xfe",
		"370181400229001", published + "1", " " + published, "ABCDEFGHIJKLMNOPQR",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskIDNumber(s)
		if utf8.RuneCountInString(m) != utf8.RuneCountInString(s) {
			t.Fatalf("rune length %d, input %d", utf8.RuneCountInString(m), utf8.RuneCountInString(s))
		}
		shown := 0
		for i := range len(m) {
			if m[i] != '*' {
				shown++
			}
		}
		if shown == 0 {
			return
		}
		// Something is shown: only the first 6 and last 4 characters of an
		// 18-character number, nothing in between.
		if shown > 10 || len(m) != 18 || len(s) != 18 {
			t.Fatalf("mask %q shows %d characters of a %d-byte input", m, shown, len(s))
		}
		if m[6:14] != "********" || m[:6] != s[:6] || m[14:] != strings.ToUpper(s[14:]) {
			t.Fatalf("mask %q does not keep exactly the first 6 and last 4", m)
		}
	})
}
