package conformance

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sanmian/connectors"
	"sanmian/connectors/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// target is one connector under test: which simulator it talks to and one logical call
// (fetch one resident's record).
type target struct {
	name     string
	platform string // the platform the errors and breaker name; "" when name is the platform
	// get marks a call made with GET: net/http itself resends a GET once when a kept-alive
	// connection turns out to be dead, an attempt the client does not make or count.
	get    bool
	server func(*sim.Platforms) *sim.Server
	call   func(ctx context.Context, e *env, id string) error
	// check verifies a successful answer is the simulator's truth, not a zero value.
	check func(t *testing.T, e *env, id string)
}

// platformName is the platform tg talks to.
func (tg target) platformName() string {
	if tg.platform != "" {
		return tg.platform
	}
	return tg.name
}

var targets = []target{
	{
		name:   "province",
		server: func(p *sim.Platforms) *sim.Server { return p.Province },
		call: func(ctx context.Context, e *env, id string) error {
			r, err := e.province.Persons(ctx, []string{id})
			if err == nil && r[id].Person.IDNumber != id {
				return errors.New("person missing from the answer")
			}
			return err
		},
		check: func(t *testing.T, e *env, id string) {
			r, err := e.province.Persons(t.Context(), []string{id})
			want, _, _ := e.p.Data.PersonByID(id)
			if err != nil || r[id].Person.Name != want.Name || r[id].Person.BirthDate != want.Birth.String() {
				t.Fatalf("province answer %+v, %v; want %s %s", r[id].Person, err, want.Name, want.Birth)
			}
		},
	},
	{
		name:     "province_kinship",
		platform: "province",
		server:   func(p *sim.Platforms) *sim.Server { return p.Province },
		call: func(ctx context.Context, e *env, id string) error {
			_, err := e.province.Children(ctx, []string{id})
			return err
		},
		check: func(t *testing.T, e *env, id string) {
			r, err := e.province.Children(t.Context(), []string{id})
			_, i, _ := e.p.Data.PersonByID(id)
			want := e.p.Data.Children(i)
			if err != nil || len(r[id]) != len(want) {
				t.Fatalf("province kinship answer %+v, %v; want %d children", r[id], err, len(want))
			}
			for k, c := range want {
				cp := &e.p.Data.Persons[c]
				got := r[id][k]
				if got.Parent != id || got.Child != cp.ID || got.Name != cp.Name || got.Sex != string(cp.Sex) {
					t.Fatalf("child %d: %+v, want %s %s", k, got, cp.ID, cp.Name)
				}
				if cp.Mother >= 0 && got.MotherIDNumber != e.p.Data.Persons[cp.Mother].ID {
					t.Fatalf("child %d: mother %q, want %s", k, got.MotherIDNumber, e.p.Data.Persons[cp.Mother].ID)
				}
			}
		},
	},
	{
		name:   "city",
		server: func(p *sim.Platforms) *sim.Server { return p.City },
		call: func(ctx context.Context, e *env, id string) error {
			r, err := e.city.Insurance(ctx, []string{id})
			if err == nil && r[id].IDNumber != id {
				return errors.New("person missing from the answer")
			}
			return err
		},
		check: func(t *testing.T, e *env, id string) {
			r, err := e.city.Insurance(t.Context(), []string{id})
			want, _, _ := e.p.Data.PersonByID(id)
			if err != nil || r[id].Name != want.Name || r[id].Insurance.Pension != want.Pension.String() {
				t.Fatalf("city answer %+v, %v; want %s %s", r[id], err, want.Name, want.Pension)
			}
		},
	},
	{
		name:   "district",
		server: func(p *sim.Platforms) *sim.Server { return p.District },
		call: func(ctx context.Context, e *env, id string) error {
			_, err := e.district.Resident(ctx, id)
			return err
		},
		check: func(t *testing.T, e *env, id string) {
			r, err := e.district.Resident(t.Context(), id)
			want, _, _ := e.p.Data.PersonByID(id)
			if err != nil || r.Name != want.Name || r.HouseholdID != e.p.Data.Households[want.Household].No || r.Rolls.Tekun != want.Tekun {
				t.Fatalf("district answer %+v, %v; want %s", r, err, want.Name)
			}
		},
	},
	{
		name:     "province_backflow",
		platform: "province",
		server:   func(p *sim.Platforms) *sim.Server { return p.Province },
		call: func(ctx context.Context, e *env, _ string) error {
			pg, err := e.province.Backflow(ctx, "", 20)
			if err == nil && len(pg.Changes) == 0 {
				return errors.New("empty backflow page")
			}
			return err
		},
		check: func(t *testing.T, e *env, id string) {
			pg, err := e.province.Backflow(t.Context(), "", 40)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := e.p.Data.PersonByID(id)
			for _, c := range pg.Changes {
				if c.IDNumber != id {
					continue
				}
				disability := false
				for _, l := range c.Licences {
					disability = disability || (l.Licence.Type == "disability" && l.Licence.Attrs["grade"] == int(want.DisabilityGrade))
				}
				if c.Op != "upsert" || c.Deceased != (want.Death != 0) || disability != (want.Disability != 0) ||
					c.HukouType != map[bool]string{true: "agricultural", false: "non_agricultural"}[want.Agricultural] {
					t.Fatalf("backflow change %+v; want death %v, disability %v grade %d", c, want.Death, want.Disability, want.DisabilityGrade)
				}
				return
			}
			t.Fatalf("person not on the first backflow page")
		},
	},
	{
		name:     "city_changes",
		platform: "city",
		get:      true,
		server:   func(p *sim.Platforms) *sim.Server { return p.City },
		call: func(ctx context.Context, e *env, _ string) error {
			pg, err := e.city.Changes(ctx, "", 20)
			if err == nil && len(pg.Changes) == 0 {
				return errors.New("empty change page")
			}
			return err
		},
		check: func(t *testing.T, e *env, id string) {
			pg, err := e.city.Changes(t.Context(), "", 40)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := e.p.Data.PersonByID(id)
			for _, c := range pg.Changes {
				if c.IDNumber != id {
					continue
				}
				if c.Op != "upsert" || c.Record == nil || c.Record.Insurance.Pension != want.Pension.String() {
					t.Fatalf("city change %+v; want pension %s", c, want.Pension)
				}
				return
			}
			t.Fatalf("person not on the first change page")
		},
	},
}

