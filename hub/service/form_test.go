package service

import (
	"encoding/json"
	"testing"
)

func TestLookupPath(t *testing.T) {
	var doc any
	_ = json.Unmarshal([]byte(`{"applicant":{"name":"王芳","licences":[
		{"type":"id_card","number":"A1","status":"valid"},
		{"type":"disability","number":"D-old","status":"expired","attrs":{"grade":3}},
		{"type":"disability","number":"D-new","status":"valid","attrs":{"grade":2}}]}}`), &doc)
	cases := []struct {
		name, path, concrete string
		want                 any
		ok                   bool
	}{
		{"plain_field", "applicant.name", "applicant.name", "王芳", true},
		{"index", "applicant.licences.0.number", "applicant.licences.0.number", "A1", true},
		{"bare_type_prefers_valid", "applicant.licences.disability.number", "applicant.licences.2.number", "D-new", true},
		{"selector", "applicant.licences.type=id_card.number", "applicant.licences.0.number", "A1", true},
		{"nested_attr", "applicant.licences.disability.attrs.grade", "applicant.licences.2.attrs.grade", float64(2), true},
		{"missing_type", "applicant.licences.marriage.number", "", nil, false},
		{"index_out_of_range", "applicant.licences.9.number", "", nil, false},
		{"through_a_scalar", "applicant.name.first", "", nil, false},
		{"empty_path", "", "", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, concrete, ok := lookupPath(doc, tc.path)
			if ok != tc.ok || got != tc.want || (ok && concrete != tc.concrete) {
				t.Fatalf("lookupPath(%q) = %v %q %v, want %v %q %v", tc.path, got, concrete, ok, tc.want, tc.concrete, tc.ok)
			}
		})
	}
}

func FuzzLookupPath(f *testing.F) {
	f.Add(`{"a":[{"type":"x","b":1}]}`, "a.x.b")
	f.Add(`[1,2]`, "1")
	f.Add(`{"a":{"b":null}}`, "a.b.c")
	f.Fuzz(func(t *testing.T, doc, path string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		got, concrete, ok := lookupPath(v, path)
		if !ok {
			return
		}
		// The concrete path must lead to the same value without selectors.
		again, _, ok2 := lookupPath(v, concrete)
		if !ok2 {
			t.Fatalf("concrete path %q of %q does not resolve", concrete, path)
		}
		if a, b := mustMarshal(got), mustMarshal(again); a != b {
			t.Fatalf("concrete path %q gives %s, selector path %q gives %s", concrete, b, path, a)
		}
	})
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
