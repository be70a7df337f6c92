package jsonbody

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type applicant struct {
	IDNumber string `json:"id_number"`
}

type createRequest struct {
	Item      string            `json:"item"`
	Applicant applicant         `json:"applicant"`
	Purpose   string            `json:"purpose"`
	Notes     map[string]string `json:"notes"`
	Declined  []string          `json:"declined"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		unknown bool
		want    error  // nil: decodes
		detail  string // substring of the *Error detail
	}{
		{"valid", `{"item":"senior_card","applicant":{"id_number":"x"},"purpose":"p"}`, false, nil, ""},
		{"valid_with_whitespace", " \n{\"item\":\"a\"}\n\t", false, nil, ""},
		{"null_members", `{"item":null,"notes":null}`, false, nil, ""},
		{"upper_case_key", `{"ITEM":"senior_card"}`, false, ErrMalformed, `unknown member "/ITEM"`},
		{"mixed_case_nested_key", `{"applicant":{"ID_Number":"x"}}`, false, ErrMalformed, "unknown member"},
		{"duplicate_key", `{"item":"a","item":"b"}`, false, ErrMalformed, "duplicate member name"},
		{"duplicate_nested_key", `{"applicant":{"id_number":"a","id_number":"b"}}`, false, ErrMalformed, "duplicate"},
		{"duplicate_map_key", `{"notes":{"a":"1","a":"2"}}`, false, ErrMalformed, "duplicate"},
		{"unknown_member", `{"item":"a","extra":1}`, false, ErrMalformed, `unknown member "/extra"`},
		{"unknown_member_allowed", `{"item":"a","extra":1}`, true, nil, ""},
		{"duplicate_refused_even_when_unknown_allowed", `{"extra":1,"extra":2}`, true, ErrMalformed, "duplicate"},
		{"trailing_value", `{"item":"a"}{"item":"b"}`, false, ErrMalformed, "invalid JSON"},
		{"trailing_garbage", `{"item":"a"} x`, false, ErrMalformed, "invalid JSON"},
		{"empty", ``, false, ErrMalformed, "empty"},
		{"truncated", `{"item":"a"`, false, ErrMalformed, ""},
		{"wrong_type", `{"item":1}`, false, ErrMalformed, `"/item": a JSON number cannot be a string`},
		{"array_for_object", `[1,2]`, false, ErrMalformed, ""},
		{"invalid_utf8", "{\"item\":\"\xff\"}", false, ErrMalformed, "UTF-8"},
		{"too_large", `{"purpose":"` + strings.Repeat("x", 200) + `"}`, false, ErrTooLarge, ""},
		{"nesting_bomb", strings.Repeat("[", 100), false, ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst createRequest
			err := Decode(strings.NewReader(tt.body), 128, &dst, Options{AllowUnknown: tt.unknown})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			var e *Error
			if tt.detail != "" && (!errors.As(err, &e) || !strings.Contains(e.Detail, tt.detail)) {
				t.Fatalf("detail %v, want it to contain %q", err, tt.detail)
			}
		})
	}
}

func TestDecodeBodyOfExactlyTheLimit(t *testing.T) {
	body := `{"item":"` + strings.Repeat("a", 20) + `"}`
	var dst createRequest
	if err := Decode(strings.NewReader(body), int64(len(body)), &dst, Options{}); err != nil || dst.Item != strings.Repeat("a", 20) {
		t.Fatalf("Decode = %v, item %q", err, dst.Item)
	}
	if err := Decode(strings.NewReader(body+" "), int64(len(body)), &dst, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over: %v, want ErrTooLarge", err)
	}
}

func TestDetailDoesNotEchoValues(t *testing.T) {
	const id = "11010519491231002X"
	for _, body := range []string{
		`{"item":"` + id + `",}`, `{"item":["` + id + `"]}`, `{"item":"` + id + `"} "` + id + `"`,
		`{"` + id + `":1}`, `{"item":"a","item":"` + id + `"}`,
	} {
		var dst createRequest
		err := Decode(strings.NewReader(body), 1<<10, &dst, Options{})
		if err == nil {
			t.Fatalf("%s decoded", body)
		}
		// A member name is the caller's own key, quoted back; a value never is.
		if strings.Contains(err.Error(), id) && !strings.Contains(body, `"`+id+`":`) {
			t.Errorf("%s: error %q echoes a value", body, err)
		}
	}
}

func TestCheckMediaType(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON; Charset=UTF-8", true},
		{"", false},
		{"text/plain", false},
		{"application/json; charset=latin1", false},
		{"application/json; boundary=x", false},
		{"application/jsonx", false},
		{"application/json-patch+json", false},
		{"application/json;;", false},
		{"multipart/form-data; boundary=x", false},
	}
	for _, tt := range tests {
		if err := CheckMediaType(tt.ct); (err == nil) != tt.ok {
			t.Errorf("CheckMediaType(%q) = %v, want ok %v", tt.ct, err, tt.ok)
		}
	}
}

// FuzzDecode checks the decoder against encoding/json's view of the same input: whatever it
// accepts is valid JSON that encoding/json decodes to the same value, and it never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"item":"a","applicant":{"id_number":"b"},"purpose":"c"}`, `{"ITEM":"a"}`, `{"item":"a","item":"b"}`,
		`{"notes":{"a":"1"},"declined":["x"]}`, `{} {}`, `[`, "{\"item\":\"\xff\"}", `{"item":"\ud800"}`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var got createRequest
		err := Decode(strings.NewReader(body), 1<<12, &got, Options{})
		if err != nil {
			var e *Error
			if !errors.Is(err, ErrTooLarge) && !errors.As(err, &e) {
				t.Fatalf("error %T %v is neither ErrTooLarge nor *Error", err, err)
			}
			return
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var want createRequest
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("accepted %q that encoding/json refuses: %v", body, err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if string(a) != string(b) {
			t.Fatalf("%q decodes to %s, encoding/json to %s", body, a, b)
		}
	})
}
