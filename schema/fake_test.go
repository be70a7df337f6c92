package schema

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// fakeHub is a small in-memory Service for these tests ONLY. The real hub application service
// (hub/..., with policy, the connectors against the simulated platforms, the store and the
// audit log) replaces it once it lands; these tests then run against that.
//
// It is kept honest where it can be: real evidence types, valid ID numbers, USCCs and GB/T
// 36904 licence identifiers built with hub/ident, real divisions from hub/division, and the
// schema's real masking (ident.MaskIDNumber). Policy is stood in for by one simple rule: a
// caller sees a resident, household, application or permit whose village lies inside its
// jurisdiction (division.Contains); only role "admin" sees unmasked ID numbers; role
// "department" has licences and birth date withheld (data minimisation).
type fakeHub struct {
	mu         sync.Mutex
	people     map[string]*evidence.Person
	prov       map[string]map[string]evidence.Provenance
	conflicts  map[string][]evidence.Conflict
	households map[string]*service.HouseholdView
	apps       map[string]*service.ApplicationDetail
	idem       map[string]string // idempotency key -> application id
	permits    map[string]*service.PermitView
	decisions  map[string]*service.DecisionDetail
	items      []service.Item
	dataUse    []service.DataUseRecord
	findings   []service.FindingView            // worklist candidates and alerts (Rule set), in id order
	contacts   map[string][]service.ContactView // contact logs by finding id, newest first
	nextID     int

	peopleCalls, householdCalls, divisionCalls, itemsCalls atomic.Int64
	peopleBatches                                          [][]string

	delay                 time.Duration // per call, to observe concurrency
	noDataUse             bool          // benchmarks: do not grow the data-use log
	panicHousehold        bool          // Household panics (a bug in the hub must not crash the server)
	itemsErr              error         // Items fails with this error
	inflight, maxInflight atomic.Int64
}

// fixture names the residents and places the tests use.
type fixture struct {
	villageA, villageB               division.Division
	head, spouse, son, dil, grandson string // household H1 in village A, 5 members
	bHead, bSpouse                   string // household H2 in village B
	moved                            string // member of H3 (village A) registered in village B
	issuerUSCC                       string
}

