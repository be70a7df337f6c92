package city

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
)

const validPerson = `{"idNumber":"110101199003074258","name":"王秀英",
"pension":{"status":"RECEIVING","enrolledOn":"2011-07-01","receivingSince":"2012-04-01","monthlyAmount":182.5},
"medicalInsurance":{"status":"INSURED","year":2026},
"employment":{"status":"RETIRED","unemployedSince":null,"employmentDifficulty":false},
"updatedAt":"2026-11-01T08:00:00+08:00"}`

func decode(body string) error {
	var it insuredPerson
	if err := json.Unmarshal([]byte(body), &it); err != nil {
		return connectors.DecodeError(Platform, EndpointGet, "%s", wire.JSONError(err))
	}
	_, err := it.record(EndpointGet)
	return err
}

func TestDecode(t *testing.T) {
	var it insuredPerson
	if err := json.Unmarshal([]byte(validPerson), &it); err != nil {
		t.Fatal(err)
	}
	r, err := it.record(EndpointGet)
	if err != nil {
		t.Fatal(err)
	}
	in := r.Insurance
	if in.Pension != "receiving" || in.PensionSince != "2012-04-01" || in.PensionMonthly != 182.5 || in.Medical != "enrolled" ||
		in.MedicalYear != 2026 || in.Employment != "not_in_labour_force" || r.Provenance.Record != "110101********4258" {
		t.Errorf("record = %+v", r)
	}
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct{ name, from, to string }{
		{"unknown_pension_status", `"RECEIVING"`, `"PAUSED"`},
		{"unknown_medical_status", `"INSURED"`, `"MAYBE"`},
		{"unknown_employment_status", `"RETIRED"`, `"ASTRONAUT"`},
		{"malformed_date", `"2012-04-01"`, `"2012/04/01"`},
		{"impossible_date", `"2012-04-01"`, `"2012-02-30"`},
		{"amount_as_string", `182.5`, `"182.5"`},
		{"boolean_as_string", `"employmentDifficulty":false`, `"employmentDifficulty":"N"`},
		{"year_as_string", `"year":2026`, `"year":"2026"`},
		{"missing_pension", `"pension":{"status":"RECEIVING","enrolledOn":"2011-07-01","receivingSince":"2012-04-01","monthlyAmount":182.5},`, ``},
		{"bad_id_number", `110101199003074258`, `110101199003074259`},
		{"amount_without_receipt", `"status":"RECEIVING"`, `"status":"ENROLLED"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(validPerson, tc.from, tc.to, 1)
			if body == validPerson {
				t.Fatal("mutation did not apply")
			}
			if err := decode(body); !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(validPerson))
	f.Fuzz(func(t *testing.T, b []byte) {
		var it insuredPerson
		if json.Unmarshal(b, &it) != nil {
			return
		}
		r, err := it.record(EndpointGet)
		if err != nil {
			if !errors.Is(err, connectors.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(r.IDNumber) != 18 || r.Insurance.Pension == "" || r.Insurance.Medical == "" || r.Insurance.Employment == "" {
			t.Fatalf("zero value passed on as a fact: %+v", r)
		}
	})
}

// TestRefreshOnUnauthorized: a token the platform no longer accepts (expired while the
// client still believed it fresh) is replaced once, and the call succeeds.
func TestRefreshOnUnauthorized(t *testing.T) {
	p, err := sim.Start(t.Context(), sim.Config{Residents: 100, TokenTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := New(Config{BaseURL: p.City.URL(), ClientID: p.Credentials.CityClientID, ClientSecret: p.Credentials.CityClientSecret,
		Resilience: resilience.Config{RetryWaitMin: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := p.Data.Persons[0].ID
	if _, err := c.Get(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.refresh = time.Now().Add(time.Hour) // the client wrongly believes its token is fresh
	c.mu.Unlock()
	time.Sleep(1100 * time.Millisecond)
	if _, err := c.Get(t.Context(), id); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	st := p.City.Stats()
	if st.ByStatus["401"] != 1 || st.ByEndpoint["POST /oauth2/token"] != 2 || c.TokensObtained() != 2 {
		t.Errorf("401s %d, token requests %d; want one refusal and one refresh", st.ByStatus["401"], st.ByEndpoint["POST /oauth2/token"])
	}
}

func TestRefusedClientIsAuthError(t *testing.T) {
	p, err := sim.Start(t.Context(), sim.Config{Residents: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := New(Config{BaseURL: p.City.URL(), ClientID: "sanmian-hub", ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Insurance(t.Context(), []string{p.Data.Persons[0].ID})
	if !errors.Is(err, connectors.ErrAuth) || !strings.Contains(err.Error(), "connectors: city: oauth2/token") {
		t.Fatalf("err = %v", err)
	}
}
