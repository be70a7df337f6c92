package district

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
)

const validResident = `{"id_no":"110101199003074258","name":"王秀英","village_code":"370114008227","village_name":"贾河村",
"town_code":"370114008000","household_no":"370114271000001","relation":"户主","dibao":"N","tekun":"Y",
"disability_category":"多重残疾","disability_grade":4,"veteran":"Y","veteran_type":"martyr_family","in_school":"N",
"school_level":null,"collective_member":"Y","deceased":"N","programs":["高龄老人补贴","最低生活保障"],
"updated_at":"2026-11-01T08:00:00+08:00"}`

func decodeResident(body string) error {
	var w resident
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return derr(EndpointResident, "%s", wire.JSONError(err))
	}
	_, err := w.record(EndpointResident)
	return err
}

func TestDecodeResident(t *testing.T) {
	var w resident
	if err := json.Unmarshal([]byte(validResident), &w); err != nil {
		t.Fatal(err)
	}
	r, err := w.record(EndpointResident)
	if err != nil {
		t.Fatal(err)
	}
	if r.Relation != "head" || !r.Rolls.Tekun || r.Rolls.Dibao || r.Rolls.Veteran != "martyr_family" || r.DisabilityCategory != "multiple" ||
		r.DisabilityGrade != 4 || !slices.Equal(r.Rolls.Enrolled, []string{"elderly_allowance", "minimum_living_allowance"}) {
		t.Errorf("record = %+v", r)
	}
}

func TestDecodeResidentStrict(t *testing.T) {
	tests := []struct{ name, from, to string }{
		{"flag_not_Y_or_N", `"dibao":"N"`, `"dibao":"no"`},
		{"flag_as_boolean", `"tekun":"Y"`, `"tekun":true`},
		{"unknown_relation", `"relation":"户主"`, `"relation":"邻居"`},
		{"unknown_programme", `"最低生活保障"`, `"神秘补贴"`},
		{"unknown_veteran_type", `"martyr_family"`, `"pirate"`},
		{"grade_out_of_range", `"disability_grade":4`, `"disability_grade":7`},
		{"grade_as_string", `"disability_grade":4`, `"disability_grade":"4"`},
		{"category_without_grade", `"disability_grade":4`, `"disability_grade":null`},
		{"unknown_category", `"多重残疾"`, `"其他残疾"`},
		{"missing_programs", `,"programs":["高龄老人补贴","最低生活保障"]`, ``},
		{"bad_village", `"village_code":"370114008227"`, `"village_code":"37011400822"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(validResident, tc.from, tc.to, 1)
			if body == validResident {
				t.Fatal("mutation did not apply")
			}
			if err := decodeResident(body); !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
		})
	}
}

func TestDecodeChanges(t *testing.T) {
	page := `{"changes":[{"seq":1,"op":"upsert","id_no":"110101199003074258","changed_at":"2026-11-01T08:00:00+08:00","resident":` + validResident + `},
{"seq":2,"op":"delete","id_no":"110101199003074258","changed_at":"2026-11-01T08:00:00+08:00","resident":null}],"next_cursor":"djE6Mg","has_more":false}`
	p, err := decodeChanges([]byte(page))
	if err != nil || len(p.Changes) != 2 || p.NextCursor != "djE6Mg" || p.HasMore || p.Changes[0].Resident == nil || p.Changes[1].Op != "delete" {
		t.Fatalf("%+v %v", p, err)
	}
	for name, bad := range map[string]string{
		"seq_not_increasing": strings.Replace(page, `"seq":2`, `"seq":1`, 1),
		"unknown_op":         strings.Replace(page, `"op":"delete"`, `"op":"merge"`, 1),
		"no_cursor":          strings.Replace(page, `"next_cursor":"djE6Mg",`, ``, 1),
		"resident_mismatch":  strings.Replace(page, `"seq":1,"op":"upsert","id_no":"110101199003074258"`, `"seq":1,"op":"upsert","id_no":"11010119900307005X"`, 1),
	} {
		if _, err := decodeChanges([]byte(bad)); !errors.Is(err, connectors.ErrDecode) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestDecodeChangesOtherRolls reads other villages' roll entries into item codes and refuses
// an entry without a village, with a malformed village code or an unknown programme.
func TestDecodeChangesOtherRolls(t *testing.T) {
	withRolls := func(rolls string) []byte {
		rec := strings.Replace(validResident, `"programs":`, `"other_rolls":`+rolls+`,"programs":`, 1)
		return []byte(`{"changes":[{"seq":1,"op":"upsert","id_no":"110101199003074258","changed_at":"2026-11-01T08:00:00+08:00","resident":` +
			rec + `}],"next_cursor":"djE6MQ","has_more":false}`)
	}
	p, err := decodeChanges(withRolls(`[{"village_code":"370114008201","program":"高龄老人补贴"},{"village_code":"370114009202","program":"独生子女父母奖励"}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []RollEntry{{Item: "elderly_allowance", Village: "370114008201"}, {Item: "only_child_parent_reward", Village: "370114009202"}}
	if got := p.Changes[0].OtherRolls; !slices.Equal(got, want) {
		t.Fatalf("other rolls %+v, want %+v", got, want)
	}
	if p, err := decodeChanges(withRolls(`[]`)); err != nil || len(p.Changes[0].OtherRolls) != 0 {
		t.Fatalf("empty other_rolls: %+v %v", p.Changes[0].OtherRolls, err)
	}
	for name, rolls := range map[string]string{
		"no_village":      `[{"program":"高龄老人补贴"}]`,
		"bad_village":     `[{"village_code":"3701140082","program":"高龄老人补贴"}]`,
		"unknown_program": `[{"village_code":"370114008201","program":"养老金"}]`,
		"not_a_list":      `{"village_code":"370114008201"}`,
	} {
		if _, err := decodeChanges(withRolls(rolls)); !errors.Is(err, connectors.ErrDecode) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func FuzzDecodeResident(f *testing.F) {
	f.Add([]byte(validResident))
	f.Fuzz(func(t *testing.T, b []byte) {
		var w resident
		if json.Unmarshal(b, &w) != nil {
			return
		}
		r, err := w.record(EndpointResident)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(r.IDNumber) != 18 || len(r.Village) != 12 || r.Relation == "" || r.Rolls.Enrolled == nil {
			t.Fatalf("zero value passed on as a fact: %+v", r)
		}
	})
}

func FuzzDecodeChanges(f *testing.F) {
	f.Add([]byte(`{"changes":[],"next_cursor":"x","has_more":false}`))
	f.Add([]byte(`{"changes":[{"seq":1,"op":"upsert","id_no":"110101199003074258","changed_at":"2026-11-01T08:00:00+08:00","resident":` +
		strings.Replace(validResident, `"programs":`, `"other_rolls":[{"village_code":"370114008201","program":"高龄老人补贴"}],"programs":`, 1) +
		`}],"next_cursor":"djE6MQ","has_more":false}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeChanges(b)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if p.NextCursor == "" {
			t.Fatal("empty cursor accepted")
		}
		for _, c := range p.Changes {
			for _, e := range c.OtherRolls {
				if e.Item == "" || len(e.Village) != 12 {
					t.Fatalf("roll entry passed on without a known item or a village: %+v", e)
				}
			}
		}
	})
}
