package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
)

func TestProvinceAuth(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	body := map[string]any{"sfzh": ids(p.Data, 0, 3)}

	tests := []struct {
		name   string
		modify func(s *signer)       // before signing
		after  func(r *http.Request) // after signing
		status int
		code   string
	}{
		{name: "valid_signature", status: 200, code: "0000"},
		{name: "no_signature", after: func(r *http.Request) { r.Header.Del("X-Signature") }, status: 401, code: "4011"},
		{name: "no_headers", after: func(r *http.Request) {
			for _, h := range []string{"X-App-Key", "X-Timestamp", "X-Nonce", "X-Signature"} {
				r.Header.Del(h)
			}
		}, status: 401, code: "4011"},
		{name: "short_nonce", modify: func(s *signer) { s.nonce = func() string { return "short" } }, status: 401, code: "4011"},
		{name: "unknown_app_key", modify: func(s *signer) { s.key = "someone-else" }, status: 401, code: "4012"},
		{name: "bad_signature", modify: func(s *signer) { s.secret = "wrong-secret" }, status: 401, code: "4010"},
		{name: "signature_over_other_path", after: func(r *http.Request) { r.URL.Path = "/gateway/api/dzzz/query" }, status: 401, code: "4010"},
		{name: "stale_timestamp", modify: func(s *signer) { s.now = func() time.Time { return time.Now().Add(-6 * time.Minute) } }, status: 401, code: "4013"},
		{name: "future_timestamp", modify: func(s *signer) { s.now = func() time.Time { return time.Now().Add(6 * time.Minute) } }, status: 401, code: "4013"},
		{name: "timestamp_in_seconds", modify: func(s *signer) {
			s.now = func() time.Time { return time.Unix(0, time.Now().Unix()*int64(time.Millisecond)) }
		}, status: 401, code: "4013"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSigner(p.Credentials)
			if tt.modify != nil {
				tt.modify(s)
			}
			req := provinceRequest(t, p, "/gateway/api/rkjc/query", body, s)
			if tt.after != nil {
				tt.after(req)
			}
			r := do(t, c, req)
			env := decode[provinceEnvelope[json.RawMessage]](t, r)
			if r.status != tt.status || env.Code != tt.code {
				t.Fatalf("got %d %s %s, want %d %s", r.status, env.Code, env.Msg, tt.status, tt.code)
			}
		})
	}

	t.Run("replayed_nonce", func(t *testing.T) {
		s := newSigner(p.Credentials)
		s.nonce = func() string { return "fixed-nonce-0123456789" }
		for i, want := range []string{"0000", "4014"} {
			r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", body, s))
			env := decode[provinceEnvelope[json.RawMessage]](t, r)
			if env.Code != want {
				t.Fatalf("attempt %d: got %d %s, want %s", i, r.status, env.Code, want)
			}
		}
	})

	t.Run("tampered_body", func(t *testing.T) {
		s := newSigner(p.Credentials)
		req := provinceRequest(t, p, "/gateway/api/rkjc/query", body, s)
		b, _ := json.Marshal(map[string]any{"sfzh": ids(p.Data, 10, 3)})
		req.Body = ioNopCloser(b)
		req.ContentLength = int64(len(b))
		r := do(t, c, req)
		if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 401 || env.Code != "4010" {
			t.Fatalf("got %d %s", r.status, env.Code)
		}
	})
}

