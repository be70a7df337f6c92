package sim_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
)

type backflowPage struct {
	List []struct {
		Xh   uint64            `json:"xh"`
		Czlx string            `json:"czlx"`
		Sfzh string            `json:"sfzh"`
		Gxsj string            `json:"gxsj"`
		Ryxx map[string]string `json:"ryxx"`
		Zzlb []dzzzLicence     `json:"zzlb"`
	} `json:"list"`
	Xyyb  string `json:"xyyb"`
	Sfyhx string `json:"sfyhx"`
}

type cityChangePage struct {
	Changes []struct {
		Sequence      uint64         `json:"sequence"`
		Type          string         `json:"type"`
		IDNumber      string         `json:"idNumber"`
		ChangeTime    string         `json:"changeTime"`
		InsuredPerson map[string]any `json:"insuredPerson"`
	} `json:"changes"`
	NextPageToken string `json:"nextPageToken"`
	HasMore       bool   `json:"hasMore"`
}

func cityChanges(t *testing.T, p *sim.Platforms, token, query string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.City.URL()+"/api/v2/insured-persons:changes?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// TestProvinceBackflowFeed walks the backflow feed (数据回流) page by page: every person once,
// strictly increasing xh, only the backflow licence types, deaths with their date, a resumable
// cursor, and recorded deletes as czlx "D".
func TestProvinceBackflowFeed(t *testing.T) {
	p := start(t, sim.Config{District: freshData(t)})
	c := newClient(t, 5*time.Second)
	s := newSigner(p.Credentials)
	fetch := func(t *testing.T, cursor string, size int) backflowPage {
		t.Helper()
		r := do(t, c, provinceRequest(t, p, "/gateway/api/sjhl/query", map[string]any{"yb": cursor, "size": size}, s))
		if r.status != http.StatusOK {
			t.Fatalf("sjhl: %d %s", r.status, r.body)
		}
		env := decode[provinceEnvelope[backflowPage]](t, r)
		if env.Code != "0000" {
			t.Fatalf("sjhl: code %s", env.Code)
		}
		return env.Data
	}
	cursor, seen := "", map[string]bool{}
	var last uint64
	var deaths, disability, births int
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("backflow feed never ends")
		}
		pg := fetch(t, cursor, 333)
		if len(pg.List) > 333 || pg.Xyyb == "" {
			t.Fatalf("page of %d entries, cursor %q", len(pg.List), pg.Xyyb)
		}
		for _, e := range pg.List {
			if e.Xh <= last || e.Czlx != "U" || e.Ryxx == nil {
				t.Fatalf("entry %+v after xh %d", e, last)
			}
			last = e.Xh
			seen[e.Sfzh] = true
			per, _, ok := p.Data.PersonByID(e.Sfzh)
			if !ok {
				t.Fatalf("unknown person in the feed")
			}
			if (e.Ryxx["swbz"] == "1") != (per.Death != 0) || e.Ryxx["swrq"] != per.Death.Compact() {
				t.Fatalf("death %v, want %v", e.Ryxx, per.Death)
			}
			if per.Death != 0 {
				deaths++
			}
			for _, l := range e.Zzlb {
				if l.Czztdm != e.Sfzh {
					t.Fatalf("licence of another holder in the entry")
				}
				if l.Kzxx["cjdj"] != "" {
					disability++
				}
				if l.Kzxx["mqsfzh"] != "" || l.Kzxx["fqsfzh"] != "" {
					births++
				}
				if l.Zzlxdm == "" || l.Zzlx == "居民身份证" || l.Zzlx == "居民户口簿" {
					t.Fatalf("licence type %q (%s) is not part of the backflow", l.Zzlx, l.Zzlxdm)
				}
			}
		}
		cursor = pg.Xyyb
		if pg.Sfyhx == "0" {
			break
		}
	}
	if len(seen) != len(p.Data.Persons) || deaths == 0 || disability == 0 || births == 0 {
		t.Fatalf("walk: %d persons of %d, %d deaths, %d disability and %d birth certificates", len(seen), len(p.Data.Persons), deaths, disability, births)
	}

	t.Run("end_cursor_gives_an_empty_last_page", func(t *testing.T) {
		pg := fetch(t, cursor, 10)
		if len(pg.List) != 0 || pg.Sfyhx != "0" || pg.Xyyb != cursor {
			t.Fatalf("page after the end: %+v", pg)
		}
	})

	t.Run("recorded_delete_and_upsert", func(t *testing.T) {
		gone := p.Data.Persons[5].ID
		if _, err := p.RecordChange(gone, synth.OpDelete); err != nil {
			t.Fatal(err)
		}
		if _, err := p.RecordChange(gone, synth.OpUpsert); err != nil {
			t.Fatal(err)
		}
		pg := fetch(t, cursor, 10)
		if len(pg.List) != 2 || pg.List[0].Czlx != "D" || pg.List[0].Ryxx != nil || len(pg.List[0].Zzlb) != 0 ||
			pg.List[1].Czlx != "U" || pg.List[1].Sfzh != gone {
			t.Fatalf("recorded changes: %+v", pg.List)
		}
	})

	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"size_too_large", map[string]any{"size": 5001}, "4000"},
		{"size_negative", map[string]any{"size": -1}, "4000"},
		{"cursor_foreign", map[string]any{"yb": "XY12"}, "4001"},
		{"cursor_beyond_the_end", map[string]any{"yb": "HLzzzzzz"}, "4001"},
	} {
		t.Run("bad_request_"+tc.name, func(t *testing.T) {
			r := do(t, c, provinceRequest(t, p, "/gateway/api/sjhl/query", tc.body, s))
			if env := decode[provinceEnvelope[any]](t, r); r.status != http.StatusBadRequest || env.Code != tc.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	t.Run("unsigned_refused", func(t *testing.T) {
		r := do(t, c, provinceRequest(t, p, "/gateway/api/sjhl/query", map[string]any{"size": 1}, nil))
		if r.status != http.StatusUnauthorized {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}

// TestCityEnrolmentFeed walks the city's enrolment changes: bearer token required, page
// tokens resumable, every person once with their insurance record, deletes as DELETE.
func TestCityEnrolmentFeed(t *testing.T) {
	p := start(t, sim.Config{District: freshData(t)})
	c := newClient(t, 5*time.Second)
	tok := cityToken(t, c, p)
	token, seen := "", map[string]bool{}
	var last uint64
	receiving := 0
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("change feed never ends")
		}
		r := do(t, c, cityChanges(t, p, tok, url.Values{"pageSize": {"250"}, "pageToken": {token}}.Encode()))
		if r.status != http.StatusOK {
			t.Fatalf("changes: %d %s", r.status, r.body)
		}
		pg := decode[cityChangePage](t, r)
		for _, ch := range pg.Changes {
			if ch.Sequence <= last || ch.Type != "UPSERT" || ch.InsuredPerson["idNumber"] != ch.IDNumber {
				t.Fatalf("change %+v after %d", ch, last)
			}
			last = ch.Sequence
			seen[ch.IDNumber] = true
			per, _, _ := p.Data.PersonByID(ch.IDNumber)
			pension := ch.InsuredPerson["pension"].(map[string]any)
			if (pension["status"] == "RECEIVING") != (per.Pension == synth.PensionReceiving) {
				t.Fatalf("pension %v, want %v", pension, per.Pension)
			}
			if per.Pension == synth.PensionReceiving {
				receiving++
			}
		}
		token = pg.NextPageToken
		if !pg.HasMore {
			break
		}
	}
	if len(seen) != len(p.Data.Persons) || receiving == 0 {
		t.Fatalf("walk covered %d of %d persons, %d receiving a pension", len(seen), len(p.Data.Persons), receiving)
	}

	t.Run("recorded_delete", func(t *testing.T) {
		gone := p.Data.Persons[9].ID
		if _, err := p.RecordChange(gone, synth.OpDelete); err != nil {
			t.Fatal(err)
		}
		pg := decode[cityChangePage](t, do(t, c, cityChanges(t, p, tok, "pageToken="+token)))
		if len(pg.Changes) != 1 || pg.Changes[0].Type != "DELETE" || pg.Changes[0].IDNumber != gone || pg.Changes[0].InsuredPerson != nil {
			t.Fatalf("recorded delete: %+v", pg)
		}
	})

	for _, tc := range []struct {
		name, query, token string
		status             int
	}{
		{"no_token", "pageSize=10", "", http.StatusUnauthorized},
		{"unknown_token", "pageSize=10", "nope", http.StatusUnauthorized},
		{"page_size_too_large", "pageSize=5001", tok, http.StatusBadRequest},
		{"page_size_zero", "pageSize=0", tok, http.StatusBadRequest},
		{"page_token_foreign", "pageToken=HL1", tok, http.StatusBadRequest},
	} {
		t.Run("refused_"+tc.name, func(t *testing.T) {
			if r := do(t, c, cityChanges(t, p, tc.token, tc.query)); r.status != tc.status {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
}

// TestDistrictFeedCarriesHukouLandHomestead checks the change feed's extra fields against
// the synthetic district, while the resident endpoint stays as it was.
func TestDistrictFeedCarriesHukouLandHomestead(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	key := p.Credentials.DistrictAPIKey
	type feedPage struct {
		Changes []struct {
			IDNo     string         `json:"id_no"`
			Resident map[string]any `json:"resident"`
		} `json:"changes"`
	}
	pg := decode[feedPage](t, do(t, c, districtGet(t, p, key, "/open/v1/changes?limit=5000")))
	homesteads := 0
	for _, ch := range pg.Changes {
		per, _, _ := p.Data.PersonByID(ch.IDNo)
		want := map[bool]string{true: "agricultural", false: "non_agricultural"}[per.Agricultural]
		if ch.Resident["hukou_type"] != want {
			t.Fatalf("hukou_type %v, want %s", ch.Resident["hukou_type"], want)
		}
		if _, ok := ch.Resident["land_mu"].(float64); !ok {
			t.Fatalf("land_mu missing: %v", ch.Resident)
		}
		if hs, ok := ch.Resident["homestead"].(map[string]any); ok {
			homesteads++
			if hs["area_m2"].(float64) <= 0 {
				t.Fatalf("homestead %v", hs)
			}
		}
	}
	if homesteads == 0 {
		t.Fatal("no homestead in the feed")
	}
	r := do(t, c, districtGet(t, p, key, "/open/v1/residents/"+pg.Changes[0].IDNo))
	if rec := decode[map[string]any](t, r); rec["hukou_type"] != nil || rec["land_mu"] != nil {
		t.Fatalf("the resident endpoint gained feed fields: %v", rec)
	}
}

// TestDistrictFeedCarriesOtherRolls checks other_rolls against the generator's account of the
// rolls: exactly the residents it lists as paid by two villages carry entries, each naming
// the village the province's register still shows and a programme they receive at home.
func TestDistrictFeedCarriesOtherRolls(t *testing.T) {
	d, err := synth.Generate(synth.Config{Residents: 30_000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, i := range d.Inconsistent(synth.InconsistencyRollInTwoVillages) {
		want[d.Persons[i].ID] = true
	}
	if len(want) < 3 {
		t.Fatalf("%d residents paid by two villages: too few to test", len(want))
	}
	p := start(t, sim.Config{District: d})
	c := newClient(t, 5*time.Second)
	key := p.Credentials.DistrictAPIKey
	type feedPage struct {
		Changes []struct {
			IDNo     string `json:"id_no"`
			Resident struct {
				Programs   []string `json:"programs"`
				OtherRolls *[]struct {
					VillageCode string `json:"village_code"`
					Program     string `json:"program"`
				} `json:"other_rolls"`
			} `json:"resident"`
		} `json:"changes"`
		NextCursor string `json:"next_cursor"`
		HasMore    bool   `json:"has_more"`
	}
	seen := 0
	for cursor, more := "", true; more; {
		pg := decode[feedPage](t, do(t, c, districtGet(t, p, key, "/open/v1/changes?limit=5000&cursor="+cursor)))
		for _, ch := range pg.Changes {
			rolls := ch.Resident.OtherRolls
			if (rolls != nil) != want[ch.IDNo] {
				t.Fatalf("%s: other_rolls %v, generator lists the resident: %v", ch.IDNo, rolls, want[ch.IDNo])
			}
			if rolls == nil {
				continue
			}
			seen++
			per, _, _ := p.Data.PersonByID(ch.IDNo)
			for _, e := range *rolls {
				if e.VillageCode != p.Data.HukouVillage(per).Code || e.VillageCode == p.Data.Village(per).Code {
					t.Fatalf("%s: entry of village %s; register %s, roll %s", ch.IDNo, e.VillageCode, p.Data.HukouVillage(per).Code, p.Data.Village(per).Code)
				}
				if !slices.Contains(ch.Resident.Programs, e.Program) {
					t.Fatalf("%s: other village pays %s, which the home village does not", ch.IDNo, e.Program)
				}
			}
		}
		cursor, more = pg.NextCursor, pg.HasMore
	}
	if seen != len(want) {
		t.Fatalf("%d residents with other_rolls in the feed, generator lists %d", seen, len(want))
	}
}
