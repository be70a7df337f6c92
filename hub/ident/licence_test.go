package ident

import (
	"errors"
	"strings"
	"testing"
)

// publishedLicenceIDs are e-licence identifiers found in public integration
// code and interface documents (one is the worked example of a national
// licence standard's annex); each verifies with ISO/IEC 7064 MOD 37,36.
var publishedLicenceIDs = []string{
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
	"1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
	"1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
	"1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
}

func TestParseLicenceIDPublished(t *testing.T) {
	for _, s := range publishedLicenceIDs {
		t.Run(s[len(LicencePrefix):], func(t *testing.T) {
			l, err := ParseLicenceID(s)
			if err != nil {
				t.Fatalf("ParseLicenceID: %v", err)
			}
			if l.String() != s {
				t.Errorf("String() = %q, want %q", l.String(), s)
			}
			again, err := NewLicenceID(l.TypeCode, l.IssuerCode, l.Number, l.Version)
			if err != nil || again != s {
				t.Errorf("NewLicenceID = %q, %v; want %q", again, err, s)
			}
		})
	}
}

func TestParseLicenceID(t *testing.T) {
	valid := publishedLicenceIDs[0]
	tests := []struct {
		name    string
		in      string
		want    LicenceID
		wantErr error
	}{
		{name: "annex_example", in: valid, want: LicenceID{
			TypeCode: "11100000000013338W011", IssuerCode: "11430000006122244L", Number: "20230000403", Version: "002", Check: 'S'}},
		{name: "lowercase_normalised", in: LicencePrefix + strings.ToLower(valid[len(LicencePrefix):]), want: LicenceID{
			TypeCode: "11100000000013338W011", IssuerCode: "11430000006122244L", Number: "20230000403", Version: "002", Check: 'S'}},
		{name: "empty", in: "", wantErr: ErrFormat},
		{name: "prefix_only", in: LicencePrefix, wantErr: ErrFormat},
		{name: "wrong_prefix", in: "1.2.156.3005.3." + valid[len(LicencePrefix):], wantErr: ErrFormat},
		{name: "four_parts", in: LicencePrefix + "11100000000013338W011.11430000006122244L.20230000403.S", wantErr: ErrFormat},
		{name: "six_parts", in: valid + ".1", wantErr: ErrFormat},
		{name: "empty_number", in: LicencePrefix + "11100000000013338W011.11430000006122244L..002.S", wantErr: ErrLength},
		{name: "overlong_number", in: LicencePrefix + "T.I." + strings.Repeat("9", 65) + ".001.0", wantErr: ErrLength},
		{name: "hyphen_in_number", in: LicencePrefix + "11100000000013338W011.11430000006122244L.2023-0000403.002.S", wantErr: ErrCharset},
		{name: "underscore_in_number", in: LicencePrefix + "062301.1101101102.0624_001.001.U", wantErr: ErrCharset},
		{name: "letter_in_version", in: LicencePrefix + "11100000000013338W011.11430000006122244L.20230000403.00A.S", wantErr: ErrCharset},
		{name: "chinese_number", in: LicencePrefix + "11100000000013338W011.11430000006122244L.鲁2023.002.S", wantErr: ErrCharset},
		{name: "two_char_check", in: valid + "S", wantErr: ErrCharset},
		{name: "empty_check", in: valid[:len(valid)-1], wantErr: ErrCharset},
		{name: "symbol_check", in: valid[:len(valid)-1] + "*", wantErr: ErrCharset},
		{name: "wrong_check", in: valid[:len(valid)-1] + "T", wantErr: ErrChecksum},
		{name: "placeholder_check_from_api_doc", in: LicencePrefix + "11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M", wantErr: ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLicenceID(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseLicenceID error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseLicenceID = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestLicenceSingleSubstitution: MOD 37,36 detects every single character
// substitution in the payload and the check character.
func TestLicenceSingleSubstitution(t *testing.T) {
	for _, s := range publishedLicenceIDs {
		for i := len(LicencePrefix); i < len(s); i++ {
			if s[i] == '.' {
				continue
			}
			for j := range len(mod3736Alphabet) {
				c := mod3736Alphabet[j]
				if c == s[i] {
					continue
				}
				alt := s[:i] + string(c) + s[i+1:]
				if _, err := ParseLicenceID(alt); err == nil {
					t.Errorf("%s: one character changed, still valid", alt)
				}
			}
		}
	}
}

func TestLicenceCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    byte
		wantErr error
	}{
		{name: "space_in_payload", in: "11100000000013338W011 11430000006122244L20230000403002", wantErr: ErrCharset},
		{name: "annex_example_no_space", in: "11100000000013338W01111430000006122244L20230000403002", want: 'S'},
		{name: "lowercase", in: "11100000000013338w01111430000006122244l20230000403002", want: 'S'},
		{name: "single_zero", in: "0", want: '2'}, // P: 36 -> S 36 -> P 35; a = 37-35
		{name: "empty", in: "", wantErr: ErrLength},
		{name: "dot", in: "111.222", wantErr: ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LicenceCheckChar(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LicenceCheckChar error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("LicenceCheckChar = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMod3736Property: appending the check character makes the ISO 7064
// hybrid system end in the state 1, for any payload.
func TestMod3736Property(t *testing.T) {
	for _, payload := range []string{"0", "Z", "ABC", "11100000000013338W011", strings.Repeat("9", 64), "0000000000"} {
		full := payload + string(mod3736(payload))
		const m = 36
		p := m
		var s int
		for i := range len(full) {
			s = (p + mod3736Value(full[i])) % m
			if s == 0 {
				s = m
			}
			p = (s * 2) % (m + 1)
		}
		if s != 1 {
			t.Errorf("%s: final S = %d, want 1", full, s)
		}
	}
}

func TestNewLicenceID(t *testing.T) {
	tests := []struct {
		name                         string
		typ, issuer, number, version string
		want                         string
		wantErr                      error
	}{
		{name: "annex_example", typ: "11100000000013338W011", issuer: "11430000006122244L", number: "20230000403", version: "002",
			want: publishedLicenceIDs[0]},
		{name: "lowercase", typ: "11100000000013338w011", issuer: "11430000006122244l", number: "20230000403", version: "002",
			want: publishedLicenceIDs[0]},
		{name: "empty_type", typ: "", issuer: "X", number: "1", version: "1", wantErr: ErrLength},
		{name: "dot_in_issuer", typ: "T", issuer: "1.2", number: "1", version: "1", wantErr: ErrCharset},
		{name: "letter_version", typ: "T", issuer: "I", number: "1", version: "v1", wantErr: ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewLicenceID(tt.typ, tt.issuer, tt.number, tt.version)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewLicenceID error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("NewLicenceID = %q, want %q", got, tt.want)
			}
		})
	}
}
