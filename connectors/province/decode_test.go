package province

import (
	"errors"
	"strings"
	"testing"

	"sanmian/connectors"
	"sanmian/hub/evidence"
)

const validPerson = `{"xm":"王秀英","sfzh":"110101199003074258","xb":"2","mz":"01","csrq":"19900307",
"hjdz":"山东省济南市章丘区明水街道某村","hjqh":"370114001201","hklx":"1","hyzk":"20","hh":"370114001201000123",
"yhzgx":"02","swbz":"0","swrq":""}`

const validLicence = `{"zzbs":"1.2.156.3005.2.11100000000013127D001.11370114004324176P.110101199003074258.001.Y",
"zzlxdm":"11100000000013127D","zzlx":"中华人民共和国残疾人证","zzbh":"11010119900307425842","czzt":"王秀英",
"czztdm":"110101199003074258","fzjg":"章丘区残疾人联合会","fzjgdm":"11370114004324176P","fzrq":"20210315",
"yxqz":"20310314","zzzt":"01","kzxx":{"cjlb":"4","cjdj":"2"}}`

func envelopeOf(list string) []byte {
	return []byte(`{"code":"0000","msg":"成功","data":{"total":1,"page":1,"size":50,"list":[` + list + `],"wpp":[]}}`)
}

func decodePersons(body []byte) ([]evidence.ProvinceRecord, error) {
	d := &pageDecoder[rkjcPerson, evidence.ProvinceRecord]{endpoint: EndpointPersons}
	err := decodeEnvelope(EndpointPersons, body, d)
	return d.records, err
}

func decodeLicences(body []byte) ([]evidence.LicenceRecord, error) {
	d := &pageDecoder[dzzzLicence, evidence.LicenceRecord]{endpoint: EndpointLicences}
	err := decodeEnvelope(EndpointLicences, body, d)
	return d.records, err
}

func TestDecodePerson(t *testing.T) {
	recs, err := decodePersons(envelopeOf(validPerson))
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	r := recs[0]
	want := evidence.Person{IDNumber: "110101199003074258", Name: "王秀英", Sex: "F", BirthDate: "1990-03-07", Ethnicity: "汉族",
		HukouType: evidence.HukouAgricultural, Marital: "married"}
	if r.Person.IDNumber != want.IDNumber || r.Person.Sex != want.Sex || r.Person.BirthDate != want.BirthDate ||
		r.Person.HukouType != want.HukouType || r.Person.Marital != want.Marital || r.Person.Ethnicity != want.Ethnicity || r.Person.Deceased {
		t.Errorf("person = %+v", r.Person)
	}
	if r.HukouVillage != "370114001201" || r.Relation != "head" || r.HouseholdID != "370114001201000123" {
		t.Errorf("record = %+v", r)
	}
	if r.Provenance.Record != "110101********4258" || r.Provenance.Platform != evidence.Province {
		t.Errorf("provenance = %+v", r.Provenance)
	}
}