// startSim starts small simulators for one test.
func startSim(t *testing.T, cfg sim.Config) *sim.Platforms {
	t.Helper()
	if cfg.Residents == 0 {
		cfg.Residents = 300
	}
	if cfg.Seed == 0 {
		cfg.Seed = 3
	}
	p, err := sim.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func kindOf(err error) string {
	for _, k := range []error{connectors.ErrCircuitOpen, connectors.ErrAuth, connectors.ErrDecode, connectors.ErrNotFound,
		connectors.ErrTimeout, connectors.ErrUnavailable, connectors.ErrUpstream, connectors.ErrInvalidRequest, connectors.ErrCanceled} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "?"
}

// TestDecodesTruth: every connector maps the simulator's data faithfully.
func TestDecodesTruth(t *testing.T) {
	p := startSim(t, sim.Config{})
	e := newEnv(t, p, fastResilience())
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			for _, per := range p.Data.Persons[:40] {
				tg.check(t, e, per.ID)
			}
		})
	}
}

// TestAuthRefused: wrong credentials are a typed ErrAuth, not retried into the breaker.
func TestAuthRefused(t *testing.T) {
	p := startSim(t, sim.Config{})
	bad := p.Credentials
	bad.ProvinceSecret, bad.CityClientSecret, bad.DistrictAPIKey = "wrong-secret", "wrong-secret", "wrong-key"
	e := newEnv(t, p, fastResilience(), withCreds(bad))
	badKey := p.Credentials
	badKey.ProvinceAppKey = "unknown-app"
	e2 := newEnv(t, p, fastResilience(), withCreds(badKey))
	id := p.Data.Persons[0].ID
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			tg.server(p).ResetStats()
			for range 5 {
				err := tg.call(t.Context(), e, id)
				if !errors.Is(err, connectors.ErrAuth) {
					t.Fatalf("err = %v, want ErrAuth", err)
				}
				if !strings.HasPrefix(err.Error(), "connectors: "+tg.platformName()) {
					t.Errorf("error does not name the platform: %v", err)
				}
			}
			if got := tg.server(p).Stats().Requests; got != 5 {
				t.Errorf("requests = %d, want 5 (refused credentials are not retried)", got)
			}
			// Five refusals must not open the breaker: the platform is up.
			if err := tg.call(t.Context(), e, id); errors.Is(err, connectors.ErrCircuitOpen) {
				t.Error("refused credentials opened the breaker")
			}
		})
	}
	if _, err := e2.province.Persons(t.Context(), []string{id}); !errors.Is(err, connectors.ErrAuth) {
		t.Errorf("unknown app key: err = %v, want ErrAuth", err)
	}
}