func TestProvinceQueries(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	s := newSigner(p.Credentials)

	t.Run("population_found_and_unmatched", func(t *testing.T) {
		want := ids(p.Data, 0, 5)
		r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": append(want, unknownID), "page": 1, "size": 50}, s))
		env := decode[provinceEnvelope[rkjcPage]](t, r)
		if r.status != 200 || env.Code != "0000" || env.Msg != "成功" {
			t.Fatalf("got %d %+v", r.status, env)
		}
		if env.Data.Total != 5 || len(env.Data.List) != 5 || !slices.Equal(env.Data.Wpp, []string{unknownID}) {
			t.Fatalf("total %d list %d wpp %v", env.Data.Total, len(env.Data.List), env.Data.Wpp)
		}
		for i, rec := range env.Data.List {
			person := &p.Data.Persons[i]
			if rec["sfzh"] != want[i] || rec["xm"] != person.Name || rec["csrq"] != person.Birth.Compact() {
				t.Errorf("record %d: %v", i, rec)
			}
			if len(rec["hjqh"]) != 12 || (rec["xb"] != "1" && rec["xb"] != "2") || (rec["hklx"] != "1" && rec["hklx"] != "2") {
				t.Errorf("record %d codes: %v", i, rec)
			}
			if (rec["swbz"] == "1") != (person.Death != 0) {
				t.Errorf("record %d death flag %q", i, rec["swbz"])
			}
		}
	})

	t.Run("population_paged", func(t *testing.T) {
		want := ids(p.Data, 20, 5)
		var got []string
		for page := 1; page <= 3; page++ {
			r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": want, "page": page, "size": 2}, s))
			env := decode[provinceEnvelope[rkjcPage]](t, r)
			if env.Data.Total != 5 || env.Data.Page != page || env.Data.Size != 2 {
				t.Fatalf("page %d: %+v", page, env.Data)
			}
			for _, rec := range env.Data.List {
				got = append(got, rec["sfzh"])
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged ids %v, want %v", got, want)
		}
	})

	t.Run("population_unknown_is_404", func(t *testing.T) {
		r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": []string{unknownID}}, s))
		env := decode[provinceEnvelope[rkjcPage]](t, r)
		if r.status != 404 || env.Code != "4040" || !slices.Equal(env.Data.Wpp, []string{unknownID}) {
			t.Fatalf("got %d %+v", r.status, env)
		}
	})

	t.Run("population_too_many_ids", func(t *testing.T) {
		r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": ids(p.Data, 0, 51)}, s))
		if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 400 || env.Code != "4000" {
			t.Fatalf("got %d %s", r.status, env.Code)
		}
	})

	t.Run("licences_of_five_holders_in_one_call", func(t *testing.T) {
		holders := ids(p.Data, 0, 5)
		r := do(t, c, provinceRequest(t, p, "/gateway/api/dzzz/query", map[string]any{"czztdm": holders}, s))
		env := decode[provinceEnvelope[dzzzPage]](t, r)
		if r.status != 200 || env.Code != "0000" {
			t.Fatalf("got %d %+v", r.status, env)
		}
		want := 0
		for i := range 5 {
			want += len(p.Data.Licences(int32(i)))
		}
		if env.Data.Total != want || len(env.Data.List) != want {
			t.Fatalf("total %d list %d, want %d in one page", env.Data.Total, len(env.Data.List), want)
		}
		for _, l := range env.Data.List {
			if !slices.Contains(holders, l.Czztdm) || !strings.HasPrefix(l.Zzbs, "1.2.156.3005.2.") ||
				l.Zzlxdm == "" || l.Zzlx == "" || l.Fzjgdm == "" || len(l.Fzrq) != 8 ||
				(l.Yxqz != "长期" && len(l.Yxqz) != 8) || !slices.Contains([]string{"01", "02", "03"}, l.Zzzt) {
				t.Errorf("licence %+v", l)
			}
		}
	})

	t.Run("licences_filtered_by_type", func(t *testing.T) {
		holder, lic := personWithLicence(t, p.Data, "disability")
		r := do(t, c, provinceRequest(t, p, "/gateway/api/dzzz/query", map[string]any{"czztdm": []string{holder}, "zzlx": []string{lic.TypeName}}, s))
		env := decode[provinceEnvelope[dzzzPage]](t, r)
		if env.Data.Total == 0 {
			t.Fatalf("no %s licence: %+v", lic.TypeName, env)
		}
		for _, l := range env.Data.List {
			if l.Zzlx != lic.TypeName {
				t.Errorf("filter let through %q", l.Zzlx)
			}
			if l.Kzxx["cjlb"] == "" || l.Kzxx["cjdj"] == "" {
				t.Errorf("disability licence without category/grade: %v", l.Kzxx)
			}
		}
		code := env.Data.List[0].Zzlxdm
		r = do(t, c, provinceRequest(t, p, "/gateway/api/dzzz/query", map[string]any{"czztdm": []string{holder}, "zzlxdm": []string{code}}, s))
		if env2 := decode[provinceEnvelope[dzzzPage]](t, r); env2.Data.Total != env.Data.Total {
			t.Fatalf("by code %d, by name %d", env2.Data.Total, env.Data.Total)
		}
	})

	t.Run("licences_unknown_holder_is_404", func(t *testing.T) {
		r := do(t, c, provinceRequest(t, p, "/gateway/api/dzzz/query", map[string]any{"czztdm": []string{unknownID}}, s))
		if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 404 || env.Code != "4040" {
			t.Fatalf("got %d %s", r.status, env.Code)
		}
	})

	t.Run("wrong_method", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, p.Province.URL()+"/gateway/api/rkjc/query", nil)
		r := do(t, c, req)
		if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 405 || env.Code != "4050" {
			t.Fatalf("got %d %s", r.status, env.Code)
		}
	})

	t.Run("unknown_path", func(t *testing.T) {
		r := do(t, c, provinceRequest(t, p, "/gateway/api/nope", map[string]any{}, s))
		if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 404 || env.Code != "4041" {
			t.Fatalf("got %d %s", r.status, env.Code)
		}
	})

	t.Run("body_too_large", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 1<<20+1)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, p.Province.URL()+"/gateway/api/rkjc/query", bytes.NewReader(big))
		s.sign(req, big)
		r := do(t, c, req)
		if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 413 || env.Code != "4130" {
			t.Fatalf("got %d %s", r.status, env.Code)
		}
	})
}

