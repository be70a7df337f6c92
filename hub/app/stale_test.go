package app_test

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/app"
	"sanmian/hub/app/apptest"
	"sanmian/hub/config"
)

// TestStaleEvidencePerItemAndKind runs a hub whose province.person evidence lives one minute
// and may be served stale for an hour (hub.yaml evidence.ttl and evidence.max_stale), over the
// real simulators, with a clock for the evidence cache. Once the province is down past the
// minute: the residence certificate, which accepts stale evidence of every kind, is decided on
// the cached record, marked stale and never approved at once; temporary assistance, money that
// accepts only a stale village (stale_kinds), is undetermined with province.person missing,
// although the same record is cached. Past the hour nothing stale is served.
func TestStaleEvidencePerItemAndKind(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	advance := func(d time.Duration) { now.Add(int64(d)) }
	h := apptest.Start(t, apptest.Options{
		Configure: func(c *config.Config) {
			c.Evidence.TTL = map[string]time.Duration{"province.person": time.Minute}
			c.Evidence.MaxStale = map[string]time.Duration{"province.person": time.Hour}
		},
		AppOptions: []app.Option{app.WithEvidenceClock(clock)},
	})
	e := &hubEnv{t: t, url: h.URL, sim: h.Sim, app: h.App, iss: h.Issuer, key: h.Key, hub: h}
	// A living resident: any of them may have a residence certificate.
	d := h.Sim.Data
	var id, village string
	for i := range d.Persons {
		if p := &d.Persons[i]; p.Death == 0 {
			id, village = p.ID, d.Village(p).Code
			break
		}
	}
	counter := e.token("counter", village)
	seq := 0
	type outcome struct {
		eligible any
		instant  bool
		stale    bool
		missing  []string
		raw      string
	}
	apply := func(item string) outcome {
		t.Helper()
		seq++
		r := e.do("POST", "/v1/applications", counter, map[string]any{"item": item,
			"applicant": map[string]string{"id_number": id}, "purpose": "测试：缓存数据"},
			"Idempotency-Key", fmt.Sprintf("stale-%d", seq))
		if r.status != 201 {
			t.Fatalf("%s: status %d %.400s", item, r.status, r.raw)
		}
		o := outcome{eligible: field(r.body, "decision.eligible"), raw: string(r.raw)}
		o.instant, _ = field(r.body, "decision.instant").(bool)
		o.stale, _ = field(r.body, "decision.stale").(bool)
		ms, _ := field(r.body, "decision.missing").([]any)
		for _, m := range ms {
			o.missing = append(o.missing, fmt.Sprint(m))
		}
		return o
	}
	const (
		anyStale   = "residence_certificate" // stale_allowed, every kind
		moneyItem  = "temporary_assistance"  // stale_allowed, stale_kinds [district.household]
		personKind = "province.person"
	)

	// The province up: fresh evidence, the cache filled for both items.
	if o := apply(anyStale); o.eligible != true || !o.instant || o.stale {
		t.Fatalf("%s with the province up: eligible %v instant %v stale %v, want an instant approval on fresh evidence: %.400s", anyStale, o.eligible, o.instant, o.stale, o.raw)
	}
	if o := apply(moneyItem); o.stale || len(o.missing) != 0 {
		t.Fatalf("%s with the province up: stale %v missing %v", moneyItem, o.stale, o.missing)
	}

	// Past the province.person TTL, within its max_stale, the province down.
	advance(2 * time.Minute)
	if err := h.Sim.Province.SetFaults(sim.FaultConfig{Outages: []sim.Outage{{}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, item   string
		wantEligible any
		wantStale    bool
		wantMissing  bool // province.person missing
	}{
		{"stale_accepted_decided_stale", anyStale, true, true, false},
		{"money_item_refuses_stale_death_record", moneyItem, nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := apply(tc.item)
			if o.eligible != tc.wantEligible || o.stale != tc.wantStale || slices.Contains(o.missing, personKind) != tc.wantMissing {
				t.Fatalf("%s during the outage: eligible %v stale %v missing %v, want eligible %v stale %v %s missing %v: %.400s",
					tc.item, o.eligible, o.stale, o.missing, tc.wantEligible, tc.wantStale, personKind, tc.wantMissing, o.raw)
			}
			if o.instant {
				t.Errorf("%s during the outage: instant approval on stale or missing evidence", tc.item)
			}
		})
	}

	// Past max_stale: nothing stale is served, the item that accepted stale evidence is
	// undetermined too.
	advance(2 * time.Hour)
	o := apply(anyStale)
	if o.eligible != nil || o.stale || o.instant || !slices.Contains(o.missing, personKind) {
		t.Fatalf("%s past max_stale: eligible %v stale %v instant %v missing %v, want undetermined with %s missing: %.400s",
			anyStale, o.eligible, o.stale, o.instant, o.missing, personKind, o.raw)
	}
}