// TestFaultKinds: every connector survives each fault kind at a high rate, and reports a
// typed error when the fault is permanent.
func TestFaultKinds(t *testing.T) {
	tests := []struct {
		name     string
		faults   sim.FaultConfig
		wantKind error // nil: every call must succeed (retries absorb the fault)
	}{
		{"server_errors_30pct", sim.FaultConfig{ErrorRate: 0.3}, nil},
		{"rate_limited_30pct_retry_after_30s", sim.FaultConfig{RateLimitRate: 0.3, RetryAfter: sim.Duration(30 * time.Second)}, nil},
		{"timeouts_30pct", sim.FaultConfig{TimeoutRate: 0.3, TimeoutMax: sim.Duration(5 * time.Second)}, nil}, // attempt timeout 100 ms
		{"truncated_30pct", sim.FaultConfig{TruncateRate: 0.3}, nil},
		{"malformed_30pct", sim.FaultConfig{MalformedRate: 0.3}, nil},
		{"truncated_always", sim.FaultConfig{TruncateRate: 1}, connectors.ErrDecode},
		{"malformed_always", sim.FaultConfig{MalformedRate: 1}, connectors.ErrDecode},
		{"server_errors_always", sim.FaultConfig{ErrorRate: 1}, connectors.ErrUpstream},
		{"rate_limited_always", sim.FaultConfig{RateLimitRate: 1, RetryAfter: sim.Duration(30 * time.Second)}, connectors.ErrUpstream},
		{"outage_status", sim.FaultConfig{Outages: []sim.Outage{{Mode: sim.OutageStatus}}}, connectors.ErrUpstream},
		{"outage_reset", sim.FaultConfig{Outages: []sim.Outage{{Mode: sim.OutageReset}}}, connectors.ErrUnavailable},
		{"timeouts_always", sim.FaultConfig{TimeoutRate: 1, TimeoutMax: sim.Duration(5 * time.Second)}, connectors.ErrTimeout},
	}
	p := startSim(t, sim.Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, tg := range targets {
				t.Run(tg.name, func(t *testing.T) {
					rc := fastResilience()
					rc.RetryMax = 10 // 0.3^11: a call fails about once in 600 000
					rc.AttemptTimeout = 100 * time.Millisecond
					if tc.wantKind != nil {
						rc.RetryMax = 2
						rc.AttemptTimeout = 100 * time.Millisecond
					}
					e := newEnv(t, p, rc)
					srv := tg.server(p)
					if tg.platformName() == "city" {
						// Obtain the token before the faults start: the token endpoint is
						// subject to faults too, and is tested by the data calls' retries.
						if err := tg.call(t.Context(), e, p.Data.Persons[0].ID); err != nil {
							t.Fatal(err)
						}
					}
					if err := srv.SetFaults(tc.faults); err != nil {
						t.Fatal(err)
					}
					defer srv.SetFaults(sim.FaultConfig{})
					srv.ResetStats()
					calls := 20
					if tc.wantKind != nil {
						calls = 2
					}
					start := time.Now()
					for i := range calls {
						id := p.Data.Persons[i].ID
						err := tg.call(t.Context(), e, id)
						if tc.wantKind == nil && err != nil {
							t.Fatalf("call %d: %v", i, err)
						}
						if tc.wantKind != nil && !errors.Is(err, tc.wantKind) {
							t.Fatalf("call %d: err = %v (%s), want %v", i, err, kindOf(err), tc.wantKind)
						}
					}
					st := srv.Stats()
					budget := calls * (rc.RetryMax + 1)
					if tg.get {
						budget++ // the warm-up's kept-alive connection, resent once by net/http
					}
					if st.Requests > int64(budget) {
						t.Errorf("%d requests for %d calls: retry budget %d exceeded", st.Requests, calls, rc.RetryMax)
					}
					if tc.wantKind == nil && len(st.Faults) == 0 {
						t.Errorf("no fault was injected: %+v", st)
					}
					if el := time.Since(start); el > 15*time.Second {
						t.Errorf("took %v: Retry-After or timeouts not bounded", el)
					}
				})
			}
		})
	}
}

