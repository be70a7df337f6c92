package ident

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sanmian/hub/division"
)

// published is the GB 11643-1999 example number, widely reproduced.
const published = "11010519491231002X"

// fixClock makes "today" 2026-11-26 in China for the duration of the test.
func fixClock(t testing.TB) {
	t.Helper()
	old := now
	now = func() time.Time { return time.Date(2026, time.November, 26, 10, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = old })
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// withCheck appends the correct check character to 17 digits.
func withCheck(first17 string) string { return first17 + string(idCheck(first17)) }

func TestParseIDNumber(t *testing.T) {
	fixClock(t)
	tests := []struct {
		name    string
		in      string
		want    IDNumber
		wantErr error
	}{
		{name: "published_example", in: published,
			want: IDNumber{Number: published, Address: "110105", Birth: date(1949, 12, 31), Sequence: 2, Sex: SexFemale}},
		{name: "published_example_lowercase_x", in: strings.ToLower(published),
			want: IDNumber{Number: published, Address: "110105", Birth: date(1949, 12, 31), Sequence: 2, Sex: SexFemale}},
		{name: "zhangqiu_man", in: withCheck("37011419560301123"),
			want: IDNumber{Number: withCheck("37011419560301123"), Address: "370114", Birth: date(1956, 3, 1), Sequence: 123, Sex: SexMale}},
		{name: "former_zhangqiu_code", in: withCheck("37018119400229000"),
			want: IDNumber{Number: withCheck("37018119400229000"), Address: "370181", Birth: date(1940, 2, 29), Sequence: 0, Sex: SexFemale}},
		{name: "born_today", in: withCheck("37011420261126001"),
			want: IDNumber{Number: withCheck("37011420261126001"), Address: "370114", Birth: date(2026, 11, 26), Sequence: 1, Sex: SexMale}},
		{name: "born_1880_01_01", in: withCheck("37011418800101999"),
			want: IDNumber{Number: withCheck("37011418800101999"), Address: "370114", Birth: date(1880, 1, 1), Sequence: 999, Sex: SexMale}},
		{name: "empty", in: "", wantErr: ErrLength},
		{name: "seventeen_chars", in: published[:17], wantErr: ErrLength},
		{name: "nineteen_chars", in: published + "0", wantErr: ErrLength},
		{name: "fifteen_digit_first_generation", in: "370181400229001", wantErr: ErrLength},
		{name: "leading_space", in: " " + published[:17], wantErr: ErrCharset},
		{name: "letter_in_body", in: "1101051949123100AX", wantErr: ErrCharset},
		{name: "x_not_last", in: "X10105194912310021", wantErr: ErrCharset},
		{name: "bad_check_letter", in: "11010519491231002Y", wantErr: ErrCharset},
		{name: "multibyte_char", in: "110105194912310０2X"[:18], wantErr: ErrCharset},
		{name: "wrong_check", in: "110105194912310020", wantErr: ErrChecksum},
		{name: "province_00", in: withCheck("00011419560301123"), wantErr: ErrAddressCode},
		{name: "province_10", in: withCheck("10011419560301123"), wantErr: ErrAddressCode},
		{name: "province_83", in: withCheck("83011419560301123"), wantErr: ErrAddressCode},
		{name: "province_91", in: withCheck("91011419560301123"), wantErr: ErrAddressCode},
		{name: "month_00", in: withCheck("37011419560001123"), wantErr: ErrBirthDate},
		{name: "month_13", in: withCheck("37011419561301123"), wantErr: ErrBirthDate},
		{name: "day_00", in: withCheck("37011419560300123"), wantErr: ErrBirthDate},
		{name: "day_32", in: withCheck("37011419560132123"), wantErr: ErrBirthDate},
		{name: "april_31", in: withCheck("37011419560431123"), wantErr: ErrBirthDate},
		{name: "feb_29_non_leap", in: withCheck("37011419570229123"), wantErr: ErrBirthDate},
		{name: "feb_29_1900_not_leap", in: withCheck("37011419000229123"), wantErr: ErrBirthDate},
		{name: "feb_30_leap", in: withCheck("37011419560230123"), wantErr: ErrBirthDate},
		{name: "born_tomorrow", in: withCheck("37011420261127001"), wantErr: ErrBirthDate},
		{name: "born_next_century", in: withCheck("37011421010101001"), wantErr: ErrBirthDate},
		{name: "born_1879", in: withCheck("37011418791231001"), wantErr: ErrBirthDate},
		{name: "year_0000", in: withCheck("37011400000101001"), wantErr: ErrBirthDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDNumber(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseIDNumber error = %v, want %v", err, tt.wantErr)
				}
				if ValidIDNumber(tt.in) {
					t.Errorf("ValidIDNumber = true for an invalid number")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIDNumber: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseIDNumber = %+v, want %+v", got, tt.want)
			}
			if got.Birth.Location() != time.UTC {
				t.Errorf("Birth location = %v, want UTC", got.Birth.Location())
			}
			if !ValidIDNumber(tt.in) {
				t.Errorf("ValidIDNumber = false for a valid number")
			}
		})
	}
}