func TestDecodePersonStrict(t *testing.T) {
	tests := []struct{ name, from, to string }{
		{"unknown_sex_code", `"xb":"2"`, `"xb":"9"`},
		{"unknown_ethnicity_code", `"mz":"01"`, `"mz":"77"`},
		{"impossible_birth_date", `"csrq":"19900307"`, `"csrq":"19900230"`},
		{"birth_date_wrong_format", `"csrq":"19900307"`, `"csrq":"1990-03-07"`},
		{"unknown_hukou_type", `"hklx":"1"`, `"hklx":"3"`},
		{"unknown_marital_code", `"hyzk":"20"`, `"hyzk":"55"`},
		{"unknown_death_flag", `"swbz":"0"`, `"swbz":"Y"`},
		{"death_date_without_flag", `"swrq":""`, `"swrq":"20200101"`},
		{"bad_check_character", `"sfzh":"110101199003074258"`, `"sfzh":"110101199003074259"`},
		{"missing_field", `"hklx":"1",`, ``},
		{"wrong_json_type", `"xm":"王秀英"`, `"xm":1`},
		{"unknown_relation_code", `"yhzgx":"02"`, `"yhzgx":"X1"`},
		{"village_not_12_digits", `"hjqh":"370114001201"`, `"hjqh":"370114"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(validPerson, tc.from, tc.to, 1)
			if body == validPerson {
				t.Fatal("mutation did not apply")
			}
			recs, err := decodePersons(envelopeOf(body))
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
			if len(recs) != 0 {
				t.Error("a record was produced from a bad answer")
			}
			if strings.Contains(err.Error(), "110101199003074258") {
				t.Error("error leaks the ID number")
			}
		})
	}
	for name, body := range map[string]string{
		"truncated":          string(envelopeOf(validPerson))[:60],
		"error_code_on_2xx":  `{"code":"5000","msg":"x","data":{}}`,
		"no_data":            `{"code":"0000","msg":"x"}`,
		"page_without_total": `{"code":"0000","msg":"x","data":{"page":1,"size":50,"list":[]}}`,
	} {
		if _, err := decodePersons([]byte(body)); !errors.Is(err, connectors.ErrDecode) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestDecodeLicence(t *testing.T) {
	recs, err := decodeLicences(envelopeOf(validLicence))
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	l := recs[0].Licence
	if l.Type != "disability" || l.Status != "valid" || l.IssuedOn != "2021-03-15" || l.ValidUntil != "2031-03-14" ||
		l.Attrs["category"] != "physical" || l.Attrs["grade"] != 2 || recs[0].Provenance.Record != l.ID {
		t.Errorf("licence = %+v", recs[0])
	}
	long := strings.Replace(validLicence, `"yxqz":"20310314"`, `"yxqz":"长期"`, 1)
	if recs, err := decodeLicences(envelopeOf(long)); err != nil || recs[0].Licence.ValidUntil != "" {
		t.Errorf("long-term licence: %v %+v", err, recs)
	}
	for name, m := range map[string][2]string{
		"unknown_status":     {`"zzzt":"01"`, `"zzzt":"09"`},
		"unknown_type":       {`"zzlx":"中华人民共和国残疾人证"`, `"zzlx":"钓鱼证"`},
		"bad_validity":       {`"yxqz":"20310314"`, `"yxqz":"永久"`},
		"grade_out_of_range": {`"cjdj":"2"`, `"cjdj":"5"`},
		"unknown_category":   {`"cjlb":"4"`, `"cjlb":"9"`},
		"kzxx_wrong_type":    {`"cjdj":"2"`, `"cjdj":2`},
	} {
		body := strings.Replace(validLicence, m[0], m[1], 1)
		if _, err := decodeLicences(envelopeOf(body)); !errors.Is(err, connectors.ErrDecode) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestSignatureWorkedExample pins the worked example published with the wire format.
func TestSignatureWorkedExample(t *testing.T) {
	got := Signature([]byte("province-demo-secret-0001"), "POST", "/gateway/api/rkjc/query",
		"1793491200000", "0123456789abcdef0123456789abcdef", []byte(`{"sfzh":["37018119740317761X"],"page":1,"size":50}`))
	if want := "38202109df0ba9083ed5d17c5c77d727299b33ac715c98a54b0a8146da258cf0"; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}

func FuzzDecodePersons(f *testing.F) {
	f.Add(envelopeOf(validPerson))
	f.Add([]byte(`{"code":"0000","data":{"total":0,"page":1,"size":50,"list":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodePersons(b)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range recs {
			if len(r.Person.IDNumber) != 18 || r.Person.BirthDate == "" || (r.Person.Sex != "M" && r.Person.Sex != "F") || r.Person.HukouType == "" {
				t.Fatalf("zero value passed on as a fact: %+v", r)
			}
		}
	})
}

func FuzzDecodeLicences(f *testing.F) {
	f.Add(envelopeOf(validLicence))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeLicences(b)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.Licence.ID == "" || r.Licence.Type == "" || r.Licence.Status == "" || r.Licence.IssuedOn == "" {
				t.Fatalf("zero value passed on as a fact: %+v", r)
			}
		}
	})
}

const validKinship = `{"sfzh":"110101199003074258","gxrsfzh":"11010519491231002X","gxrxm":"王小红","gxrxb":"2",
"gxrcsrq":"19491231","gx":"30","sjly":"02","zzbs":"1.2.156.3005.2.111000000000133895001.12370114MB0000000X.K370000001.001.3",
"mqsfzh":"110101199003074258","fqsfzh":""}`

func decodeKinship(body []byte) ([]kinshipRow, error) {
	d := &pageDecoder[qsgxRelative, kinshipRow]{endpoint: EndpointKinship}
	err := decodeEnvelope(EndpointKinship, body, d)
	return d.records, err
}

func TestDecodeKinship(t *testing.T) {
	rows, err := decodeKinship(envelopeOf(validKinship))
	if err != nil || len(rows) != 1 {
		t.Fatalf("%+v, %v", rows, err)
	}
	r := rows[0]
	if !r.child || r.record.Child != "11010519491231002X" || r.record.Sex != "F" || r.record.MotherIDNumber != "110101199003074258" ||
		r.record.FatherIDNumber != "" || r.record.Certificate == "" || r.record.Provenance.Record != r.record.Certificate {
		t.Fatalf("decoded %+v", r)
	}
	for name, body := range map[string]string{
		"unknown_relation":     strings.Replace(validKinship, `"gx":"30"`, `"gx":"77"`, 1),
		"birth_certificate_id": strings.Replace(validKinship, `"zzbs":"1.2.156.3005.2.111000000000133895001.12370114MB0000000X.K370000001.001.3"`, `"zzbs":""`, 1),
		"missing_field":        strings.Replace(validKinship, `"fqsfzh":""`, `"x":""`, 1),
		"bad_mother_id":        strings.Replace(validKinship, `"mqsfzh":"110101199003074258"`, `"mqsfzh":"110101199003074259"`, 1),
	} {
		if _, err := decodeKinship(envelopeOf(body)); !errors.Is(err, connectors.ErrDecode) {
			t.Errorf("%s: err = %v, want ErrDecode", name, err)
		}
	}
}

func FuzzDecodeKinship(f *testing.F) {
	f.Add(envelopeOf(validKinship))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := decodeKinship(b)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range rows {
			if len(r.record.Parent) != 18 || len(r.record.Child) != 18 || (r.record.Sex != "M" && r.record.Sex != "F") {
				t.Fatalf("zero value passed on as a fact: %+v", r)
			}
		}
	})
}