// TestBreakerOpensFailsFastAndRecovers: an outage opens each platform's breaker after
// consecutive failed calls; while open, calls fail in well under 50 ms with an error naming
// the platform and never reach the platform; when the platform returns, the breaker lets a
// probe through and closes by itself.
func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	p := startSim(t, sim.Config{})
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			rc := fastResilience()
			rc.RetryMax = 1
			e := newEnv(t, p, rc)
			srv := tg.server(p)
			id := p.Data.Persons[1].ID
			if err := tg.call(t.Context(), e, id); err != nil { // token, warm connection
				t.Fatal(err)
			}
			if err := srv.SetFaults(sim.FaultConfig{Outages: []sim.Outage{{Mode: sim.OutageStatus}}}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if err := tg.call(t.Context(), e, id); !errors.Is(err, connectors.ErrUpstream) {
					t.Fatalf("outage call %d: %v", i, err)
				}
			}
			before := srv.Stats().Requests
			for range 20 {
				start := time.Now()
				err := tg.call(t.Context(), e, id)
				if el := time.Since(start); el > 50*time.Millisecond {
					t.Errorf("open breaker took %v", el)
				}
				if !errors.Is(err, connectors.ErrCircuitOpen) || !strings.Contains(err.Error(), "connectors: "+tg.platformName()+": circuit open") {
					t.Fatalf("err = %v, want circuit open naming %s", err, tg.platformName())
				}
			}
			if after := srv.Stats().Requests; after != before {
				t.Errorf("open breaker let %d requests through", after-before)
			}
			if err := srv.SetFaults(sim.FaultConfig{}); err != nil { // the platform returns
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				err := tg.call(t.Context(), e, id)
				if err == nil {
					break
				}
				if !errors.Is(err, connectors.ErrCircuitOpen) || time.Now().After(deadline) {
					t.Fatalf("did not recover: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for name, c := range map[string]interface{ BreakerState() string }{
				"province": e.province.Resilience(), "city": e.city.Resilience(), "district": e.district.Resilience(),
			} {
				if name == tg.platformName() && c.BreakerState() != "closed" {
					t.Errorf("breaker %s after recovery", c.BreakerState())
				}
			}
		})
	}
}

// TestProvinceSignsEveryAttempt: under 5xx/429 faults the province sees many retries of the
// same query and refuses none of them as a replay (fresh nonce and timestamp per attempt).
func TestProvinceSignsEveryAttempt(t *testing.T) {
	p := startSim(t, sim.Config{Faults: sim.ProfileFlaky})
	e := newEnv(t, p, fastResilience())
	for _, per := range p.Data.Persons[:60] {
		if _, err := e.province.Persons(t.Context(), []string{per.ID}); err != nil {
			t.Fatal(err)
		}
	}
	st := p.Province.Stats()
	if st.ByStatus["401"] != 0 {
		t.Errorf("%d attempts refused (replayed nonce or stale timestamp)", st.ByStatus["401"])
	}
	if st.Requests <= 60 {
		t.Errorf("no retries happened (%d requests)", st.Requests)
	}
}

