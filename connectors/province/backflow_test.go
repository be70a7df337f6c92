package province

import (
	"errors"
	"strings"
	"testing"

	"sanmian/connectors"
)

const validBackflow = `{"list":[{"xh":1,"czlx":"U","sfzh":"110101199003074258","gxsj":"20261101080000",
"ryxx":{"hklx":"1","hjqh":"370114001201","swbz":"1","swrq":"20250301"},"zzlb":[` + validLicence + `]},
{"xh":2,"czlx":"D","sfzh":"110101199003074258","gxsj":"20261101080000","ryxx":null,"zzlb":[]}],
"xyyb":"HL2","sfyhx":"0"}`

func TestDecodeBackflow(t *testing.T) {
	pg, err := decodeBackflow([]byte(validBackflow))
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Changes) != 2 || pg.HasMore || pg.NextCursor != "HL2" {
		t.Fatalf("page %+v", pg)
	}
	u, d := pg.Changes[0], pg.Changes[1]
	if u.Op != OpUpsert || !u.Deceased || u.DeathDate != "2025-03-01" || u.HukouType != "agricultural" ||
		u.HukouVillage != "370114001201" || len(u.Licences) != 1 || d.Op != OpDelete || d.Licences != nil {
		t.Fatalf("changes %+v", pg.Changes)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"xh_not_increasing", `"xh":2`, `"xh":1`},
		{"unknown_operation", `"czlx":"D"`, `"czlx":"X"`},
		{"upsert_without_person", `"czlx":"D"`, `"czlx":"U"`},
		{"unknown_hukou_code", `"hklx":"1"`, `"hklx":"9"`},
		{"bad_village_code", `"hjqh":"370114001201"`, `"hjqh":"3701"`},
		{"bad_death_flag", `"swbz":"1"`, `"swbz":"Y"`},
		{"bad_death_date", `"swrq":"20250301"`, `"swrq":"2025-03-01"`},
		{"empty_cursor", `"xyyb":"HL2"`, `"xyyb":""`},
		{"unknown_more_flag", `"sfyhx":"0"`, `"sfyhx":"N"`},
		{"bad_id_number", `"sfzh":"110101199003074258","gxsj"`, `"sfzh":"110101199003074259","gxsj"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(validBackflow, tc.from, tc.to, 1)
			if body == validBackflow {
				t.Fatal("mutation did not apply")
			}
			if _, err := decodeBackflow([]byte(body)); !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
		})
	}
}

func FuzzDecodeBackflow(f *testing.F) {
	f.Add([]byte(validBackflow))
	f.Add([]byte(`{"list":[],"xyyb":"HL0","sfyhx":"0"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pg, err := decodeBackflow(b)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, c := range pg.Changes {
			if len(c.IDNumber) != 18 || (c.Op == OpUpsert && (c.HukouType == "" || c.HukouVillage == "")) {
				t.Fatalf("zero value passed on as a fact: %+v", c)
			}
		}
	})
}
