package app

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/auth"
	"sanmian/hub/demo"
	"sanmian/hub/division"
	"sanmian/hub/seal"
	"sanmian/hub/store"
)

// gqlEnv is the real hub: simulated platforms, app.New over SQLite in a temporary directory,
// a test token issuer, and the hub's handler behind an httptest server.
type gqlEnv struct {
	p   *sim.Platforms
	a   *App
	srv *httptest.Server
	iss *auth.Issuer
	db  string // the SQLite store file
}

func newGQLEnv(tb testing.TB) *gqlEnv {
	tb.Helper()
	ctx := tb.Context()
	p, err := sim.Start(ctx, sim.Config{Residents: synth.DefaultResidents, Seed: 11})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	iss, err := auth.NewIssuer("sanmian-test-issuer", "test-1", key, nil)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	if _, err := seal.DemoMasterKey(dir); err != nil {
		tb.Fatal(err)
	}
	cfg := demo.Config(dir, p, auth.TrustedIssuer{Name: iss.Name(), Algorithms: []string{"EdDSA"}, Keys: iss.KeySet()})
	cfg.Addr, cfg.PublicURL = "127.0.0.1:0", "http://127.0.0.1"
	a, err := New(ctx, cfg, WithLogger(slog.New(slog.DiscardHandler)), WithCheckpointInterval(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	if err := a.SyncSnapshot(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	tb.Cleanup(srv.Close)
	return &gqlEnv{p: p, a: a, srv: srv, iss: iss, db: cfg.Store}
}

func (e *gqlEnv) token(tb testing.TB, role, jurisdiction string) string {
	tb.Helper()
	tok, err := e.iss.Mint(auth.Caller{Subject: role + "-" + jurisdiction, Role: role, Jurisdiction: jurisdiction}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// gqlResponse is a GraphQL response with data kept raw.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func (e *gqlEnv) do(tb testing.TB, method, path, token string, body any) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, b
}

func (e *gqlEnv) gql(tb testing.TB, token, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	status, b := e.do(tb, http.MethodPost, "/graphql", token, map[string]any{"query": query, "variables": vars})
	if status != http.StatusOK {
		tb.Fatalf("POST /graphql: status %d: %s", status, b)
	}
	var r gqlResponse
	if err := json.Unmarshal(b, &r); err != nil {
		tb.Fatalf("POST /graphql: %v: %s", err, b)
	}
	return r
}

// fiveHousehold returns a household with exactly five members, all living, whose members'
// household register agrees with the district roll.
func fiveHousehold(tb testing.TB, d *synth.District, skip map[string]bool) *synth.Household {
	tb.Helper()
	for i := range d.Households {
		h := &d.Households[i]
		if len(h.Members) != 5 || skip[h.No] {
			continue
		}
		ok := true
		for _, m := range h.Members {
			p := &d.Persons[m]
			if !p.Living() || p.HukouVillage != h.Village || !p.DeathOnVillageRoll && p.Death != 0 {
				ok = false
			}
		}
		if ok {
			return h
		}
	}
	tb.Fatal("no household of five living members")
	return nil
}

// otherVillageResident returns a living resident whose village is not village.
func otherVillageResident(tb testing.TB, d *synth.District, village string, skip map[string]bool) *synth.Person {
	tb.Helper()
	for i := range d.Persons {
		p := &d.Persons[i]
		if p.Living() && d.Village(p).Code != village && !skip[p.ID] && p.HukouVillage == d.Households[p.Household].Village {
			return p
		}
	}
	tb.Fatal("no resident in another village")
	return nil
}

const personFields = `idNumber name sex birthDate age hukouType village { code name } licences { id type status validUntil }`

func TestGraphQL(t *testing.T) {
	e := newGQLEnv(t)
	d := e.p.Data
	ctx := t.Context()
	used := map[string]bool{}

	hh := fiveHousehold(t, d, nil)
	used[hh.No] = true
	villageA := d.VillageAt(hh.Village).Code
	counterA := e.token(t, auth.RoleCounter, villageA)
	admin := e.token(t, auth.RoleAdmin, "")

	t.Run("household_of_five_one_call_per_batch_platform", func(t *testing.T) {
		prov0, city0 := e.p.Province.Stats(), e.p.City.Stats()
		r := e.gql(t, counterA, `query($id: ID!) { household(id: $id, purpose: "居住证明核验 residence check") {
			id members { relation person { `+personFields+` } } } }`, map[string]any{"id": hh.No})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var out struct {
			Household struct {
				Members []struct {
					Person *struct {
						IDNumber string                `json:"idNumber"`
						Name     string                `json:"name"`
						Licences []struct{ ID string } `json:"licences"`
					} `json:"person"`
				} `json:"members"`
			} `json:"household"`
		}
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatal(err)
		}
		if n := len(out.Household.Members); n != 5 {
			t.Fatalf("members: %d, want 5", n)
		}
		for _, m := range out.Household.Members {
			if m.Person == nil || m.Person.Name == "" || len(m.Person.Licences) == 0 {
				t.Fatalf("member without person data: %+v", m.Person)
			}
			if !strings.Contains(m.Person.IDNumber, "*") {
				// A counter may see full numbers by policy; then it must be a member's.
				if !slices.ContainsFunc(hh.Members, func(i int32) bool { return d.Persons[i].ID == m.Person.IDNumber }) {
					t.Fatalf("id number %q is not a member's", m.Person.IDNumber)
				}
			}
		}
		prov1, city1 := e.p.Province.Stats(), e.p.City.Stats()
		for _, c := range []struct {
			name     string
			before   sim.Stats
			after    sim.Stats
			endpoint string
		}{
			{"province rkjc", prov0, prov1, "POST /gateway/api/rkjc/query"},
			{"province dzzz", prov0, prov1, "POST /gateway/api/dzzz/query"},
			{"city batchGet", city0, city1, "POST /api/v2/insured-persons:batchGet"},
		} {
			got := c.after.ByEndpoint[c.endpoint] - c.before.ByEndpoint[c.endpoint]
			t.Logf("%s: %d call(s) for a household of %d", c.name, got, len(out.Household.Members))
			if got != 1 {
				t.Errorf("%s: %d calls, want exactly 1", c.name, got)
			}
		}
		if got := city1.ByEndpoint["GET /api/v2/insured-persons/{idNumber}"] - city0.ByEndpoint["GET /api/v2/insured-persons/{idNumber}"]; got != 0 {
			t.Errorf("city single gets: %d, want 0", got)
		}
	})

	t.Run("person_lookup_is_audited_and_in_data_use", func(t *testing.T) {
		p := &d.Persons[hh.Members[1]]
		purpose := "高龄补贴资格核查 elderly allowance check"
		auditBefore, err := e.a.Store.ListAudit(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		r := e.gql(t, counterA, `query($id: String!, $p: String!) { person(idNumber: $id, purpose: $p) { `+personFields+` purpose } }`,
			map[string]any{"id": p.ID, "p": purpose})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var out struct {
			Person struct {
				Name    string `json:"name"`
				Purpose string `json:"purpose"`
			} `json:"person"`
		}
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatal(err)
		}
		if out.Person.Name != p.Name || out.Person.Purpose != purpose {
			t.Fatalf("person: %+v, want %s for %q", out.Person, p.Name, purpose)
		}
		uses, _, err := e.a.Store.ListDataUse(ctx, p.ID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(uses, func(u store.DataUse) bool { return u.Purpose == purpose && u.Sub == "counter-"+villageA }) {
			t.Fatalf("no data-use record for the lookup: %+v", uses)
		}
		entries, err := e.a.Store.ListAudit(ctx, int64(len(auditBefore)), 100000)
		if err != nil {
			t.Fatal(err)
		}
		subject := e.a.Store.SubjectDigest(p.ID)
		if !slices.ContainsFunc(entries, func(a store.AuditEntry) bool {
			return a.Action == store.AuditLookup && a.Subject == subject && a.Purpose == purpose && a.ActorSub == "counter-"+villageA
		}) {
			t.Fatalf("no audit lookup entry among %d new entries", len(entries))
		}
		// The resident's record is visible through GraphQL too, to the counter of the village.
		r = e.gql(t, counterA, `query($id: String!) { dataUse(idNumber: $id, first: 10) { edges { node { actor purpose } } } }`, map[string]any{"id": p.ID})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), purpose) {
			t.Fatalf("dataUse: %s %+v", r.Data, r.Errors)
		}
		// Eligibility through the person: a stored decision, readable by id, audited.
		r = e.gql(t, counterA, `query($id: String!) { person(idNumber: $id, purpose: "主动服务 proactive check") {
			eligibility(item: "senior_card") { id eligible reasons revision } } }`, map[string]any{"id": p.ID})
		var el struct {
			Person struct {
				Eligibility struct {
					ID       string
					Eligible *bool
					Reasons  []string
				}
			}
		}
		if err := json.Unmarshal(r.Data, &el); err != nil || len(r.Errors) > 0 || el.Person.Eligibility.ID == "" || len(el.Person.Eligibility.Reasons) == 0 {
			t.Fatalf("eligibility: %s %+v", r.Data, r.Errors)
		}
		if _, err := e.a.Store.GetDecision(ctx, el.Person.Eligibility.ID); err != nil {
			t.Fatalf("eligibility decision not stored: %v", err)
		}
		for _, tok := range []string{admin, counterA} {
			r = e.gql(t, tok, `query($id: ID!) { decision(id: $id) { id eligible reasons } }`, map[string]any{"id": el.Person.Eligibility.ID})
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), el.Person.Eligibility.ID) {
				t.Fatalf("decision by id: %s %+v", r.Data, r.Errors)
			}
		}
		// No purpose, no data.
		r = e.gql(t, counterA, `query($id: String!) { person(idNumber: $id, purpose: " ") { name } }`, map[string]any{"id": p.ID})
		if !slices.Contains(r.codes(), "BAD_USER_INPUT") {
			t.Fatalf("blank purpose: %s %+v", r.Data, r.Errors)
		}
	})

	t.Run("village_counter_cannot_reach_another_village", func(t *testing.T) {
		b := otherVillageResident(t, d, villageA, nil)
		villageB := d.Village(b).Code
		counterB := e.token(t, auth.RoleCounter, villageB)
		// B's counter applies for B (REST), so there is an application and a decision of B.
		status, body := e.do(t, http.MethodPost, "/v1/applications", counterB, map[string]any{
			"item": "residence_certificate", "applicant": map[string]any{"id_number": b.ID}, "purpose": "居住证明"})
		if status != http.StatusCreated {
			t.Fatalf("REST apply for B: %d %s", status, body)
		}
		var app struct {
			ID       string `json:"id"`
			Decision struct {
				DecisionID string `json:"decision_id"`
			} `json:"decision"`
		}
		if err := json.Unmarshal(body, &app); err != nil {
			t.Fatal(err)
		}
		usesBefore, _, err := e.a.Store.ListDataUse(ctx, b.ID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		bHH := d.Households[b.Household].No
		for _, c := range []struct {
			name, query string
			vars        map[string]any
			want        string
		}{
			{"person", `query($id: String!) { person(idNumber: $id, purpose: "check") { name birthDate } }`, map[string]any{"id": b.ID}, "FORBIDDEN"},
			{"people", `query($ids: [String!]!) { people(idNumbers: $ids, purpose: "check") { name } }`, map[string]any{"ids": []string{b.ID}}, "FORBIDDEN"},
			{"household", `query($id: ID!) { household(id: $id, purpose: "check") { members { relation person { name } } } }`, map[string]any{"id": bHH}, "FORBIDDEN"},
			{"application", `query($id: ID!) { application(id: $id) { id status applicant(purpose: "check") { name } } }`, map[string]any{"id": app.ID}, "FORBIDDEN"},
			{"applications_division", `query($d: String) { applications(division: $d, first: 10) { edges { node { id applicant(purpose: "check") { name } } } } }`, map[string]any{"d": villageB}, "FORBIDDEN"},
			{"decision", `query($id: ID!) { decision(id: $id) { eligible reasons } }`, map[string]any{"id": app.Decision.DecisionID}, "FORBIDDEN"},
			{"data_use", `query($id: String!) { dataUse(idNumber: $id, first: 5) { edges { node { actor } } } }`, map[string]any{"id": b.ID}, "FORBIDDEN"},
			{"eligibility_through_person", `query($id: String!) { person(idNumber: $id, purpose: "check") { eligibility(item: "senior_card") { eligible } } }`, map[string]any{"id": b.ID}, "FORBIDDEN"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.gql(t, counterA, c.query, c.vars)
				if !slices.Contains(r.codes(), c.want) {
					t.Fatalf("codes %v, want %s; data %s", r.codes(), c.want, r.Data)
				}
				if strings.Contains(string(r.Data), b.Name) || strings.Contains(string(r.Data), b.ID) {
					t.Fatalf("B's data leaked: %s", r.Data)
				}
			})
		}
		// The unfiltered list does not carry B's application either.
		r := e.gql(t, counterA, `{ applications(first: 100) { edges { node { id } } } }`, nil)
		if strings.Contains(string(r.Data), app.ID) {
			t.Fatalf("A's list shows B's application: %s", r.Data)
		}
		// A mixed batch: A's member is released, B is refused, in order.
		a1 := d.Persons[hh.Members[0]]
		r = e.gql(t, counterA, `query($ids: [String!]!) { people(idNumbers: $ids, purpose: "check") { name } }`, map[string]any{"ids": []string{a1.ID, b.ID}})
		var mixed struct {
			People []*struct{ Name string } `json:"people"`
		}
		if err := json.Unmarshal(r.Data, &mixed); err != nil {
			t.Fatal(err)
		}
		if len(mixed.People) != 2 || mixed.People[0] == nil || mixed.People[0].Name != a1.Name || mixed.People[1] != nil {
			t.Fatalf("mixed batch: %s %+v", r.Data, r.Errors)
		}
		// Refusals released nothing and wrote no data-use record for B.
		usesAfter, _, err := e.a.Store.ListDataUse(ctx, b.ID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(usesAfter) != len(usesBefore) {
			t.Fatalf("data-use records of B grew from %d to %d", len(usesBefore), len(usesAfter))
		}
		// Refusals are audited.
		entries, err := e.a.Store.ListAudit(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(entries, func(a store.AuditEntry) bool {
			return a.Action == store.AuditRefusal && a.ActorSub == "counter-"+villageA && a.Subject == e.a.Store.SubjectDigest(b.ID)
		}) {
			t.Fatal("no audited refusal of A's counter for B")
		}
	})

	t.Run("confirm_enters_values_and_replays_by_key", func(t *testing.T) {
		s := pickSample(t, d, used)
		counter := e.token(t, auth.RoleCounter, d.Village(s).Code)
		r := e.gql(t, counter, `mutation($in: ApplyInput!) { apply(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"item": "residence_certificate", "applicantIdNumber": s.ID, "purpose": "居住证明"}})
		app := decodeGQL(t, r, "apply")
		confirm := `mutation($in: ConfirmInput!) { confirm(input: $in) { id status form { name value source { platform } } } }`
		in := map[string]any{"in": map[string]any{"applicationId": app.ID, "signature": "sig-ref-2", "idempotencyKey": "gq-confirm-1",
			"values": []map[string]string{{"field": "application_reason", "text": "办理居住证明"}}}}
		first := e.gql(t, counter, confirm, in)
		again := e.gql(t, counter, confirm, in)
		if len(first.Errors) > 0 || len(again.Errors) > 0 || string(first.Data) != string(again.Data) {
			t.Fatalf("confirm and its replay differ: %s %+v / %s %+v", first.Data, first.Errors, again.Data, again.Errors)
		}
		if !strings.Contains(string(first.Data), "办理居住证明") || !strings.Contains(string(first.Data), `"COUNTER"`) {
			t.Fatalf("entered value missing: %s", first.Data)
		}
	})

	t.Run("auditor_replays_a_decision", func(t *testing.T) {
		s := pickSample(t, d, used)
		counter := e.token(t, auth.RoleCounter, d.Village(s).Code)
		r := e.gql(t, counter, `mutation($in: ApplyInput!) { apply(input: $in) { id decision { id eligible } } }`,
			map[string]any{"in": map[string]any{"item": "senior_card", "applicantIdNumber": s.ID, "purpose": "优待证申请"}})
		var applied struct {
			Apply struct{ Decision struct{ ID string } }
		}
		if err := json.Unmarshal(r.Data, &applied); err != nil || len(r.Errors) > 0 || applied.Apply.Decision.ID == "" {
			t.Fatalf("apply: %s %+v", r.Data, r.Errors)
		}
		id := applied.Apply.Decision.ID
		const q = `query($id: ID!) { decision(id: $id) { id eligible revision replay {
			decisionId recordedRevision revision sameRevision inputIntact identical eligible reasons replayedAt } } }`
		type replayed struct {
			Decision struct {
				ID       string
				Eligible *bool
				Revision string
				Replay   *struct {
					DecisionID, RecordedRevision, Revision string
					SameRevision, InputIntact, Identical   bool
					Eligible                               *bool
					Reasons                                []string
				}
			}
		}
		auditor := e.token(t, auth.RoleAuditor, "370114")
		var got replayed
		r = e.gql(t, auditor, q, map[string]any{"id": id})
		if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) > 0 || got.Decision.Replay == nil {
			t.Fatalf("replay: %s %+v", r.Data, r.Errors)
		}
		rp := got.Decision.Replay
		if !rp.Identical || !rp.InputIntact || !rp.SameRevision || rp.DecisionID != id || rp.Revision != got.Decision.Revision ||
			rp.RecordedRevision != got.Decision.Revision || *rp.Eligible != *got.Decision.Eligible || len(rp.Reasons) == 0 {
			t.Fatalf("replay of an untouched record: %s", r.Data)
		}
		entries, err := e.a.Store.ListAudit(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		last := entries[len(entries)-1]
		if last.Action != store.AuditReplay || last.ActorRole != auth.RoleAuditor || !strings.Contains(string(last.Details), id) {
			t.Fatalf("replay not audited: %+v", last)
		}

		// The counter that made the application may read the decision, not replay it.
		r = e.gql(t, counter, q, map[string]any{"id": id})
		if !slices.Contains(r.codes(), "FORBIDDEN") || !strings.Contains(string(r.Data), id) {
			t.Fatalf("counter replay: %s %+v", r.Data, r.Errors)
		}

		// A record altered after the decision is reported as such, not replayed.
		db, err := sql.Open("sqlite", e.db)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `UPDATE decisions SET input = replace(input, '"senior_card"', '"elderly_allowance"') WHERE decision_id = ?`, id); err != nil {
			t.Fatal(err)
		}
		r = e.gql(t, auditor, q, map[string]any{"id": id})
		got = replayed{}
		if err := json.Unmarshal(r.Data, &got); err != nil || len(r.Errors) > 0 || got.Decision.Replay == nil {
			t.Fatalf("replay of an altered record: %s %+v", r.Data, r.Errors)
		}
		if rp := got.Decision.Replay; rp.InputIntact || rp.Identical || rp.Eligible != nil || rp.Revision != "" {
			t.Fatalf("altered record: %s", r.Data)
		}
	})

	t.Run("mutations_match_rest", func(t *testing.T) {
		s := pickSample(t, d, used)
		village := d.Village(s).Code
		counter := e.token(t, auth.RoleCounter, village)
		item := "residence_certificate"

		status, body := e.do(t, http.MethodPost, "/v1/applications", counter, map[string]any{
			"item": item, "applicant": map[string]any{"id_number": s.ID}, "purpose": "居住证明"})
		if status != http.StatusCreated {
			t.Fatalf("REST apply: %d %s", status, body)
		}
		rest := decodeREST(t, body)
		r := e.gql(t, counter, `mutation($in: ApplyInput!) { apply(input: $in) { `+appFields+` } }`,
			map[string]any{"in": map[string]any{"item": item, "applicantIdNumber": s.ID, "purpose": "居住证明"}})
		gq := decodeGQL(t, r, "apply")
		compareApps(t, "apply", rest, gq)

		status, body = e.do(t, http.MethodPost, "/v1/applications/"+rest.ID+"/confirm", counter, map[string]any{"signature": "sig-ref-1"})
		if status != http.StatusOK {
			t.Fatalf("REST confirm: %d %s", status, body)
		}
		rest = decodeREST(t, body)
		r = e.gql(t, counter, `mutation($in: ConfirmInput!) { confirm(input: $in) { `+appFields+` } }`,
			map[string]any{"in": map[string]any{"applicationId": gq.ID, "signature": "sig-ref-1"}})
		gq = decodeGQL(t, r, "confirm")
		compareApps(t, "confirm", rest, gq)

		for step := 0; rest.Status == "in_review" && step < 4; step++ {
			reviewer := e.token(t, auth.RoleReviewer, rest.Awaiting.Division)
			status, body = e.do(t, http.MethodPost, "/v1/applications/"+rest.ID+"/review", reviewer, map[string]any{"action": "approve", "comment": "ok"})
			if status != http.StatusOK {
				t.Fatalf("REST review: %d %s", status, body)
			}
			rest = decodeREST(t, body)
			r = e.gql(t, reviewer, `mutation($in: ReviewInput!) { review(input: $in) { `+appFields+` } }`,
				map[string]any{"in": map[string]any{"applicationId": gq.ID, "action": "APPROVE", "comment": "ok"}})
			gq = decodeGQL(t, r, "review")
			compareApps(t, fmt.Sprintf("review %d", step), rest, gq)
		}
		if rest.Status != "approved" || rest.PermitID == "" || gq.PermitID == "" {
			t.Fatalf("not approved: REST %s %q, GraphQL %s %q", rest.Status, rest.PermitID, gq.Status, gq.PermitID)
		}
		// The applicant is reached through the same authorised lookup.
		r = e.gql(t, counter, `query($id: ID!) { application(id: $id) { applicant(purpose: "复核 check") { name } reviews { level action } } }`, map[string]any{"id": gq.ID})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), s.Name) {
			t.Fatalf("applicant: %s %+v", r.Data, r.Errors)
		}
		r = e.gql(t, admin, `query($id: ID!) { permit(id: $id) { status item { code } } }`, map[string]any{"id": gq.PermitID})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"ACTIVE"`) && !strings.Contains(string(r.Data), `"active"`) {
			t.Fatalf("permit: %s %+v", r.Data, r.Errors)
		}
	})

	t.Run("introspection_descriptions", func(t *testing.T) {
		r := e.gql(t, counterA, `{ __schema { types { name kind description
			fields(includeDeprecated: true) { name description args { name description } }
			inputFields { name description } enumValues(includeDeprecated: true) { name description } } } }`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var out struct {
			Schema struct {
				Types []struct {
					Name, Kind, Description string
					Fields                  []struct {
						Name, Description string
						Args              []struct{ Name, Description string }
					}
					InputFields []struct{ Name, Description string }
					EnumValues  []struct{ Name, Description string }
				}
			} `json:"__schema"`
		}
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Schema.Types) < 10 {
			t.Fatalf("only %d types", len(out.Schema.Types))
		}
		for _, ty := range out.Schema.Types {
			if strings.HasPrefix(ty.Name, "__") {
				continue
			}
			if strings.TrimSpace(ty.Description) == "" {
				t.Errorf("type %s has no description", ty.Name)
			}
			for _, f := range ty.Fields {
				if strings.TrimSpace(f.Description) == "" {
					t.Errorf("field %s.%s has no description", ty.Name, f.Name)
				}
				for _, a := range f.Args {
					if strings.TrimSpace(a.Description) == "" {
						t.Errorf("argument %s.%s(%s) has no description", ty.Name, f.Name, a.Name)
					}
				}
			}
			for _, f := range ty.InputFields {
				if strings.TrimSpace(f.Description) == "" {
					t.Errorf("input field %s.%s has no description", ty.Name, f.Name)
				}
			}
			for _, v := range ty.EnumValues {
				if strings.TrimSpace(v.Description) == "" {
					t.Errorf("enum value %s.%s has no description", ty.Name, v.Name)
				}
			}
		}
	})

	t.Run("authentication", func(t *testing.T) {
		status, body := e.do(t, http.MethodPost, "/graphql", "", map[string]any{"query": "{ __typename }"})
		if status != http.StatusUnauthorized {
			t.Fatalf("no token: %d %s", status, body)
		}
		status, _ = e.do(t, http.MethodGet, "/graphql?query=%7B__typename%7D", "", nil)
		if status != http.StatusUnauthorized {
			t.Fatalf("GET query without token: %d", status)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/graphql", nil)
		req.Header.Set("Accept", "text/html")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || len(page) < 100 {
			t.Fatalf("explorer: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		r := e.gql(t, admin, `{ division(code: "370114") { code name level } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "370114") {
			t.Fatalf("division: %s %+v", r.Data, r.Errors)
		}
	})
}

// pickSample returns a living resident of a household not used yet.
func pickSample(tb testing.TB, d *synth.District, used map[string]bool) *synth.Person {
	tb.Helper()
	for _, s := range d.Samples(20) {
		p := &d.Persons[s.Person]
		if p.Living() && !used[d.Households[p.Household].No] && p.HukouVillage == d.Households[p.Household].Village {
			if _, ok := division.Lookup(d.Village(p).Code); ok {
				used[d.Households[p.Household].No] = true
				return p
			}
		}
	}
	tb.Fatal("no sample resident")
	return nil
}

const appFields = `id itemCode status permitId awaiting { level division { code } }
	form { name value declined source { platform endpoint } }
	decision { eligible reasons missing autofill instant revision }`

// appShape is what both doors must agree on.
type appShape struct {
	ID       string
	Status   string
	PermitID string
	Awaiting *struct{ Level, Division string }
	Form     []formShape
	Eligible *bool
	Reasons  []string
	Missing  []string
	Autofill []string
	Instant  bool
	Revision string
}

type formShape struct {
	Name, Value, Platform, Endpoint string
	Declined                        bool
}

func decodeREST(tb testing.TB, body []byte) appShape {
	tb.Helper()
	var v struct {
		ID       string                            `json:"id"`
		Status   string                            `json:"status"`
		PermitID string                            `json:"permit_id"`
		Awaiting *struct{ Level, Division string } `json:"awaiting"`
		Form     struct {
			Fields []struct {
				Name     string `json:"name"`
				Value    any    `json:"value"`
				Declined bool   `json:"declined"`
				Source   *struct {
					Platform string `json:"platform"`
					Endpoint string `json:"endpoint"`
				} `json:"source"`
			} `json:"fields"`
		} `json:"form"`
		Decision struct {
			Eligible *bool `json:"eligible"`
			Reasons  []struct {
				ZH string `json:"zh"`
				EN string `json:"en"`
			} `json:"reasons"`
			Missing  []string `json:"missing"`
			Autofill []string `json:"autofill"`
			Instant  bool     `json:"instant"`
			Revision string   `json:"revision"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("%v: %s", err, body)
	}
	s := appShape{ID: v.ID, Status: v.Status, PermitID: v.PermitID, Awaiting: v.Awaiting, Eligible: v.Decision.Eligible,
		Missing: v.Decision.Missing, Autofill: v.Decision.Autofill, Instant: v.Decision.Instant, Revision: v.Decision.Revision}
	for _, r := range v.Decision.Reasons {
		s.Reasons = append(s.Reasons, r.ZH+" ("+r.EN+")")
	}
	for _, f := range v.Form.Fields {
		fs := formShape{Name: f.Name, Value: formValue(f.Value), Declined: f.Declined}
		if f.Source != nil {
			fs.Platform, fs.Endpoint = f.Source.Platform, f.Source.Endpoint
		}
		s.Form = append(s.Form, fs)
	}
	return s
}

func decodeGQL(tb testing.TB, r gqlResponse, field string) appShape {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("%s: errors %+v", field, r.Errors)
	}
	var data map[string]struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		PermitID string `json:"permitId"`
		Awaiting *struct {
			Level    string
			Division struct{ Code string }
		} `json:"awaiting"`
		Form []struct {
			Name     string `json:"name"`
			Value    string `json:"value"`
			Declined bool   `json:"declined"`
			Source   *struct {
				Platform string `json:"platform"`
				Endpoint string `json:"endpoint"`
			} `json:"source"`
		} `json:"form"`
		Decision struct {
			Eligible *bool    `json:"eligible"`
			Reasons  []string `json:"reasons"`
			Missing  []string `json:"missing"`
			Autofill []string `json:"autofill"`
			Instant  bool     `json:"instant"`
			Revision string   `json:"revision"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		tb.Fatal(err)
	}
	v := data[field]
	s := appShape{ID: v.ID, Status: strings.ToLower(v.Status), PermitID: v.PermitID, Eligible: v.Decision.Eligible,
		Reasons: v.Decision.Reasons, Missing: v.Decision.Missing, Autofill: v.Decision.Autofill, Instant: v.Decision.Instant, Revision: v.Decision.Revision}
	if v.Awaiting != nil {
		s.Awaiting = &struct{ Level, Division string }{strings.ToLower(v.Awaiting.Level), v.Awaiting.Division.Code}
	}
	for _, f := range v.Form {
		fs := formShape{Name: f.Name, Value: f.Value, Declined: f.Declined}
		if f.Source != nil {
			fs.Platform, fs.Endpoint = strings.ToLower(f.Source.Platform), f.Source.Endpoint
		}
		s.Form = append(s.Form, fs)
	}
	return s
}

// compareApps compares everything but the id and the permit id (two applications).
func compareApps(tb testing.TB, step string, rest, gq appShape) {
	tb.Helper()
	norm := func(s appShape) string {
		s.ID = ""
		s.PermitID = fmt.Sprint(s.PermitID != "")
		if s.Reasons == nil {
			s.Reasons = []string{}
		}
		if s.Missing == nil {
			s.Missing = []string{}
		}
		if s.Autofill == nil {
			s.Autofill = []string{}
		}
		b, _ := json.Marshal(s)
		return string(b)
	}
	if a, b := norm(rest), norm(gq); a != b {
		tb.Fatalf("%s differs:\nREST    %s\nGraphQL %s", step, a, b)
	}
}

// formValue renders a REST form value as the GraphQL form shows it: strings as they are, other
// values as JSON.
func formValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