// TestCityTokenCachedAndShared: many concurrent calls share one token.
func TestCityTokenCachedAndShared(t *testing.T) {
	p := startSim(t, sim.Config{})
	e := newEnv(t, p, fastResilience())
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			if _, err := e.city.Insurance(t.Context(), []string{p.Data.Persons[i].ID}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := p.City.Stats().ByEndpoint["POST /oauth2/token"]; n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

// TestCityTokenRefreshedBeforeExpiry: with a 2 s token lifetime, a call after 1.7 s uses a
// token obtained before the old one expired, and no resource request is refused.
func TestCityTokenRefreshedBeforeExpiry(t *testing.T) {
	p := startSim(t, sim.Config{TokenTTL: 2 * time.Second})
	e := newEnv(t, p, fastResilience())
	id := p.Data.Persons[0].ID
	for range 2 {
		if _, err := e.city.Insurance(t.Context(), []string{id}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1700 * time.Millisecond)
	}
	st := p.City.Stats()
	if st.ByEndpoint["POST /oauth2/token"] != 2 || st.ByStatus["401"] != 0 {
		t.Errorf("tokens = %d, 401s = %d; want 2 tokens and no refusal", st.ByEndpoint["POST /oauth2/token"], st.ByStatus["401"])
	}
}

// TestProvinceBatchesAndPages: 120 persons cost three rkjc/query calls (50 + 50 + 20);
// the licences of 50 holders span more than one dzzz/query page and all of them arrive.
func TestProvinceBatchesAndPages(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 400})
	e := newEnv(t, p, fastResilience())
	var ids []string
	wantLicences := 0
	for i := range 120 {
		ids = append(ids, p.Data.Persons[i].ID)
		if i < 50 {
			wantLicences += len(p.Data.Licences(int32(i)))
		}
	}
	recs, err := e.province.Persons(t.Context(), ids)
	if err != nil || len(recs) != 120 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if n := p.Province.Stats().ByEndpoint["POST /gateway/api/rkjc/query"]; n != 3 {
		t.Errorf("rkjc calls = %d, want 3", n)
	}
	lics, err := e.province.Licences(t.Context(), ids[:50])
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, l := range lics {
		got += len(l)
	}
	pages := p.Province.Stats().ByEndpoint["POST /gateway/api/dzzz/query"]
	if got != wantLicences || int(pages) != (wantLicences+99)/100 {
		t.Errorf("%d licences in %d pages, want %d in %d", got, pages, wantLicences, (wantLicences+99)/100)
	}
	t.Logf("%d licences of 50 holders in %d pages", got, pages)
}

// TestProvinceKinshipBatchesAndPages: the children of a whole household come in one qsgx/query
// request per 50 persons, paged by 100 rows, each parent's children eldest first and
// including children living in other households.
func TestProvinceKinshipBatchesAndPages(t *testing.T) {
	p := startSim(t, sim.Config{Residents: 400})
	e := newEnv(t, p, fastResilience())
	d := p.Data
	var ids []string
	want, elsewhere := 0, 0
	for i := range 120 {
		per := &d.Persons[i]
		ids = append(ids, per.ID)
		for _, c := range d.Children(int32(i)) {
			want++
			if d.Persons[c].Household != per.Household {
				elsewhere++
			}
		}
	}
	recs, err := e.province.Children(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for parent, cs := range recs {
		_, i, _ := d.PersonByID(parent)
		kids := d.Children(i)
		if len(cs) != len(kids) {
			t.Fatalf("%d children of one parent, want %d", len(cs), len(kids))
		}
		for k, c := range cs {
			if c.Child != d.Persons[kids[k]].ID || c.Provenance.Endpoint != "qsgx/query" || c.Provenance.FetchedAt.IsZero() {
				t.Fatalf("child %d = %+v, want %s with provenance", k, c, d.Persons[kids[k]].ID)
			}
		}
		got += len(cs)
	}
	// 120 persons: three requests of at most 50, each one page unless more than 100 rows.
	calls := p.Province.Stats().ByEndpoint["POST /gateway/api/qsgx/query"]
	if got != want || calls < 3 {
		t.Errorf("%d children in %d requests, want %d in at least 3", got, calls, want)
	}
	if elsewhere == 0 {
		t.Errorf("no child living in another household among %d: the case the endpoint exists for is untested", want)
	}
	t.Logf("%d children (%d in other households) of 120 persons in %d requests", got, elsewhere, calls)
}