// TestTodayIsJudgedInChina: at 2026-11-26 20:00 UTC it is already the 27th in
// Zhangqiu, so a baby born on the 27th is not "in the future".
func TestTodayIsJudgedInChina(t *testing.T) {
	old := now
	t.Cleanup(func() { now = old })
	now = func() time.Time { return time.Date(2026, time.November, 26, 20, 0, 0, 0, time.UTC) }
	if _, err := ParseIDNumber(withCheck("37011420261127002")); err != nil {
		t.Errorf("born on the current China date: %v", err)
	}
	if _, err := ParseIDNumber(withCheck("37011420261128002")); !errors.Is(err, ErrBirthDate) {
		t.Errorf("born on the next China date: err = %v, want ErrBirthDate", err)
	}
}

// TestPublishedExampleSingleSubstitution: MOD 11-2 detects every single
// character substitution, so every one-character change of the published
// example must be rejected.
func TestPublishedExampleSingleSubstitution(t *testing.T) {
	fixClock(t)
	const alphabet = "0123456789Xx"
	n := 0
	for i := range len(published) {
		for j := range len(alphabet) {
			c := alphabet[j]
			if c == published[i] || (i == 17 && c == 'x') {
				continue
			}
			alt := published[:i] + string(c) + published[i+1:]
			if ValidIDNumber(alt) {
				t.Errorf("position %d changed to %q: still valid", i+1, c)
			}
			n++
		}
	}
	if n < 17*9 {
		t.Fatalf("only %d alterations tried", n)
	}
}

// TestAdjacentTranspositionDetected: MOD 11-2 also detects every swap of two
// adjacent different characters.
func TestAdjacentTranspositionDetected(t *testing.T) {
	fixClock(t)
	for _, s := range []string{published, withCheck("37011419560301123"), withCheck("37018119831017456")} {
		for i := range len(s) - 1 {
			if s[i] == s[i+1] {
				continue
			}
			b := []byte(s)
			b[i], b[i+1] = b[i+1], b[i]
			if ValidIDNumber(string(b)) {
				t.Errorf("swap at %d of a valid number is still valid", i+1)
			}
		}
	}
}

func TestIDCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    byte
		wantErr error
	}{
		{name: "published_example", in: published[:17], want: 'X'},
		{name: "sum_mod_0_gives_1", in: "00000000000000000", want: '1'},
		{name: "zhangqiu", in: "37011419560301123", want: idCheck("37011419560301123")},
		{name: "sixteen", in: "0000000000000000", wantErr: ErrLength},
		{name: "eighteen", in: published, wantErr: ErrLength},
		{name: "letter", in: "0000000000000000A", wantErr: ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := IDCheckChar(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("IDCheckChar error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("IDCheckChar = %q, want %q", got, tt.want)
			}
		})
	}
	// Each of the 11 check characters is reachable.
	seen := map[byte]bool{}
	for i := range 100 {
		c, _ := IDCheckChar("370114195603011" + string(rune('0'+i/10)) + string(rune('0'+i%10)))
		seen[c] = true
	}
	if len(seen) != 11 {
		t.Errorf("check characters seen: %d, want 11", len(seen))
	}
}

