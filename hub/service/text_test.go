package service

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckPurpose(t *testing.T) {
	const id = "11010519491231002X"
	tests := []struct {
		name, in string
		names    []string
		want     string // "" with wantErr
		wantErr  bool
	}{
		{"plain", "高龄补贴申请", nil, "高龄补贴申请", false},
		{"trimmed", "  年审 ", nil, "年审", false},
		{"id_number_masked", "核对" + id, nil, "核对110105********002X", false},
		{"id_number_lowercase_masked", "核对" + strings.ToLower(id), nil, "核对110105********002X", false},
		{"phone_masked", "电话 13812345678", nil, "电话 138****5678", false},
		{"name_masked", "为张三丰办理", []string{"张三丰"}, "为张**办理", false},
		{"ideographic_space_allowed", "年审\u3000复核", nil, "年审\u3000复核", false},
		{"empty", "", nil, "", true},
		{"spaces_only", " \u3000 ", nil, "", true},
		{"newline", "a\nb", nil, "", true},
		{"nul", "a\x00b", nil, "", true},
		{"escape", "a\x1b[2Jb", nil, "", true},
		{"bidi_override", "a\u202eb", nil, "", true},
		{"zero_width_space", "a\u200bb", nil, "", true},
		{"private_use", "a\ue000b", nil, "", true},
		{"invalid_utf8", "a\xffb", nil, "", true},
		{"500_runes", strings.Repeat("长", 500), nil, strings.Repeat("长", 500), false},
		{"501_runes", strings.Repeat("长", 501), nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkPurpose(tt.in, tt.names...)
			var inv *InvalidError
			if tt.wantErr {
				if !errors.As(err, &inv) || inv.Field != "purpose" {
					t.Fatalf("checkPurpose = %q, %v; want an invalid purpose", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("checkPurpose = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckTextMultiline(t *testing.T) {
	rule := textRule{field: "comment", max: 10, multiline: true}
	if got, err := checkText("一\n二\t三\r\n", rule); err != nil || got != "一\n二\t三" {
		t.Fatalf("multiline comment: %q, %v", got, err)
	}
	if _, err := checkText("一\x00二", rule); err == nil {
		t.Fatal("NUL accepted in a multiline comment")
	}
	if got, err := checkText("", rule); err != nil || got != "" {
		t.Fatalf("empty optional comment: %q, %v", got, err)
	}
}

func TestCursors(t *testing.T) {
	tests := []struct {
		name, after string
		id, seq     bool // valid as an application-id cursor, as a sequence cursor
	}{
		{"empty_first_page", "", true, true},
		{"application_id", "01a24942a075c4bfb30473b64bfda3cf", true, false},
		{"upper_case_hex", "01A24942A075C4BFB30473B64BFDA3CF", false, false},
		{"short_hex", "01a2", false, false},
		{"sequence", "42", false, true},
		{"zero", "0", false, false},
		{"negative", "-1", false, false},
		{"plus_sign", "+1", false, false},
		{"letters", "abc", false, false},
		{"id_number", "11010519491231002X", false, false},
		{"int64_max", "9223372036854775807", false, true},
		{"over_int64", "9223372036854775808", false, false},
		{"spaces", " 1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkIDCursor(tt.after); (err == nil) != tt.id {
				t.Errorf("checkIDCursor(%q) = %v, want valid %v", tt.after, err, tt.id)
			}
			if err := checkSeqCursor(tt.after); (err == nil) != tt.seq {
				t.Errorf("checkSeqCursor(%q) = %v, want valid %v", tt.after, err, tt.seq)
			}
		})
	}
}

func TestAuditValue(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"code_kept", "senior_card", "senior_card"},
		{"id_number_masked", "11010519491231002X", "110105********002X"},
		{"control_replaced", "a\x00b", "a\uFFFDb"},
		{"long_cut", strings.Repeat("a", 100), strings.Repeat("a", 63) + "…"},
		{"long_digits_masked_before_cut", strings.Repeat("1", 100), strings.Repeat("*", 63) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auditValue(tt.in); got != tt.want {
				t.Errorf("auditValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzCheckPurpose: an accepted purpose is trimmed printable text of at most maxPurpose
// characters with no run of 15 or more digits left.
func FuzzCheckPurpose(f *testing.F) {
	for _, s := range []string{"高龄补贴申请", "核对11010519491231002X", "a\nb", "\u202e", " ", "电话13812345678", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := checkPurpose(s)
		if err != nil {
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Field != "purpose" || strings.Contains(inv.Detail, s) && len(s) > 20 {
				t.Fatalf("error %v", err)
			}
			return
		}
		if got == "" || got != strings.TrimSpace(got) || !utf8.ValidString(got) || utf8.RuneCountInString(got) > maxPurpose {
			t.Fatalf("accepted %q as %q", s, got)
		}
		run, sep := 0, false
		for _, r := range got {
			if !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("accepted %q with U+%04X", s, r)
			}
			switch {
			case r >= '0' && r <= '9' || r >= '０' && r <= '９':
				run, sep = run+1, false
			case !sep && strings.ContainsRune(" -.\u00a0\u3000－", r):
				sep = true // one separator may stand inside a number
			default:
				run, sep = 0, false
			}
			if run >= 15 {
				t.Fatalf("accepted %q as %q with a run of %d digits", s, got, run)
			}
		}
	})
}
