package schema

import (
	"strings"
	"testing"

	"sanmian/hub/auth"
	"sanmian/hub/ident"
)

// TestWorklistsAndAlerts: the worklists and alerts fields page through the service's findings
// with the service's cursors, show only masked ID numbers, keep a counter to its jurisdiction,
// refuse alerts to a counter, filter alerts by resolution, and the follow-up mutations reach
// the service.
func TestWorklistsAndAlerts(t *testing.T) {
	f, fx := newFake()
	h := Handler(f)
	c := counterA(fx)
	auditor := &auth.Caller{Subject: "auditor-1", Issuer: "demo", Role: "auditor"}

	// Paged one at a time: the village's two candidates, never village B's.
	var ids []string
	after := ""
	for range 5 {
		_, r, raw := post(t, h, c, q(`query($after: String) { worklists(first: 1, after: $after) {
			edges { cursor node { id idNumber villageCode itemCode reasons scannedAt reasonTexts { code zh } contact { status } } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}))
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %s", raw)
		}
		for _, s := range []string{fx.head, fx.spouse, fx.bHead, ident.MaskIDNumber(fx.bHead)} {
			if strings.Contains(raw, s) {
				t.Fatalf("leaked %q: %s", s, raw)
			}
		}
		for _, e := range asList(dig(r.Data, "worklists", "edges")) {
			ids = append(ids, dig(e, "node", "idNumber").(string))
			if dig(e, "node", "villageCode") != fx.villageA.Code || len(asList(dig(e, "node", "reasons"))) != 1 || dig(e, "node", "reasonTexts", 0, "zh") != "年满80周岁" {
				t.Fatalf("node %v", e)
			}
		}
		if dig(r.Data, "worklists", "pageInfo", "hasNextPage") != true {
			break
		}
		after, _ = dig(r.Data, "worklists", "pageInfo", "endCursor").(string)
	}
	if want := []string{ident.MaskIDNumber(fx.head), ident.MaskIDNumber(fx.spouse)}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("worklist ids %v, want %v", ids, want)
	}

	// Another village's division is refused; alerts are refused to a counter.
	_, r, raw := post(t, h, c, q(`{ worklists(division: "`+fx.villageB.Code+`") { edges { node { idNumber } } } }`, nil))
	if !r.hasCode(CodeForbidden) || strings.Contains(raw, ident.MaskIDNumber(fx.bHead)) {
		t.Fatalf("other village: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`{ alerts { edges { node { idNumber } } } }`, nil))
	if !r.hasCode(CodeForbidden) {
		t.Fatalf("counter reading alerts: %s", raw)
	}

	// An auditor sees both alerts with rule, evidence and sources; resolving one moves it to
	// the resolved filter.
	alerts := func(filter string) []any {
		_, r, raw := post(t, h, auditor, q(`{ alerts`+filter+` { edges { node { id idNumber rule evidence sources resolution { note actor } } } } }`, nil))
		if len(r.Errors) > 0 {
			t.Fatalf("alerts: %s", raw)
		}
		return asList(dig(r.Data, "alerts", "edges"))
	}
	all := alerts("")
	if len(all) != 2 || dig(all[0], "node", "rule") == nil || len(asList(dig(all[0], "node", "sources"))) != 1 || dig(all[0], "node", "resolution") != nil {
		t.Fatalf("alerts %v", all)
	}
	id := dig(all[0], "node", "id").(string)
	_, r, raw = post(t, h, auditor, q(`mutation($id: ID!) { resolveAlert(input: {alertId: $id, note: "已核实，已停发"}) { id resolution { note actor } } }`, map[string]any{"id": id}))
	if len(r.Errors) > 0 || dig(r.Data, "resolveAlert", "resolution", "note") != "已核实，已停发" {
		t.Fatalf("resolve: %s", raw)
	}
	if got := alerts("(resolved: true)"); len(got) != 1 || dig(got[0], "node", "id") != id {
		t.Fatalf("resolved alerts %v", got)
	}
	if got := alerts("(resolved: false)"); len(got) != 1 || dig(got[0], "node", "id") == id {
		t.Fatalf("open alerts %v", got)
	}

	// A contact-log entry through the mutation, and an unknown status refused by the schema.
	_, r, raw = post(t, h, c, q(`mutation { addContact(input: {findingId: "1", status: UNREACHABLE, note: "电话未接通"}) { status note actor } }`, nil))
	if len(r.Errors) > 0 || dig(r.Data, "addContact", "status") != "UNREACHABLE" || dig(r.Data, "addContact", "actor") != "cadre-a" {
		t.Fatalf("addContact: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`{ worklists(first: 1) { edges { node { contact { status note } } } } }`, nil))
	if dig(r.Data, "worklists", "edges", 0, "node", "contact", "status") != "UNREACHABLE" {
		t.Fatalf("latest contact not shown: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`mutation { addContact(input: {findingId: "1", status: CALLED}) { status } }`, nil))
	if len(r.Errors) == 0 {
		t.Fatalf("unknown status accepted: %s", raw)
	}

	// The contact log, newest first; refused to another village's counter; unknown ids are
	// NOT_FOUND.
	_, r, raw = post(t, h, c, q(`mutation { addContact(input: {findingId: "1", status: APPLIED, note: "已申请"}) { status } }`, nil))
	if len(r.Errors) > 0 {
		t.Fatalf("addContact: %s", raw)
	}
	_, r, raw = post(t, h, c, q(`query($id: ID!) { contactLog(findingId: $id) { seq status note actor itemCode } }`, map[string]any{"id": "1"}))
	log := asList(dig(r.Data, "contactLog"))
	if len(r.Errors) > 0 || len(log) != 2 || dig(log[0], "status") != "APPLIED" || dig(log[1], "status") != "UNREACHABLE" || dig(log[1], "note") != "电话未接通" {
		t.Fatalf("contactLog: %s", raw)
	}
	counterB := &auth.Caller{Subject: "cadre-b", Issuer: "demo", Role: "counter", Jurisdiction: fx.villageB.Code}
	if _, r, raw = post(t, h, counterB, q(`{ contactLog(findingId: "1") { status } }`, nil)); !r.hasCode(CodeForbidden) || dig(r.Data, "contactLog") != nil {
		t.Fatalf("other village's contact log: %s", raw)
	}
	if _, r, raw = post(t, h, c, q(`{ contactLog(findingId: "999") { status } }`, nil)); !r.hasCode(CodeNotFound) {
		t.Fatalf("unknown finding: %s", raw)
	}
}
