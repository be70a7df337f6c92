package ident

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedactText(t *testing.T) {
	const id = "370114195603011234" // shape only; RedactText does not validate
	tests := []struct {
		name  string
		in    string
		names []string
		want  string
	}{
		{"plain_text_unchanged", "高龄补贴年审 annual review", nil, "高龄补贴年审 annual review"},
		{"id_number_alone", published, nil, "110105********002X"},
		{"id_number_lowercase_x", strings.ToLower(published), nil, "110105********002X"},
		{"id_number_inside_chinese", "为" + published + "办理", nil, "为110105********002X办理"},
		{"id_number_after_letters", "ID" + published + "ok", nil, "ID110105********002Xok"},
		{"id_number_with_spaces", "370114 19560301 1234", nil, "****** ******** ****"},
		{"id_number_with_hyphens", "370114-19560301-123X", nil, "******-********-****"},
		{"id_number_full_width", "３７０１１４１９５６０３０１１２３４", nil, strings.Repeat("*", 18)},
		{"fifteen_digit_old_number", "旧证370181400229001号", nil, "旧证" + strings.Repeat("*", 15) + "号"},
		{"nineteen_digits", id + "5", nil, strings.Repeat("*", 19)},
		{"two_ids_in_text", id + "和" + published, nil, "370114********1234和110105********002X"},
		{"mobile", "电话13800138000", nil, "电话138****8000"},
		{"mobile_with_country_code", "+86 138 0013 8000", nil, "+86 138 **** 8000"},
		{"mobile_country_code_contiguous", "8613800138000", nil, "86138****8000"},
		{"landline", "0531-88123456", nil, "053*-******56"},
		{"short_numbers_kept", "2026-11-26 第3次 ¥1200.50", nil, "2026-11-26 第3次 ¥1200.50"},
		{"twelve_digit_division_code_kept", "370114001001", nil, "370114001001"},
		{"name", "张三丰申请补贴，张三丰本人到场", []string{"张三丰"}, "张**申请补贴，张**本人到场"},
		{"one_rune_name_ignored", "张", []string{"张"}, "张"},
		{"name_and_id", "张三 " + published, []string{"张三", ""}, "张* 110105********002X"},
		{"hub_id_with_long_digit_run_kept", "permit 019a2b3c123456789012345678901234 held", nil, "permit 019a2b3c123456789012345678901234 held"},
		{"hub_id_in_path_kept", "/v1/permits/0123456789012345678901234567abcd/print", nil, "/v1/permits/0123456789012345678901234567abcd/print"},
		{"digest_kept", strings.Repeat("1234567890abcdef", 4), nil, strings.Repeat("1234567890abcdef", 4)},
		{"id_number_in_32_char_token_of_other_letters", "xx" + id + "yyyyyyyyyyyy", nil, "xx370114********1234yyyyyyyyyyyy"},
		{"masked_stays_masked", "110105********002X 138****8000", nil, "110105********002X 138****8000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactText(tt.in, tt.names...); got != tt.want {
				t.Errorf("RedactText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// longestDigitRun is the most digits (ASCII or full-width, check character X counted) in one
// run of RedactText's kind in s.
func longestDigitRun(s string) int {
	best, cur := 0, 0
	rs := []rune(s)
	for i, r := range rs {
		_, digit := digitValue(r)
		switch {
		case digit || (isCheckX(r) && cur == 17):
			cur++
		case isNumberSeparator(r) && cur > 0 && i+1 < len(rs):
			if _, ok := digitValue(rs[i+1]); !ok {
				cur = 0
			}
		default:
			cur = 0
		}
		best = max(best, cur)
	}
	return best
}

func FuzzRedactText(f *testing.F) {
	for _, s := range []string{
		published, "为" + published + "办理", "370114 19560301 1234", "３７０１１４１９５６０３０１１２３４",
		"13800138000", "+86 138 0013 8000", "0531-88123456", "张三丰", "", "\xff" + published, "1-2-3-4-5-6-7-8-9-0-1-2-3-4-5",
	} {
		f.Add(s, "张三丰")
	}
	f.Fuzz(func(t *testing.T, s, name string) {
		out := RedactText(s, name)
		if utf8.RuneCountInString(out) != utf8.RuneCountInString(s) {
			t.Fatalf("rune count %d, input %d", utf8.RuneCountInString(out), utf8.RuneCountInString(s))
		}
		if n := longestDigitRun(out); n >= 15 {
			t.Fatalf("RedactText(%q) = %q keeps a run of %d digits", s, out, n)
		}
		if again := RedactText(out, name); again != out {
			t.Fatalf("not idempotent: %q then %q", out, again)
		}
		if n := strings.TrimSpace(name); utf8.RuneCountInString(n) >= 2 && !strings.Contains(n, "*") && strings.Contains(out, n) {
			t.Fatalf("name %q left in %q", n, out)
		}
	})
}
