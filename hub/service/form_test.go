package service

import (
	"encoding/json"
	"testing"

	"sanmian/hub/evidence"
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

// TestBuildFormLand: the farmland field is filled only from land the household record gave
// (a recorded 0 included, with the household record's provenance); land not obtained is left
// for manual entry as "no platform holds this value", never shown as 0.
func TestBuildFormLand(t *testing.T) {
	item := Item{Code: "farmland_protection_subsidy", Fields: []FieldSpec{
		{Name: "land_mu", Label: "承包耕地面积（亩）", Path: "applicant.rolls.land_mu", Autofill: true, Mask: "none"}}}
	dec := Decision{ID: "d1", Autofill: []string{"land_mu"}}
	resident := evidence.Provenance{Platform: evidence.District, Endpoint: "residents:get", Record: "370114********0012"}
	household := evidence.Provenance{Platform: evidence.District, Endpoint: "households:get", Record: "370114000000001"}
	cases := []struct {
		name     string
		land     *float64
		want     any
		endpoint string
	}{
		{"land_on_record", new(2.5), 2.5, "households:get"},
		{"no_land_on_record", new(0.0), 0.0, "households:get"},
		{"household_record_not_read", nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &evidence.Bundle{
				Applicant:  evidence.Person{IDNumber: "370114196001010012", Rolls: &evidence.Rolls{Enrolled: []string{}, LandMu: tc.land}},
				Provenance: map[string]evidence.Provenance{"applicant.rolls": resident},
			}
			if tc.land != nil {
				b.Provenance["applicant.rolls.land_mu"] = household
			}
			f := buildForm(item, b, dec).Fields[0]
			if tc.land == nil {
				if !f.Manual || f.Value != nil || f.Source != nil || f.Note == "" {
					t.Fatalf("field %+v, want manual entry with a note and no value", f)
				}
				return
			}
			if f.Manual || f.Value != tc.want || f.Source == nil || f.Source.Endpoint != tc.endpoint {
				t.Fatalf("field %+v (source %+v), want %v from %s", f, f.Source, tc.want, tc.endpoint)
			}
		})
	}
}