func TestNewIDNumber(t *testing.T) {
	fixClock(t)
	cst := division.Zone
	tests := []struct {
		name    string
		addr    string
		birth   time.Time
		seq     int
		want    string
		wantErr error
	}{
		{name: "published_example", addr: "110105", birth: date(1949, 12, 31), seq: 2, want: published},
		{name: "local_midnight_keeps_calendar_date", addr: "370114", birth: time.Date(1956, 3, 1, 0, 30, 0, 0, cst), seq: 123, want: withCheck("37011419560301123")},
		{name: "seq_zero", addr: "370181", birth: date(1940, 2, 29), seq: 0, want: withCheck("37018119400229000")},
		{name: "seq_999", addr: "370114", birth: date(2000, 1, 1), seq: 999, want: withCheck("37011420000101999")},
		{name: "seq_negative", addr: "370114", birth: date(2000, 1, 1), seq: -1, wantErr: ErrSequence},
		{name: "seq_1000", addr: "370114", birth: date(2000, 1, 1), seq: 1000, wantErr: ErrSequence},
		{name: "short_address", addr: "37011", birth: date(2000, 1, 1), seq: 1, wantErr: ErrLength},
		{name: "letter_address", addr: "37011A", birth: date(2000, 1, 1), seq: 1, wantErr: ErrCharset},
		{name: "province_99", addr: "990114", birth: date(2000, 1, 1), seq: 1, wantErr: ErrAddressCode},
		{name: "future_birth", addr: "370114", birth: date(2030, 1, 1), seq: 1, wantErr: ErrBirthDate},
		{name: "ancient_birth", addr: "370114", birth: date(1700, 1, 1), seq: 1, wantErr: ErrBirthDate},
		{name: "zero_time", addr: "370114", birth: time.Time{}, seq: 1, wantErr: ErrBirthDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewIDNumber(tt.addr, tt.birth, tt.seq)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewIDNumber error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("NewIDNumber = %q, want %q", got, tt.want)
			}
			if err == nil {
				p, err := ParseIDNumber(got)
				if err != nil {
					t.Fatalf("ParseIDNumber(NewIDNumber(...)): %v", err)
				}
				if p.Sequence != tt.seq || p.Address != tt.addr {
					t.Errorf("round trip = %+v", p)
				}
			}
		})
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"published_example", published, "110105********002X"},
		{"lowercase_x_normalised", strings.ToLower(published), "110105********002X"},
		{"bad_check_still_masked", "110105194912310020", "110105********0020"},
		{"empty", "", ""},
		{"seventeen", published[:17], strings.Repeat("*", 17)},
		{"nineteen", published + "1", strings.Repeat("*", 19)},
		{"fifteen_digit_old_number", "370181400229001", strings.Repeat("*", 15)},
		{"eighteen_letters", "ABCDEFGHIJKLMNOPQR", strings.Repeat("*", 18)},
		{"chinese_eighteen_runes", strings.Repeat("张", 18), strings.Repeat("*", 18)},
		{"chinese_name", "张三", "**"},
		{"invalid_utf8", "\xff\xfe37011419560301123", strings.Repeat("*", 19)},
		{"spaces_around", " " + published + " ", strings.Repeat("*", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskIDNumber(tt.in); got != tt.want {
				t.Errorf("MaskIDNumber = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIDNumberStringIsMasked(t *testing.T) {
	fixClock(t)
	p, err := ParseIDNumber(published)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{p.String(), fmtV(p)} {
		if strings.Contains(s, "19491231") {
			t.Errorf("formatted IDNumber leaks the birth date: %s", s)
		}
	}
}

func TestAgeOn(t *testing.T) {
	tests := []struct {
		name      string
		birth, on time.Time
		want      int
	}{
		{"day_before_birthday", date(1946, 5, 10), date(2026, 5, 9), 79},
		{"on_birthday", date(1946, 5, 10), date(2026, 5, 10), 80},
		{"day_after_birthday", date(1946, 5, 10), date(2026, 5, 11), 80},
		{"leapling_feb_28_non_leap", date(1944, 2, 29), date(2025, 2, 28), 80},
		{"leapling_mar_1_non_leap", date(1944, 2, 29), date(2025, 3, 1), 81},
		{"leapling_feb_28_leap", date(1944, 2, 29), date(2024, 2, 28), 79},
		{"leapling_feb_29_leap", date(1944, 2, 29), date(2024, 2, 29), 80},
		{"born_dec_31", date(1949, 12, 31), date(2026, 1, 1), 76},
		{"newborn", date(2026, 11, 26), date(2026, 11, 26), 0},
		{"before_birth", date(2026, 11, 26), date(2020, 1, 1), 0},
		{"centenarian", date(1926, 11, 26), date(2026, 11, 26), 100},
		{"on_with_time_of_day", date(1946, 5, 10), time.Date(2026, 5, 10, 23, 59, 0, 0, time.UTC), 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AgeOn(tt.birth, tt.on); got != tt.want {
				t.Errorf("AgeOn(%s, %s) = %d, want %d", tt.birth.Format(time.DateOnly), tt.on.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

// TestErrorsDoNotLeakNumber: no error message carries the number, its body or
// its birth date.
func TestErrorsDoNotLeakNumber(t *testing.T) {
	fixClock(t)
	inputs := []string{
		"110105194912310020",           // checksum
		withCheck("00011419560301123"), // address
		withCheck("37011419561301123"), // date
		withCheck("37011420991301123"), // future
		"1101051949123100AX",           // charset
		published + "1",                // length
		published[:17],                 // length
	}
	for _, in := range inputs {
		_, err := ParseIDNumber(in)
		if err == nil {
			t.Fatalf("no error for %s", MaskIDNumber(in))
		}
		msg := err.Error()
		for i := 0; i+6 <= len(in); i++ {
			if strings.Contains(msg, in[i:i+6]) {
				t.Errorf("error %q contains part of the input", msg)
				break
			}
		}
	}
}

func BenchmarkParseIDNumber(b *testing.B) {
	s := withCheck("37011419560301123")
	for b.Loop() {
		if _, err := ParseIDNumber(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaskIDNumber(b *testing.B) {
	for b.Loop() {
		_ = MaskIDNumber(published)
	}
}
