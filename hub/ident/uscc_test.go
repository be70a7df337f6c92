package ident

import (
	"errors"
	"strings"
	"testing"
)

// publishedUSCCs are real codes of organisations as published on the web or
// in government integration code (issuers of e-licences among them); each
// carries a correct GB 32100 check character.
var publishedUSCCs = []string{
	"91350100M000100Y43", // the commonly cited example code
	"11100000000013338W", // a State Council body defining licence types
	"11100000000013661B",
	"113700000045030270", // Shandong provincial department of housing and construction
	"113700000045046442",
	"11370800MB28559184",
	"11430000006122244L",
	"11330105002500287C",
	"91610800064834709T",
}

func TestParseUSCCPublished(t *testing.T) {
	for _, code := range publishedUSCCs {
		t.Run(code, func(t *testing.T) {
			u, err := ParseUSCC(code)
			if err != nil {
				t.Fatalf("ParseUSCC: %v", err)
			}
			if !u.CheckValid {
				t.Errorf("CheckValid = false for a published code")
			}
			c, err := USCCCheckChar(code[:17])
			if err != nil || c != code[17] {
				t.Errorf("USCCCheckChar = %q, %v; want %q", c, err, code[17])
			}
		})
	}
}

func TestParseUSCC(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    USCC
		wantErr error
	}{
		{name: "enterprise_example", in: "91350100M000100Y43", want: USCC{
			Code: "91350100M000100Y43", Department: '9', Kind: '1', Region: "350100", OrgCode: "M000100Y4", CheckValid: true}},
		{name: "lowercase_normalised", in: "91350100m000100y43", want: USCC{
			Code: "91350100M000100Y43", Department: '9', Kind: '1', Region: "350100", OrgCode: "M000100Y4", CheckValid: true}},
		{name: "government_body", in: "11100000000013338W", want: USCC{
			Code: "11100000000013338W", Department: '1', Kind: '1', Region: "100000", OrgCode: "000013338", CheckValid: true}},
		{name: "bad_check_is_warning", in: "91350100M000100Y44", want: USCC{
			Code: "91350100M000100Y44", Department: '9', Kind: '1', Region: "350100", OrgCode: "M000100Y4", CheckValid: false}},
		{name: "empty", in: "", wantErr: ErrLength},
		{name: "seventeen", in: "91350100M000100Y4", wantErr: ErrLength},
		{name: "nineteen", in: "91350100M000100Y433", wantErr: ErrLength},
		{name: "letter_I", in: "91350100M0001I0Y43", wantErr: ErrCharset},
		{name: "letter_O", in: "91350100MO00100Y43", wantErr: ErrCharset},
		{name: "letter_Z", in: "91350100M000100Z43", wantErr: ErrCharset},
		{name: "letter_S", in: "S1350100M000100Y43", wantErr: ErrCharset},
		{name: "letter_V_check", in: "91350100M000100Y4V", wantErr: ErrCharset},
		{name: "hyphen", in: "91350100-000100Y43", wantErr: ErrCharset},
		{name: "region_with_letter", in: "9135A100M000100Y43", wantErr: ErrAddressCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUSCC(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseUSCC error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseUSCC = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestUSCCSingleSubstitution: the MOD 31 check detects every single symbol
// substitution (all weights are non-zero modulo the prime 31).
func TestUSCCSingleSubstitution(t *testing.T) {
	for _, code := range publishedUSCCs {
		for i := range len(code) {
			for j := range len(usccAlphabet) {
				c := usccAlphabet[j]
				if c == code[i] {
					continue
				}
				alt := code[:i] + string(c) + code[i+1:]
				u, err := ParseUSCC(alt)
				if i >= 2 && i < 8 && !isDigit(c) {
					if !errors.Is(err, ErrAddressCode) {
						t.Errorf("%s: letter in region: err = %v", alt, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", alt, err)
				}
				if u.CheckValid {
					t.Errorf("%s: one symbol changed, check still valid", alt)
				}
			}
		}
	}
}

func TestUSCCCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    byte
		wantErr error
	}{
		{name: "example", in: "91350100M000100Y4", want: '3'},
		{name: "lowercase", in: "91350100m000100y4", want: '3'},
		{name: "all_zero_gives_0", in: "00000000000000000", want: '0'},
		{name: "short", in: "9135", wantErr: ErrLength},
		{name: "bad_symbol", in: "91350100M000100O4", wantErr: ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := USCCCheckChar(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("USCCCheckChar error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("USCCCheckChar = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewUSCC(t *testing.T) {
	tests := []struct {
		name        string
		dept, kind  byte
		region, org string
		want        string
		wantErr     error
	}{
		{name: "example", dept: '9', kind: '1', region: "350100", org: "M000100Y4", want: "91350100M000100Y43"},
		{name: "lowercase", dept: '9', kind: '1', region: "350100", org: "m000100y4", want: "91350100M000100Y43"},
		{name: "zhangqiu_office", dept: '1', kind: '1', region: "370114", org: "00412345X", want: "1137011400412345X" + string(usccCheck("1137011400412345X"))},
		{name: "short_region", dept: '9', kind: '1', region: "37011", org: "M000100Y4", wantErr: ErrLength},
		{name: "long_org", dept: '9', kind: '1', region: "370114", org: "M000100Y45", wantErr: ErrLength},
		{name: "letter_region", dept: '9', kind: '1', region: "3701A4", org: "M000100Y4", wantErr: ErrAddressCode},
		{name: "bad_department", dept: 'I', kind: '1', region: "370114", org: "M000100Y4", wantErr: ErrCharset},
		{name: "nul_kind", dept: '9', kind: 0, region: "370114", org: "M000100Y4", wantErr: ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewUSCC(tt.dept, tt.kind, tt.region, tt.org)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewUSCC error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("NewUSCC = %q, want %q", got, tt.want)
			}
			if err == nil {
				u, err := ParseUSCC(got)
				if err != nil || !u.CheckValid || u.Region != tt.region || u.OrgCode != strings.ToUpper(tt.org) {
					t.Errorf("ParseUSCC(NewUSCC) = %+v, %v", u, err)
				}
			}
		})
	}
}
