package city

import (
	"errors"
	"strings"
	"testing"

	"sanmian/connectors"
)

var validChanges = `{"changes":[{"sequence":1,"type":"UPSERT","idNumber":"110101199003074258","changeTime":"2026-11-01T08:00:00+08:00","insuredPerson":` + validPerson + `},
{"sequence":2,"type":"DELETE","idNumber":"110101199003074258","changeTime":"2026-11-01T08:00:00+08:00","insuredPerson":null}],
"nextPageToken":"cc1.2","hasMore":false}`

func TestDecodeChanges(t *testing.T) {
	pg, err := decodeChanges([]byte(validChanges))
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Changes) != 2 || pg.HasMore || pg.NextCursor != "cc1.2" || pg.Changes[0].Record == nil ||
		pg.Changes[0].Op != OpUpsert || pg.Changes[1].Op != OpDelete || pg.Changes[1].Record != nil {
		t.Fatalf("page %+v", pg)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"sequence_not_increasing", `"sequence":2`, `"sequence":1`},
		{"unknown_type", `"type":"DELETE"`, `"type":"REMOVE"`},
		{"upsert_without_record", `"type":"DELETE"`, `"type":"UPSERT"`},
		{"empty_page_token", `"nextPageToken":"cc1.2"`, `"nextPageToken":""`},
		{"missing_has_more", `,"hasMore":false`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(validChanges, tc.from, tc.to, 1)
			if body == validChanges {
				t.Fatal("mutation did not apply")
			}
			if _, err := decodeChanges([]byte(body)); !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
		})
	}
}

func FuzzDecodeChanges(f *testing.F) {
	f.Add([]byte(validChanges))
	f.Fuzz(func(t *testing.T, b []byte) {
		pg, err := decodeChanges(b)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, c := range pg.Changes {
			if len(c.IDNumber) != 18 || (c.Op == OpUpsert && (c.Record == nil || c.Record.Insurance.Pension == "")) {
				t.Fatalf("zero value passed on as a fact: %+v", c)
			}
		}
	})
}
