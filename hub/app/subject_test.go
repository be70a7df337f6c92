package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sanmian/connectors/sim/synth"
	"sanmian/hub/auth"
	"sanmian/hub/ident"
	"sanmian/hub/store/storetest"
)

// settled reports whether person i's records agree across the platforms (registered in the
// village of the household, death known to the village roll), so a decision on them is not
// undetermined by a deliberate inconsistency.
func settled(d *synth.District, i int32) bool {
	p := &d.Persons[i]
	return p.HukouVillage == d.Households[p.Household].Village && (p.Death == 0 || p.DeathOnVillageRoll)
}

// farmlandCouples returns (head, spouse) pairs of one household with contracted land, both
// living and settled; enrolled says whether the head is on the farmland subsidy roll.
func farmlandCouples(d *synth.District, enrolled bool, n int) [][2]*synth.Person {
	var out [][2]*synth.Person
	for hi := range d.Households {
		h := &d.Households[hi]
		if h.LandMu <= 0 || len(h.Members) < 2 || len(out) >= n {
			continue
		}
		head := h.Members[0]
		hp := &d.Persons[head]
		if hp.Relation != synth.Head || hp.Death != 0 || hp.Spouse < 0 || !settled(d, head) ||
			hp.IsEnrolled(synth.ProgFarmlandProtectionSubsidy) != enrolled {
			continue
		}
		sp := &d.Persons[hp.Spouse]
		if sp.Death != 0 || sp.Household != hp.Household || !settled(d, hp.Spouse) || sp.IsEnrolled(synth.ProgFarmlandProtectionSubsidy) {
			continue
		}
		out = append(out, [2]*synth.Person{hp, sp})
	}
	return out
}

// createFor posts an application for item by applicant id at a counter of village, naming
// the deceased subject when not "".
func (e *hubEnv) createFor(item, id, subject, village, key string) response {
	e.t.Helper()
	body := map[string]any{"item": item, "applicant": map[string]string{"id_number": id}, "purpose": "测试：按户/按逝者享受一次"}
	if subject != "" {
		body["subject"] = map[string]string{"id_number": subject}
	}
	return e.do("POST", "/v1/applications", e.token("counter", village), body, "Idempotency-Key", key)
}

func reasonCodes(body map[string]any) []string {
	var out []string
	rs, _ := field(body, "decision.reasons").([]any)
	for _, r := range rs {
		out = append(out, r.(map[string]any)["code"].(string))
	}
	return out
}

func reasonText(body map[string]any) string {
	var b strings.Builder
	rs, _ := field(body, "decision.reasons").([]any)
	for _, r := range rs {
		m := r.(map[string]any)
		fmt.Fprintf(&b, "%v | %v\n", m["zh"], m["en"])
	}
	return b.String()
}