func newFake() (*fakeHub, fixture) {
	var fx fixture
	vs := division.Villages()
	fx.villageA = vs[0]
	for _, v := range vs {
		if v.Town != fx.villageA.Town {
			fx.villageB = v
			break
		}
	}
	id := func(y, m, d, seq int) string {
		s, err := ident.NewIDNumber(division.DistrictCode, time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), seq)
		if err != nil {
			panic(err)
		}
		return s
	}
	fx.head, fx.spouse, fx.son, fx.dil, fx.grandson = id(1944, 3, 5, 11), id(1946, 7, 1, 22), id(1970, 1, 9, 31), id(1972, 5, 5, 42), id(2005, 9, 9, 51)
	fx.bHead, fx.bSpouse = id(1950, 2, 2, 61), id(1952, 4, 4, 72)
	fx.moved = id(1960, 6, 6, 81)
	uscc, err := ident.NewUSCC('1', '1', "370114", "MB0000001")
	if err != nil {
		panic(err)
	}
	fx.issuerUSCC = uscc

	f := &fakeHub{
		people: map[string]*evidence.Person{}, prov: map[string]map[string]evidence.Provenance{},
		conflicts: map[string][]evidence.Conflict{}, households: map[string]*service.HouseholdView{},
		apps: map[string]*service.ApplicationDetail{}, idem: map[string]string{}, permits: map[string]*service.PermitView{}, decisions: map[string]*service.DecisionDetail{},
		contacts: map[string][]service.ContactView{},
	}
	fetched := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	licence := func(typ, number string, attrs map[string]any) evidence.Licence {
		lid, err := ident.NewLicenceID("11100000000013338W050", uscc, number, "001")
		if err != nil {
			panic(err)
		}
		return evidence.Licence{ID: lid, Type: typ, Number: number, Issuer: "章丘区公安分局", IssuerUSCC: uscc, IssuedOn: "2015-03-01", Status: "valid", Attrs: attrs}
	}
	add := func(idn, name, sex, birth, village, hh, rel string, extra ...evidence.Licence) {
		p := &evidence.Person{IDNumber: idn, Name: name, Sex: sex, BirthDate: birth, Ethnicity: "汉族",
			HukouType: evidence.HukouAgricultural, Village: village, HouseholdID: hh, Relation: rel, Marital: "married",
			Licences: append([]evidence.Licence{licence("id_card", idn, nil)}, extra...),
			Rolls:    &evidence.Rolls{Enrolled: []string{"senior_card"}}}
		f.people[idn] = p
		f.prov[idn] = map[string]evidence.Provenance{
			"name":       {Platform: evidence.Province, Endpoint: "rkjc/query", Record: idn, FetchedAt: fetched},
			"birth_date": {Platform: evidence.Province, Endpoint: "rkjc/query", Record: idn, FetchedAt: fetched},
			"village":    {Platform: evidence.District, Endpoint: "households", Record: hh, FetchedAt: fetched},
			"licences.0": {Platform: evidence.Province, Endpoint: "dzzz/query", Record: p.Licences[0].ID, FetchedAt: fetched, Stale: true},
		}
	}
	A, B := fx.villageA.Code, fx.villageB.Code
	add(fx.head, "王建国", "M", "1944-03-05", A, "H1", "head",
		licence("disability", "37011419440305001142", map[string]any{"category": "physical", "grade": 2}),
		licence("marriage", "J3701141968001", map[string]any{"spouse_id_number": fx.spouse}))
	add(fx.spouse, "李秀英", "F", "1946-07-01", A, "H1", "spouse")
	add(fx.son, "王强", "M", "1970-01-09", A, "H1", "son")
	add(fx.dil, "张丽", "F", "1972-05-05", A, "H1", "daughter_in_law")
	add(fx.grandson, "王浩", "M", "2005-09-09", A, "H1", "grandson")
	add(fx.bHead, "赵铁柱", "M", "1950-02-02", B, "H2", "head")
	add(fx.bSpouse, "钱桂花", "F", "1952-04-04", B, "H2", "spouse")
	add(fx.moved, "孙迁出", "M", "1960-06-06", B, "H3", "head")
	f.conflicts[fx.head] = []evidence.Conflict{{Field: "applicant.deceased", Authority: evidence.Province,
		Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: false, Record: fx.head}, {Platform: evidence.District, Value: true}}}}

	f.households["H1"] = &service.HouseholdView{ID: "H1", Village: A, HukouType: evidence.HukouAgricultural, Members: []service.HouseholdMember{
		{IDNumber: fx.head, Relation: "head"}, {IDNumber: fx.spouse, Relation: "spouse"}, {IDNumber: fx.son, Relation: "son"}, {IDNumber: fx.dil, Relation: "daughter_in_law"}, {IDNumber: fx.grandson, Relation: "grandson"}},
		Provenance: &evidence.Provenance{Platform: evidence.District, Endpoint: "households", Record: "H1", FetchedAt: fetched}}
	f.households["H2"] = &service.HouseholdView{ID: "H2", Village: B, HukouType: evidence.HukouAgricultural, Members: []service.HouseholdMember{{IDNumber: fx.bHead, Relation: "head"}, {IDNumber: fx.bSpouse, Relation: "spouse"}}}
	// H3 is on village A's roll, but its member is registered in village B (a household moved
	// between villages): the household is visible to A, the member is not.
	f.households["H3"] = &service.HouseholdView{ID: "H3", Village: A, Members: []service.HouseholdMember{{IDNumber: fx.moved, Relation: "head"}}}

	yes := true
	f.decisions["d-1"] = &service.DecisionDetail{Item: "elderly_allowance", ApplicationID: "app-1", InputDigest: "abc", At: fetched,
		DecisionView: service.DecisionView{DecisionID: "d-1", Eligible: &yes, Reasons: []service.Reason{{Code: "age_80_89", Rule: "《山东省老年人权益保障条例》", ZH: "年满80周岁", EN: "age 80+"}}, Autofill: []string{"name", "id_number"}, Revision: "r1"}}
	d1 := f.decisions["d-1"]
	f.apps["app-1"] = &service.ApplicationDetail{ApplicantID: fx.head, View: service.ApplicationView{ID: "app-1", Item: "elderly_allowance", Status: "in_review", Village: A,
		Form: service.Form{Fields: []service.Field{
			{Name: "name", Label: "姓名", Value: "王建国", Source: &service.Source{Platform: "province", Endpoint: "rkjc/query", Record: fx.head, FetchedAt: fetched}},
			{Name: "id_number", Label: "身份证号", Value: fx.head, Source: &service.Source{Platform: "province", Endpoint: "rkjc/query", Record: fx.head, FetchedAt: fetched}},
		}},
		Decision: d1.DecisionView,
		Awaiting: &service.Awaiting{Level: "work_area", Division: fx.villageA.Parent}, CreatedAt: fetched, UpdatedAt: fetched}}
	f.apps["app-2"] = &service.ApplicationDetail{ApplicantID: fx.bHead, View: service.ApplicationView{ID: "app-2", Item: "elderly_allowance", Status: "draft", Village: B, CreatedAt: fetched}}
	f.apps["app-3"] = &service.ApplicationDetail{ApplicantID: fx.spouse, View: service.ApplicationView{ID: "app-3", Item: "senior_card", Status: "approved", Village: A, PermitID: "p-1", CreatedAt: fetched}}
	f.permits["p-1"] = &service.PermitView{ID: "p-1", ApplicationID: "app-3", Item: "senior_card", Token: "eyJhbGciOiJFZERTQSJ9.e30.sig", Status: "active", Issuer: fx.villageA.Town, KID: "office-1", IssuedAt: fetched}
	f.items = []service.Item{
		{Code: "elderly_allowance", NameZH: "高龄老人补贴", NameEN: "Elderly allowance", Category: "elderly", Fields: []service.FieldSpec{{Name: "name", Label: "姓名", Path: "applicant.name", Autofill: true}}, Levels: []string{"village", "work_area", "town"}, Proactive: true},
		{Code: "senior_card", NameZH: "老年人优待证", NameEN: "Senior card", Category: "elderly", Levels: []string{"village"}, Instant: true},
		{Code: "funeral_subsidy", NameZH: "惠民殡葬补贴", NameEN: "Funeral subsidy", Category: "civil"},
	}
	for i, fd := range []struct{ id, village, item, rule string }{
		{fx.head, A, "elderly_allowance", ""}, {fx.spouse, A, "senior_card", ""}, {fx.bHead, B, "elderly_allowance", ""},
		{fx.son, A, "elderly_allowance", "《山东省老年人权益保障条例》"}, {fx.bSpouse, B, "elderly_allowance", "《山东省老年人权益保障条例》"},
	} {
		v := service.FindingView{ID: fmt.Sprint(i + 1), IDNumber: ident.MaskIDNumber(fd.id), Village: fd.village, Item: fd.item,
			Reasons: []string{"age_80_89"}, ReasonTexts: []service.Reason{{Code: "age_80_89", ZH: "年满80周岁", EN: "Aged 80-89"}}, Rule: fd.rule, ScannedAt: "2026-12-06"}
		if fd.rule != "" {
			v.Evidence, v.Sources = []string{"applicant.deceased"}, []string{"province"}
		}
		f.findings = append(f.findings, v)
	}
	return f, fx
}

