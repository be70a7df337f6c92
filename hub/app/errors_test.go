package app_test

import (
	"strings"
	"testing"

	"sanmian/connectors/sim"
)

// TestPlatformOutageNamedByType takes every platform down and applies for an item: the 503
// problem names a platform that failed, read from the connector error's type through the
// service's evidence error, and shows no internal error text.
func TestPlatformOutageNamedByType(t *testing.T) {
	e := newHubEnv(t)
	const item = "elderly_allowance"
	p := &e.sim.Data.Persons[e.hub.Candidates(item)[0]]
	counter := e.token("counter", e.sim.Data.Village(p).Code)
	for _, pl := range []*sim.Server{e.sim.Province, e.sim.City, e.sim.District} {
		pl.SetFaults(sim.FaultConfig{Outages: []sim.Outage{{}}})
	}

	r := e.do("POST", "/v1/applications", counter, map[string]any{"item": item,
		"applicant": map[string]string{"id_number": p.ID}, "purpose": "高龄补贴申请"}, "Idempotency-Key", "outage-1")
	if r.status != 503 || r.body["type"] != "urn:sanmian:problem:evidence-unavailable" {
		t.Fatalf("create during a district outage: %d %s", r.status, r.raw)
	}
	detail, _ := r.body["detail"].(string)
	named := 0
	for _, pl := range [][2]string{{"province", "省一体化大数据平台"}, {"city", "市大数据平台"}, {"district", "区数据要素融合赋能平台"}} {
		if strings.Contains(detail, "The "+pl[0]+" platform ("+pl[1]+")") {
			named++
		}
	}
	if named != 1 {
		t.Errorf("detail does not name one platform: %q", detail)
	}
	for _, s := range []string{"connectors:", "service:", "status 503", "127.0.0.1"} {
		if strings.Contains(string(r.raw), s) {
			t.Errorf("problem shows internal text %q: %s", s, r.raw)
		}
	}
}