// TestFarmlandSubsidyOncePerHousehold: the farmland protection subsidy is paid per
// contracting household. When the head already receives it (district roll), the spouse is
// told "not eligible: the household is on the roll"; when neither does, the first member's
// application holds the household and the other member is refused with 409 naming it.
func TestFarmlandSubsidyOncePerHousehold(t *testing.T) {
	e := newHubEnv(t)
	d := e.sim.Data
	const item = "farmland_protection_subsidy"

	t.Run("catalogue_names_the_benefit_subject", func(t *testing.T) {
		tok := e.token("department", "", "*")
		for code, want := range map[string]string{item: "household", "homestead_application": "household",
			"dilapidated_house_renovation": "household", "funeral_subsidy": "deceased", "elderly_allowance": "applicant"} {
			r := e.do("GET", "/v1/items/"+code, tok, nil)
			if r.status != 200 || r.body["benefit_subject"] != want {
				t.Errorf("GET /v1/items/%s: %d benefit_subject %v, want %s", code, r.status, r.body["benefit_subject"], want)
			}
		}
		g := e.do("POST", "/graphql", tok, map[string]any{"query": `{ items(first: 100) { edges { node { code benefitSubject } } } }`})
		edges, _ := field(g.body, "data.items.edges").([]any)
		got := map[string]any{}
		for _, x := range edges {
			n := x.(map[string]any)["node"].(map[string]any)
			got[n["code"].(string)] = n["benefitSubject"]
		}
		if g.status != 200 || len(got) != 30 || got["funeral_subsidy"] != "deceased" || got[item] != "household" || got["senior_card"] != "applicant" {
			t.Errorf("GraphQL items: %d %v %.300s", g.status, got, g.raw)
		}
	})

	t.Run("spouse_of_enrolled_head_not_eligible", func(t *testing.T) {
		couples := farmlandCouples(d, true, 3)
		if len(couples) == 0 {
			t.Fatal("the district has no enrolled head with a living spouse")
		}
		for i, c := range couples {
			r := e.createFor(item, c[1].ID, "", d.Village(c[1]).Code, fmt.Sprintf("farmland-enrolled-%d", i))
			if r.status != 201 || field(r.body, "decision.eligible") != false || !slices.Equal(reasonCodes(r.body), []string{"household_enrolled"}) {
				t.Fatalf("spouse of a head on the farmland roll: %d eligible %v reasons %v, want 201 not eligible household_enrolled: %s",
					r.status, field(r.body, "decision.eligible"), reasonCodes(r.body), r.raw)
			}
			if txt := reasonText(r.body); !strings.Contains(txt, "本户已有成员在该事项名册上") || !strings.Contains(txt, "once per household") ||
				!strings.Contains(txt, ident.MaskIDNumber(c[0].ID)) || strings.Contains(txt, c[0].ID) {
				t.Errorf("reason text does not name the household's enrolment (the head, masked): %s", txt)
			}
		}
	})

	t.Run("head_then_spouse_second_refused", func(t *testing.T) {
		couples := farmlandCouples(d, false, 2)
		if len(couples) < 2 {
			t.Fatalf("the district has %d households with land and no enrolment", len(couples))
		}
		for i, c := range couples {
			first, second := c[0], c[1]
			if i == 1 { // the spouse first, the head second
				first, second = second, first
			}
			village := d.Village(first).Code
			r := e.createFor(item, first.ID, "", village, fmt.Sprintf("farmland-first-%d", i))
			if r.status != 201 || field(r.body, "decision.eligible") != true {
				t.Fatalf("first member: %d %s", r.status, r.raw)
			}
			appID := r.body["id"].(string)
			r2 := e.createFor(item, second.ID, "", village, fmt.Sprintf("farmland-second-%d", i))
			if r2.status != 409 || r2.body["type"] != "urn:sanmian:problem:already-held" || r2.body["application_id"] != appID {
				t.Fatalf("second member of the household: %d %s, want 409 naming %s", r2.status, r2.raw, appID)
			}
			detail, _ := r2.body["detail"].(string)
			if !strings.Contains(detail, appID) || !strings.Contains(detail, "本户") || !strings.Contains(detail, "household") ||
				strings.Contains(detail, first.ID) || strings.Contains(detail, second.ID) {
				t.Fatalf("refusal does not name the household's application %s (or names a person): %s", appID, detail)
			}
		}
	})
}