// personWithLicence finds a holder of a licence of the given synth type.
func personWithLicence(t *testing.T, d *synth.District, typ string) (string, synth.Licence) {
	t.Helper()
	for i := range d.Persons {
		for _, l := range d.Licences(int32(i)) {
			if l.Type == typ {
				return d.Persons[i].ID, l
			}
		}
	}
	t.Skipf("no %s licence in the test district", typ)
	return "", synth.Licence{}
}

type insuredPerson struct {
	IDNumber string `json:"idNumber"`
	Name     string `json:"name"`
	Pension  struct {
		Status        string  `json:"status"`
		EnrolledOn    *string `json:"enrolledOn"`
		MonthlyAmount float64 `json:"monthlyAmount"`
	} `json:"pension"`
	MedicalInsurance struct {
		Status string `json:"status"`
		Year   *int   `json:"year"`
	} `json:"medicalInsurance"`
	Employment struct {
		Status               string  `json:"status"`
		UnemployedSince      *string `json:"unemployedSince"`
		EmploymentDifficulty bool    `json:"employmentDifficulty"`
	} `json:"employment"`
	UpdatedAt string `json:"updatedAt"`
}

func TestCity(t *testing.T) {
	p := start(t, sim.Config{TokenTTL: time.Second})
	c := newClient(t, 5*time.Second)

	t.Run("token_basic_and_form", func(t *testing.T) {
		for _, basic := range []bool{true, false} {
			r := do(t, c, cityTokenRequest(t, p, p.Credentials.CityClientID, p.Credentials.CityClientSecret, basic))
			tok := decode[map[string]any](t, r)
			if r.status != 200 || tok["token_type"] != "Bearer" || tok["access_token"] == "" || tok["expires_in"] != 1.0 {
				t.Fatalf("basic=%v: %d %v", basic, r.status, tok)
			}
		}
	})

	t.Run("token_wrong_secret", func(t *testing.T) {
		r := do(t, c, cityTokenRequest(t, p, p.Credentials.CityClientID, "nope", true))
		if r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") || decode[map[string]string](t, r)["error"] != "invalid_client" {
			t.Fatalf("got %d %s %s", r.status, r.header.Get("WWW-Authenticate"), r.body)
		}
	})

	t.Run("token_wrong_grant", func(t *testing.T) {
		req := cityTokenRequest(t, p, p.Credentials.CityClientID, p.Credentials.CityClientSecret, true)
		req.Body = ioNopCloser([]byte("grant_type=password"))
		req.ContentLength = int64(len("grant_type=password"))
		r := do(t, c, req)
		if r.status != 400 || decode[map[string]string](t, r)["error"] != "unsupported_grant_type" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})

	t.Run("person_and_not_found", func(t *testing.T) {
		tok := cityToken(t, c, p)
		id := p.Data.Persons[3].ID
		r := do(t, c, cityGet(t, p, tok, id))
		ip := decode[insuredPerson](t, r)
		if r.status != 200 || ip.IDNumber != id || ip.Pension.Status == "" || ip.MedicalInsurance.Status == "" || ip.Employment.Status == "" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		r = do(t, c, cityGet(t, p, tok, unknownID))
		e := decode[map[string]map[string]any](t, r)
		if r.status != 404 || e["error"]["status"] != "NOT_FOUND" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})

	t.Run("no_token", func(t *testing.T) {
		r := do(t, c, cityGet(t, p, "", p.Data.Persons[0].ID))
		if r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("got %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
	})

	t.Run("expired_token", func(t *testing.T) {
		tok := cityToken(t, c, p)
		if r := do(t, c, cityGet(t, p, tok, p.Data.Persons[0].ID)); r.status != 200 {
			t.Fatalf("fresh token: %d", r.status)
		}
		time.Sleep(1200 * time.Millisecond)
		r := do(t, c, cityGet(t, p, tok, p.Data.Persons[0].ID))
		if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("expired token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
	})

	t.Run("batch_get", func(t *testing.T) {
		tok := cityToken(t, c, p)
		want := ids(p.Data, 0, 99)
		r := do(t, c, cityBatch(t, p, tok, append(want, unknownID)))
		b := decode[struct {
			Items    []insuredPerson `json:"items"`
			NotFound []string        `json:"notFound"`
		}](t, r)
		if r.status != 200 || len(b.Items) != 99 || !slices.Equal(b.NotFound, []string{unknownID}) {
			t.Fatalf("got %d items %d notFound %v", r.status, len(b.Items), b.NotFound)
		}
		for i, it := range b.Items {
			if it.IDNumber != want[i] {
				t.Fatalf("item %d out of order", i)
			}
		}
	})

	t.Run("batch_get_over_limit", func(t *testing.T) {
		tok := cityToken(t, c, p)
		r := do(t, c, cityBatch(t, p, tok, ids(p.Data, 0, 101)))
		if e := decode[map[string]map[string]any](t, r); r.status != 400 || e["error"]["status"] != "INVALID_ARGUMENT" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}

type districtResident struct {
	IDNo               string   `json:"id_no"`
	Name               string   `json:"name"`
	VillageCode        string   `json:"village_code"`
	VillageName        string   `json:"village_name"`
	HouseholdNo        string   `json:"household_no"`
	Relation           string   `json:"relation"`
	Dibao              string   `json:"dibao"`
	Tekun              string   `json:"tekun"`
	DisabilityCategory *string  `json:"disability_category"`
	DisabilityGrade    *int     `json:"disability_grade"`
	Deceased           string   `json:"deceased"`
	Programs           []string `json:"programs"`
	UpdatedAt          string   `json:"updated_at"`
}

func TestDistrict(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	key := p.Credentials.DistrictAPIKey

	t.Run("missing_key", func(t *testing.T) {
		r := do(t, c, districtGet(t, p, "", "/open/v1/residents/"+p.Data.Persons[0].ID))
		if r.status != 401 || decode[map[string]string](t, r)["error"] != "unauthorized" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})

	t.Run("wrong_key", func(t *testing.T) {
		r := do(t, c, districtGet(t, p, "wrong", "/open/v1/residents/"+p.Data.Persons[0].ID))
		if r.status != 403 || decode[map[string]string](t, r)["error"] != "forbidden" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})

	t.Run("resident", func(t *testing.T) {
		person := &p.Data.Persons[5]
		r := do(t, c, districtGet(t, p, key, "/open/v1/residents/"+person.ID))
		res := decode[districtResident](t, r)
		if r.status != 200 || res.IDNo != person.ID || len(res.VillageCode) != 12 || res.HouseholdNo == "" ||
			(res.Dibao != "Y" && res.Dibao != "N") || res.Programs == nil {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		if _, err := time.Parse(time.RFC3339, res.UpdatedAt); err != nil {
			t.Errorf("updated_at: %v", err)
		}
	})

	t.Run("resident_programs_by_chinese_name", func(t *testing.T) {
		for i := range p.Data.Persons {
			person := &p.Data.Persons[i]
			if person.Enrolled == 0 {
				continue
			}
			res := decode[districtResident](t, do(t, c, districtGet(t, p, key, "/open/v1/residents/"+person.ID)))
			for _, name := range res.Programs {
				if !slices.ContainsFunc(synth.Programs, func(pr synth.Program) bool { return pr.Name == name }) {
					t.Fatalf("unknown programme %q", name)
				}
			}
			if len(res.Programs) == 0 {
				t.Fatalf("enrolled person without programmes")
			}
			return
		}
		t.Skip("nobody enrolled in the test district")
	})

	t.Run("resident_not_found", func(t *testing.T) {
		r := do(t, c, districtGet(t, p, key, "/open/v1/residents/"+unknownID))
		if r.status != 404 || decode[map[string]string](t, r)["error"] != "not_found" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})

	t.Run("household", func(t *testing.T) {
		h := &p.Data.Households[0]
		r := do(t, c, districtGet(t, p, key, "/open/v1/households/"+h.No))
		got := decode[struct {
			HouseholdNo string `json:"household_no"`
			VillageCode string `json:"village_code"`
			Members     []struct {
				IDNo     string `json:"id_no"`
				Name     string `json:"name"`
				Relation string `json:"relation"`
			} `json:"members"`
			Dibao     string          `json:"dibao"`
			LandMu    float64         `json:"land_mu"`
			Homestead json.RawMessage `json:"homestead"`
		}](t, r)
		if r.status != 200 || got.HouseholdNo != h.No || len(got.Members) != len(h.Members) || got.Members[0].Relation != "户主" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		if r := do(t, c, districtGet(t, p, key, "/open/v1/households/370114999999999")); r.status != 404 {
			t.Fatalf("unknown household: %d", r.status)
		}
	})
}

type changePage struct {
	Changes []struct {
		Seq      uint64            `json:"seq"`
		Op       string            `json:"op"`
		IDNo     string            `json:"id_no"`
		Resident *districtResident `json:"resident"`
	} `json:"changes"`
	NextCursor string `json:"next_cursor"`
	HasMore    bool   `json:"has_more"`
}

func TestDistrictChangeFeed(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	key := p.Credentials.DistrictAPIKey

	walk := func(t *testing.T, cursor string, limit int) ([]uint64, []string, string) {
		var seqs []uint64
		var people []string
		for range 10_000 {
			r := do(t, c, districtGet(t, p, key, "/open/v1/changes?limit="+itoa(limit)+"&cursor="+cursor))
			if r.status != 200 {
				t.Fatalf("changes: %d %s", r.status, r.body)
			}
			pg := decode[changePage](t, r)
			if len(pg.Changes) > limit {
				t.Fatalf("%d changes over limit %d", len(pg.Changes), limit)
			}
			for _, ch := range pg.Changes {
				if ch.Op != "upsert" && ch.Op != "delete" || ch.Resident == nil || ch.Resident.IDNo != ch.IDNo {
					t.Fatalf("change %+v", ch)
				}
				seqs = append(seqs, ch.Seq)
				people = append(people, ch.IDNo)
			}
			cursor = pg.NextCursor
			if !pg.HasMore {
				return seqs, people, cursor
			}
		}
		t.Fatal("change feed never ends")
		return nil, nil, ""
	}

	seqs, people, end := walk(t, "", 37)
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Fatal("sequence numbers not strictly increasing")
	}
	if len(seqs) != int(p.Data.LastSeq()) {
		t.Fatalf("walk saw %d changes, feed holds %d", len(seqs), p.Data.LastSeq())
	}
	all := map[string]bool{}
	for _, id := range people {
		all[id] = true
	}
	if len(all) != len(p.Data.Persons) {
		t.Fatalf("walk covered %d residents of %d", len(all), len(p.Data.Persons))
	}

	t.Run("resumable_from_cursor", func(t *testing.T) {
		r := do(t, c, districtGet(t, p, key, "/open/v1/changes?limit=100"))
		first := decode[changePage](t, r)
		rest, _, _ := walk(t, first.NextCursor, 500)
		if got := append([]uint64{}, rest...); len(got) == 0 || got[0] != first.Changes[len(first.Changes)-1].Seq+1 ||
			len(first.Changes)+len(rest) != len(seqs) {
			t.Fatalf("resumed walk: %d + %d of %d", len(first.Changes), len(rest), len(seqs))
		}
	})

	t.Run("end_cursor_is_empty_not_error", func(t *testing.T) {
		r := do(t, c, districtGet(t, p, key, "/open/v1/changes?cursor="+end))
		pg := decode[changePage](t, r)
		if r.status != 200 || len(pg.Changes) != 0 || pg.HasMore || pg.NextCursor != end {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})

	for _, q := range []string{"cursor=not-a-cursor!", "cursor=djE6OTk5OTk5OTk5", "limit=5001", "limit=0", "limit=x"} {
		t.Run("bad_request_"+q, func(t *testing.T) {
			r := do(t, c, districtGet(t, p, key, "/open/v1/changes?"+q))
			if r.status != 400 || decode[map[string]string](t, r)["error"] != "bad_request" {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
}

func TestStatsCountRequests(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	key := p.Credentials.DistrictAPIKey
	for _, id := range ids(p.Data, 0, 3) {
		do(t, c, districtGet(t, p, key, "/open/v1/residents/"+id))
	}
	do(t, c, districtGet(t, p, "wrong", "/open/v1/residents/"+unknownID))
	do(t, c, districtGet(t, p, key, "/open/v1/residents/"+unknownID))
	do(t, c, adminRequest(t, http.MethodGet, p.District.URL()+"/_sim/faults", "")) // not counted

	st := p.District.Stats()
	if st.Requests != 5 || st.ByEndpoint["GET /open/v1/residents/{id_no}"] != 5 ||
		st.ByStatus["200"] != 3 || st.ByStatus["403"] != 1 || st.ByStatus["404"] != 1 || st.IDsRequested != 4 {
		t.Fatalf("stats %+v", st)
	}
	r := do(t, c, adminRequest(t, http.MethodGet, p.District.URL()+"/_sim/stats", ""))
	if got := decode[sim.Stats](t, r); got.Requests != 5 || got.ByStatus["404"] != 1 {
		t.Fatalf("/_sim/stats %s", r.body)
	}
	if r := do(t, c, adminRequest(t, http.MethodDelete, p.District.URL()+"/_sim/stats", "")); r.status != 204 {
		t.Fatalf("reset: %d", r.status)
	}
	if st := p.District.Stats(); st.Requests != 0 || len(st.ByStatus) != 0 {
		t.Fatalf("after reset %+v", st)
	}

	tok := cityToken(t, c, p)
	do(t, c, cityBatch(t, p, tok, ids(p.Data, 0, 40)))
	if st := p.City.Stats(); st.Requests != 2 || st.IDsRequested != 40 || st.ByEndpoint["POST /oauth2/token"] != 1 {
		t.Fatalf("city stats %+v", st)
	}
}

func TestStartAndClose(t *testing.T) {
	t.Run("closes_when_context_ends", func(t *testing.T) {
		ctx, cancel := contextWithCancel(t)
		p, err := sim.Start(ctx, sim.Config{District: testData(t)})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		c := newClient(t, time.Second)
		if _, err := c.Get(p.District.URL() + "/_sim/stats"); err == nil {
			t.Fatal("server still answers after Close")
		}
	})

	t.Run("port_in_use", func(t *testing.T) {
		p := start(t, sim.Config{})
		port := p.City.Addr().(interface{ String() string }).String()
		_, portNum, _ := strings.Cut(port, ":")
		_, err := sim.Start(t.Context(), sim.Config{District: testData(t), Ports: [3]int{0, 0, atoi(portNum)}})
		if err == nil {
			t.Fatal("Start on a busy port succeeded")
		}
	})

	t.Run("invalid_config", func(t *testing.T) {
		for _, cfg := range []sim.Config{
			{Ports: [3]int{8000, 8000, 0}},
			{Ports: [3]int{-1, 0, 0}},
			{Residents: -1},
			{Faults: "no-such-profile"},
		} {
			if _, err := sim.Start(t.Context(), cfg); err == nil {
				t.Errorf("Start(%+v) succeeded", cfg)
			}
		}
	})

	t.Run("demo_credentials_by_default", func(t *testing.T) {
		p := start(t, sim.Config{})
		if p.Credentials != sim.DemoCredentials() {
			t.Fatalf("credentials %+v", p.Credentials)
		}
	})
}

func TestDistrictRecordedChanges(t *testing.T) {
	p := start(t, sim.Config{District: freshData(t)})
	c := newClient(t, 5*time.Second)
	key := p.Credentials.DistrictAPIKey

	// Walk to the end, keep the cursor, then record changes and fetch only those.
	var cursor string
	for {
		pg := decode[changePage](t, do(t, c, districtGet(t, p, key, "/open/v1/changes?limit=5000&cursor="+cursor)))
		cursor = pg.NextCursor
		if !pg.HasMore {
			break
		}
	}
	gone, back := p.Data.Persons[7].ID, p.Data.Persons[8].ID
	if _, err := p.RecordChange(gone, "delete"); err != nil {
		t.Fatal(err)
	}
	r := do(t, c, adminRequest(t, http.MethodPost, p.District.URL()+"/_sim/changes", `{"id_no":"`+back+`","op":"upsert"}`))
	if r.status != 201 {
		t.Fatalf("POST /_sim/changes: %d %s", r.status, r.body)
	}
	if _, err := p.RecordChange(unknownID, "delete"); !errors.Is(err, sim.ErrUnknownPerson) {
		t.Fatalf("unknown person: %v", err)
	}
	if _, err := p.RecordChange(gone, "rename"); !errors.Is(err, sim.ErrChangeOp) {
		t.Fatalf("bad op: %v", err)
	}

	pg := decode[changePage](t, do(t, c, districtGet(t, p, key, "/open/v1/changes?cursor="+cursor)))
	if len(pg.Changes) != 2 || pg.HasMore || pg.Changes[0].Op != "delete" || pg.Changes[0].IDNo != gone ||
		pg.Changes[1].Op != "upsert" || pg.Changes[1].IDNo != back || pg.Changes[0].Resident == nil {
		t.Fatalf("incremental changes %+v", pg)
	}
	if r := do(t, c, districtGet(t, p, key, "/open/v1/residents/"+gone)); r.status != 404 {
		t.Fatalf("deleted resident: %d", r.status)
	}
	if _, err := p.RecordChange(gone, "upsert"); err != nil {
		t.Fatal(err)
	}
	if r := do(t, c, districtGet(t, p, key, "/open/v1/residents/"+gone)); r.status != 200 {
		t.Fatalf("restored resident: %d", r.status)
	}
}
