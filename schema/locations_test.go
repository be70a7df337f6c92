package schema

import (
	"encoding/json"
	"testing"

	"github.com/graphql-go/graphql/language/location"
	"github.com/graphql-go/graphql/language/source"
)

// TestLineIndexMatchesGraphQLGo checks lineIndex against graphql-go's own GetLocation at every
// position of documents with every kind of line break.
func TestLineIndexMatchesGraphQLGo(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"one_line", `{ person(idNumber: "x", purpose: "p") { name } }`},
		{"lf", "query {\n  __typename\n  items { totalCount }\n}\n"},
		{"crlf", "query {\r\n  __typename\r\n\r\n}"},
		{"cr", "query {\r  __typename\r}"},
		{"mixed_and_multibyte", "# 查询\r\n{\n\r  name # 姓名\r\r\n}"},
		{"leading_breaks", "\n\n\r\n{ a }"},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			li := newLineIndex(tc.doc)
			src := source.NewSource(&source.Source{Body: []byte(tc.doc)})
			for p := 0; p <= len(tc.doc); p++ {
				if got, want := li.at(p), location.GetLocation(src, p); got != want {
					t.Fatalf("position %d: %v, graphql-go says %v", p, got, want)
				}
			}
		})
	}
}

// TestExecutionErrorLocations checks the locations of execution errors now that graphql-go
// parses without the source: real lines and columns, one per copy of a repeated field.
func TestExecutionErrorLocations(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	doc := "query {\r\n  __typename\r\n  person(idNumber: \"x\", purpose: \"p\") { name }\n    person(idNumber: \"x\", purpose: \"p\") { name }\n}"
	_, r, raw := post(t, h, counterA(fx), q(doc, nil))
	if !r.hasCode(CodeNotFound) {
		t.Fatalf("codes %v: %s", r.codes(), raw)
	}
	var resp struct {
		Errors []struct {
			Locations []location.SourceLocation `json:"locations"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(raw), &resp); err != nil {
		t.Fatal(err)
	}
	want := []location.SourceLocation{{Line: 3, Column: 3}, {Line: 4, Column: 5}}
	got := resp.Errors[0].Locations
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("locations %v, want %v: %s", got, want, raw)
	}
}