// recentDeaths returns settled residents who died within the last 300 days, whose death the
// funeral subsidy roll does (paid) or does not name, with a living settled spouse in the same
// household.
func recentDeaths(d *synth.District, paid bool, n int) []*synth.Person {
	var out []*synth.Person
	now := time.Now()
	for i := range d.Persons {
		p := &d.Persons[i]
		if len(out) >= n || p.Death == 0 || !settled(d, int32(i)) || p.IsEnrolled(synth.ProgFuneralSubsidy) != paid || p.Spouse < 0 {
			continue
		}
		if ago := now.Sub(p.Death.Time()); ago < 24*time.Hour || ago > 300*24*time.Hour {
			continue
		}
		sp := &d.Persons[p.Spouse]
		if sp.Death != 0 || sp.Household != p.Household || !settled(d, p.Spouse) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// TestFuneralSubsidyPaidDeathRefused: a death the funeral subsidy roll already names is "not
// eligible: already paid", whether the spouse names the deceased or claims without naming.
func TestFuneralSubsidyPaidDeathRefused(t *testing.T) {
	e := newHubEnv(t)
	d := e.sim.Data
	dead := recentDeaths(d, true, 3)
	if len(dead) < 2 {
		t.Fatalf("the district has %d recent paid deaths with a living spouse", len(dead))
	}
	{
		// GraphQL apply names the deceased the same way (subjectIdNumber).
		p := dead[0]
		g := e.do("POST", "/graphql", e.token("counter", d.Village(p).Code), map[string]any{
			"query": `mutation($in: ApplyInput!) { apply(input: $in) { id decision { eligible reasons } } }`,
			"variables": map[string]any{"in": map[string]any{"item": "funeral_subsidy", "applicantIdNumber": d.Persons[p.Spouse].ID,
				"subjectIdNumber": p.ID, "purpose": "测试：按逝者申领", "idempotencyKey": "funeral-paid-graphql"}}})
		if g.status != 200 || field(g.body, "data.apply.decision.eligible") != false || !strings.Contains(string(g.raw), "惠民殡葬补贴发放名册") {
			t.Fatalf("GraphQL apply naming a paid death: %d %s", g.status, g.raw)
		}
	}
	for i, p := range dead[1:] {
		sp := &d.Persons[p.Spouse]
		for _, named := range []bool{true, false} {
			subject := ""
			if named {
				subject = p.ID
			}
			r := e.createFor("funeral_subsidy", sp.ID, subject, d.Village(p).Code, fmt.Sprintf("funeral-paid-%d-%v", i, named))
			if r.status == 400 && !named { // several unpaid deaths in the household: must be named
				continue
			}
			if r.status != 201 || field(r.body, "decision.eligible") != false || !slices.Contains(reasonCodes(r.body), "death_already_paid") {
				t.Fatalf("claim (named %v) for a paid death: %d eligible %v reasons %v: %s", named, r.status,
					field(r.body, "decision.eligible"), reasonCodes(r.body), r.raw)
			}
			if txt := reasonText(r.body); !strings.Contains(txt, "惠民殡葬补贴发放名册") || !strings.Contains(txt, "once per deceased") ||
				!strings.Contains(txt, ident.MaskIDNumber(p.ID)) {
				t.Errorf("reason text does not name the paid roll: %s", txt)
			}
		}
	}
	p := dead[0]
	// A subject on an item granted to the applicant is a 400.
	if r := e.createFor("senior_card", d.Persons[p.Spouse].ID, p.ID, d.Village(p).Code, "subject-on-senior-card"); r.status != 400 {
		t.Fatalf("subject on senior_card: %d %s, want 400", r.status, r.raw)
	}
}

// TestFuneralSubsidyOneDeathTwoHubsPostgres: two relatives of one deceased (the spouse in the
// household, a child elsewhere per the province's kinship records) claim the funeral subsidy
// at the same moment on two hub replicas sharing one PostgreSQL: exactly one claim is
// created, the other is refused naming it; the winner goes through review to the one permit.
func TestFuneralSubsidyOneDeathTwoHubsPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	schema := storetest.FreshSchema(t, dsn)
	createSchema(t, dsn, schema)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	p := startPlatforms(t, envOptions{residents: 3000, faults: "none"})
	cfg, issuer := hubConfig(t, t.TempDir(), p, u.String())
	urlA, stopA := startHubProcess(t, cfg, "hub-a")
	urlB, stopB := startHubProcess(t, cfg, "hub-b")
	defer stopB()
	defer stopA()
	pg := storetest.OpenPostgresIn(t, dsn, schema)
	d := p.Data

	// A recent unpaid death with a living spouse at home and a living child elsewhere.
	var dead, spouse, child *synth.Person
	for _, x := range recentDeaths(d, false, 50) {
		xi := slices.IndexFunc(d.Persons, func(q synth.Person) bool { return q.ID == x.ID })
		for _, k := range d.Children(int32(xi)) {
			kp := &d.Persons[k]
			if kp.Death == 0 && kp.Household != x.Household && settled(d, k) {
				dead, spouse, child = x, &d.Persons[x.Spouse], kp
				break
			}
		}
		if dead != nil {
			break
		}
	}
	if dead == nil {
		t.Fatal("the district has no recent unpaid death with a spouse at home and a child elsewhere")
	}
	village := d.Village(dead).Code
	mint := func(sub, role, jurisdiction string) string {
		tok, err := issuer.Mint(auth.Caller{Subject: sub, Role: role, Jurisdiction: jurisdiction}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	claims := []struct{ url, claimant string }{{urlA, spouse.ID}, {urlB, child.ID}}
	status := make([]int, 2)
	views := make([]appView, 2)
	bodies := make([][]byte, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range claims {
		wg.Go(func() {
			<-start
			b, err := func() ([]byte, error) {
				st, b, err := sendJSON(http.MethodPost, c.url+"/v1/applications", mint(fmt.Sprint("counter-", i), auth.RoleCounter, village),
					fmt.Sprint("funeral-race-", i), map[string]any{"item": "funeral_subsidy", "applicant": map[string]string{"id_number": c.claimant},
						"subject": map[string]string{"id_number": dead.ID}, "purpose": "测试：两位亲属同时申领"})
				status[i] = st
				return b, err
			}()
			if err != nil {
				t.Error(err)
				return
			}
			bodies[i] = b
			if status[i] == http.StatusCreated {
				if err := json.Unmarshal(b, &views[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	got := slices.Clone(status)
	slices.Sort(got)
	if !slices.Equal(got, []int{http.StatusCreated, http.StatusConflict}) {
		t.Fatalf("two claims for one death answered %v (%s / %s), want one 201 and one 409", status, bodies[0], bodies[1])
	}
	w := slices.Index(status, http.StatusCreated)
	app := views[w]
	// Either relative's claim is decided on the deceased's death record and the kinship:
	// eligible (the spouse in the household, the child through the province's kinship record).
	var created map[string]any
	if err := json.Unmarshal(bodies[w], &created); err != nil || field(created, "decision.eligible") != true {
		t.Fatalf("the created claim is not eligible: %s", bodies[w])
	}
	if loser := string(bodies[1-w]); !strings.Contains(loser, "already-held") || !strings.Contains(loser, app.ID) || !strings.Contains(loser, "逝者") {
		t.Fatalf("the losing claim does not name the winner %s: %s", app.ID, loser)
	}
	// The form is the claimant's, with the deceased's name and date of death filled in.
	for _, f := range app.Form.Fields {
		if (f.Name == "deceased_name" || f.Name == "death_date") && f.Manual {
			t.Errorf("form field %s of the deceased not filled: %s", f.Name, bodies[w])
		}
	}
	if name, _ := field(created, "applicant.name").(string); name != spouse.Name && name != child.Name {
		t.Errorf("applicant name %q is not the claimant's", name)
	}
	// The winner goes through review to its permit.
	counter := mint("counter-winner", auth.RoleCounter, village)
	if st := postJSON(t, http.MethodPost, urlA+"/v1/applications/"+app.ID+"/confirm", counter, "funeral-confirm",
		map[string]any{"signature": "data:image/png;base64,iVBORw0KGgo="}, &app); st != http.StatusOK || app.Status != "in_review" {
		t.Fatalf("confirm: %d %+v", st, app)
	}
	for lvl := 0; app.Awaiting != nil; lvl++ {
		srv := []string{urlA, urlB}[lvl%2]
		var next appView
		if st := postJSON(t, http.MethodPost, srv+"/v1/applications/"+app.ID+"/review", mint("reviewer", auth.RoleReviewer, app.Awaiting.Division),
			fmt.Sprint("funeral-review-", lvl), map[string]any{"action": "approve"}, &next); st != http.StatusOK {
			t.Fatalf("review %d: %d %+v", lvl, st, next)
		}
		app = next
	}
	if app.Status != "approved" || app.PermitID == "" {
		t.Fatalf("winner after review: %+v", app)
	}
	// With the permit active, a third claim (the child again, on the other hub) is refused
	// naming the permit.
	st, b, err := sendJSON(http.MethodPost, urlB+"/v1/applications", counter, "funeral-third", map[string]any{"item": "funeral_subsidy",
		"applicant": map[string]string{"id_number": child.ID}, "subject": map[string]string{"id_number": dead.ID}, "purpose": "测试：再次申领"})
	if err != nil || st != http.StatusConflict || !strings.Contains(string(b), app.PermitID) {
		t.Fatalf("claim after the permit: %d %s %v, want 409 naming permit %s", st, b, err, app.PermitID)
	}
	var n int
	if err := pg.SQLDB().QueryRowContext(t.Context(),
		`SELECT count(*) FROM permits p JOIN applications a ON a.id = p.application_id WHERE a.item = 'funeral_subsidy'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d funeral subsidy permits for one death, want 1", n)
	}
}