var _ Service = (*fakeHub)(nil)

func (f *fakeHub) enter() func() {
	n := f.inflight.Add(1)
	for {
		m := f.maxInflight.Load()
		if n <= m || f.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	return func() { f.inflight.Add(-1) }
}

func visible(c auth.Caller, village string) bool { return division.Contains(c.Jurisdiction, village) }

func (f *fakeHub) People(ctx context.Context, c auth.Caller, ids []string, purpose string) ([]service.PersonResult, error) {
	defer f.enter()()
	f.peopleCalls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.noDataUse {
		f.peopleBatches = append(f.peopleBatches, slices.Clone(ids))
	}
	out := make([]service.PersonResult, len(ids))
	for i, id := range ids {
		p, ok := f.people[id]
		switch {
		case !ok:
			out[i].Err = fmt.Errorf("fake: %w", ErrNotFound)
		case !visible(c, p.Village):
			out[i].Err = fmt.Errorf("fake: outside jurisdiction: %w", ErrForbidden)
			f.dataUse = append(f.dataUse, service.DataUseRecord{ID: fmt.Sprint(len(f.dataUse)), DataUseView: service.DataUseView{Who: c.Subject, Purpose: purpose}})
		default:
			rec := *p
			pr := &service.PersonView{Record: rec, Unmasked: c.Role == "admin", Provenance: f.prov[id], Conflicts: f.conflicts[id], Stale: true}
			if c.Role == "department" {
				pr.Record.Licences, pr.Record.BirthDate = nil, ""
				pr.Withheld = []string{"licences", "birth_date"}
			}
			out[i].Person = pr
			if f.noDataUse {
				continue
			}
			f.dataUse = append(f.dataUse, service.DataUseRecord{ID: fmt.Sprint(len(f.dataUse)), DataUseView: service.DataUseView{At: time.Now(), Who: c.Subject, Role: c.Role, Purpose: purpose}})
		}
	}
	return out, nil
}

func (f *fakeHub) Household(ctx context.Context, c auth.Caller, id, purpose string) (*service.HouseholdView, error) {
	defer f.enter()()
	f.householdCalls.Add(1)
	if f.panicHousehold {
		var m map[string]int
		//lint:ignore SA5000 a deliberate runtime panic, as a bug in the hub would raise
		m["boom"]++
	}
	h, ok := f.households[id]
	if !ok {
		return nil, ErrNotFound
	}
	if !visible(c, h.Village) {
		return nil, fmt.Errorf("fake: household outside jurisdiction: %w", ErrForbidden)
	}
	return h, nil
}

func (f *fakeHub) Eligibility(ctx context.Context, c auth.Caller, id, item, purpose string) (service.DecisionDetail, error) {
	p, ok := f.people[id]
	if !ok || !visible(c, p.Village) {
		return service.DecisionDetail{}, ErrForbidden
	}
	el := p.BirthDate <= "1946-11-26"
	return service.DecisionDetail{Item: item, DecisionView: service.DecisionView{DecisionID: "e-" + id[14:] + "-" + item, Eligible: &el, Reasons: []service.Reason{{EN: "age"}}}}, nil
}

func (f *fakeHub) Items(ctx context.Context) ([]service.Item, error) {
	f.itemsCalls.Add(1)
	if f.itemsErr != nil {
		return nil, f.itemsErr
	}
	return f.items, nil
}

func (f *fakeHub) Division(ctx context.Context, code string) (service.DivisionView, error) {
	f.divisionCalls.Add(1)
	d, ok := division.Lookup(code)
	if !ok {
		return service.DivisionView{}, ErrNotFound
	}
	return service.DivisionView{Code: d.Code, Name: d.Name, Level: d.Level.String(), Parent: d.Parent}, nil
}

func (f *fakeHub) ApplicationDetail(ctx context.Context, c auth.Caller, id string) (service.ApplicationDetail, error) {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.apps[id]
	if !ok {
		return service.ApplicationDetail{}, ErrNotFound
	}
	if !visible(c, a.View.Village) {
		return service.ApplicationDetail{}, fmt.Errorf("fake: application outside jurisdiction: %w", ErrForbidden)
	}
	cp := *a
	cp.Unmasked = c.Role == "admin"
	return cp, nil
}

func (f *fakeHub) ApplicationDetails(ctx context.Context, c auth.Caller, filter service.ListFilter) ([]service.ApplicationDetail, string, error) {
	defer f.enter()()
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, a := range f.apps {
		if visible(c, a.View.Village) && (filter.Status == "" || a.View.Status == filter.Status) && (filter.Item == "" || a.View.Item == filter.Item) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []service.ApplicationDetail
	for _, id := range ids {
		if id <= filter.After {
			continue
		}
		if len(out) == filter.Limit {
			return out, out[len(out)-1].View.ID, nil
		}
		out = append(out, *f.apps[id])
	}
	return out, "", nil
}

func (f *fakeHub) CreateApplication(ctx context.Context, c auth.Caller, req service.CreateRequest, idemKey string) (service.Outcome[service.ApplicationView], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.people[req.Applicant.IDNumber]
	if !ok {
		return service.Outcome[service.ApplicationView]{}, ErrInvalid
	}
	if !visible(c, p.Village) {
		return service.Outcome[service.ApplicationView]{}, ErrForbidden
	}
	if id, ok := f.idem[idemKey]; ok && idemKey != "" {
		return service.Outcome[service.ApplicationView]{View: f.apps[id].View, Replayed: true}, nil
	}
	f.nextID++
	a := &service.ApplicationDetail{ApplicantID: p.IDNumber, View: service.ApplicationView{ID: fmt.Sprintf("new-%d", f.nextID), Item: req.Item, Status: "draft", Village: p.Village,
		Form: service.Form{Fields: []service.Field{{Name: "name", Label: "姓名", Value: p.Name}}}}}
	f.apps[a.View.ID] = a
	if idemKey != "" {
		f.idem[idemKey] = a.View.ID
	}
	return service.Outcome[service.ApplicationView]{View: a.View}, nil
}

func (f *fakeHub) Confirm(ctx context.Context, c auth.Caller, id string, req service.ConfirmRequest, idemKey string) (service.Outcome[service.ApplicationView], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.apps[id]
	if !ok || !visible(c, a.View.Village) {
		return service.Outcome[service.ApplicationView]{}, ErrNotFound
	}
	if a.View.Status != "draft" {
		return service.Outcome[service.ApplicationView]{}, ErrConflict
	}
	a.View.Status = "in_review"
	for i := range a.View.Form.Fields {
		if slices.Contains(req.Declined, a.View.Form.Fields[i].Name) {
			a.View.Form.Fields[i].Declined = true
		}
	}
	return service.Outcome[service.ApplicationView]{View: a.View}, nil
}

func (f *fakeHub) Review(ctx context.Context, c auth.Caller, id string, req service.ReviewRequest, idemKey string) (service.Outcome[service.ApplicationView], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.apps[id]
	if !ok || !visible(c, a.View.Village) {
		return service.Outcome[service.ApplicationView]{}, ErrNotFound
	}
	if a.View.Status != "in_review" {
		return service.Outcome[service.ApplicationView]{}, ErrConflict
	}
	a.Reviews = append(a.Reviews, store.Review{Level: "village", Division: a.View.Village, Action: store.ReviewAction(req.Action), Comment: req.Comment, Reviewer: c.Subject, At: time.Now()})
	if req.Action == "approve" {
		a.View.Status = "approved"
		a.View.PermitID = "p-" + a.View.ID
		f.permits[a.View.PermitID] = &service.PermitView{ID: a.View.PermitID, ApplicationID: a.View.ID, Item: a.View.Item, Status: "active", IssuedAt: time.Now()}
	}
	return service.Outcome[service.ApplicationView]{View: a.View}, nil
}

func (f *fakeHub) GetPermit(ctx context.Context, c auth.Caller, id string) (service.PermitView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.permits[id]
	if !ok {
		return service.PermitView{}, ErrNotFound
	}
	if a := f.apps[p.ApplicationID]; a == nil || !visible(c, a.View.Village) {
		return service.PermitView{}, ErrForbidden
	}
	return *p, nil
}

func (f *fakeHub) Revoke(ctx context.Context, c auth.Caller, id string, req service.RevokeRequest, idemKey string) (service.Outcome[service.PermitView], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.permits[id]
	if !ok {
		return service.Outcome[service.PermitView]{}, ErrNotFound
	}
	if a := f.apps[p.ApplicationID]; a == nil || !visible(c, a.View.Village) {
		return service.Outcome[service.PermitView]{}, ErrForbidden
	}
	now := time.Now()
	p.Status, p.RevokedAt, p.Reason = "revoked", &now, req.Reason
	return service.Outcome[service.PermitView]{View: *p}, nil
}

func (f *fakeHub) ReplayDecision(ctx context.Context, c auth.Caller, id string) (service.DecisionReplay, error) {
	d, err := f.GetDecision(ctx, c, id)
	if err != nil {
		return service.DecisionReplay{}, err
	}
	if c.Role != "auditor" && c.Role != "admin" {
		return service.DecisionReplay{}, ErrForbidden
	}
	return service.DecisionReplay{DecisionID: d.DecisionID, RecordedRevision: d.Revision, Revision: d.Revision, SameRevision: true,
		InputIntact: true, Identical: true, Eligible: d.Eligible, Reasons: d.Reasons, ReplayedAt: time.Now()}, nil
}

func (f *fakeHub) GetDecision(ctx context.Context, c auth.Caller, id string) (service.DecisionDetail, error) {
	d, ok := f.decisions[id]
	if !ok {
		return service.DecisionDetail{}, ErrNotFound
	}
	if a := f.apps[d.ApplicationID]; a == nil || !visible(c, a.View.Village) {
		return service.DecisionDetail{}, ErrForbidden
	}
	return *d, nil
}

func (f *fakeHub) DataUseRecords(ctx context.Context, c auth.Caller, id, after string, limit int) ([]service.DataUseRecord, string, error) {
	p, ok := f.people[id]
	if !ok || !visible(c, p.Village) {
		return nil, "", ErrForbidden
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []service.DataUseRecord
	for _, d := range f.dataUse {
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		if strings.Compare(d.ID, after) > 0 || after == "" {
			out = append(out, d)
		}
	}
	return out, "", nil
}

func (f *fakeHub) listFindings(c auth.Caller, q service.FindingQuery, alerts bool) ([]service.FindingView, string, error) {
	if alerts && c.Role != "admin" && c.Role != "auditor" {
		return nil, "", ErrForbidden
	}
	scope := cmp.Or(q.Division, c.Jurisdiction, division.DistrictCode)
	if c.Role != "auditor" && !division.Contains(c.Jurisdiction, scope) {
		return nil, "", ErrForbidden
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []service.FindingView
	for _, v := range f.findings {
		if (v.Rule != "") != alerts || !division.Contains(scope, v.Village) || (q.Item != "" && v.Item != q.Item) {
			continue
		}
		if (q.Resolved == "open" && v.Resolution != nil) || (q.Resolved == "resolved" && v.Resolution == nil) {
			continue
		}
		if q.After != "" && len(v.ID) <= len(q.After) && v.ID <= q.After {
			continue
		}
		if len(out) == q.Limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, v)
	}
	return out, "", nil
}

func (f *fakeHub) Worklists(ctx context.Context, c auth.Caller, q service.FindingQuery) ([]service.FindingView, string, error) {
	return f.listFindings(c, q, false)
}

func (f *fakeHub) Alerts(ctx context.Context, c auth.Caller, q service.FindingQuery) ([]service.FindingView, string, error) {
	return f.listFindings(c, q, true)
}

func (f *fakeHub) ContactLog(ctx context.Context, c auth.Caller, id string) ([]service.ContactView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.findings {
		if v.ID == id && v.Rule == "" {
			if !visible(c, v.Village) {
				return nil, ErrForbidden
			}
			return slices.Clone(f.contacts[id]), nil
		}
	}
	return nil, ErrNotFound
}

func (f *fakeHub) AddContact(ctx context.Context, c auth.Caller, id string, req service.ContactRequest) (service.ContactView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, v := range f.findings {
		if v.ID == id && v.Rule == "" {
			if !visible(c, v.Village) {
				return service.ContactView{}, ErrForbidden
			}
			cv := service.ContactView{Seq: int64(i + 100), Item: v.Item, IDNumber: v.IDNumber, Village: v.Village, Status: req.Status, Note: req.Note, By: c.Subject, Role: c.Role}
			f.findings[i].Contact = &cv
			f.contacts[id] = append([]service.ContactView{cv}, f.contacts[id]...)
			return cv, nil
		}
	}
	return service.ContactView{}, ErrNotFound
}

func (f *fakeHub) ResolveAlert(ctx context.Context, c auth.Caller, id string, req service.ResolveRequest) (service.FindingView, error) {
	if c.Role != "admin" && c.Role != "auditor" {
		return service.FindingView{}, ErrForbidden
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, v := range f.findings {
		if v.ID == id && v.Rule != "" {
			f.findings[i].Resolution = &service.ResolutionView{Note: req.Note, By: c.Subject, Role: c.Role}
			return f.findings[i], nil
		}
	}
	return service.FindingView{}, ErrNotFound
}
