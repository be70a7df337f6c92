package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/hub/app/apptest"
	"sanmian/hub/ident"
	"sanmian/hub/scan"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// getFindings pages through GET path (worklists or alerts) with token, returning the rows
// under key, or the status of the first answer that is not 200.
func getFindings(t *testing.T, h *apptest.Hub, token, path, key string) ([]service.FindingView, int) {
	t.Helper()
	var out []service.FindingView
	next := ""
	for {
		u := h.URL + path
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "limit=7"
		if next != "" {
			u += "&after=" + next
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return out, resp.StatusCode
		}
		var page map[string]json.RawMessage
		var rows []service.FindingView
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(page[key], &rows); err != nil || rows == nil {
			t.Fatalf("%s: no %q array in %s", path, key, body)
		}
		out = append(out, rows...)
		if err := json.Unmarshal(page["next"], &next); err != nil {
			t.Fatal(err)
		}
		if next == "" {
			return out, http.StatusOK
		}
	}
}

// TestWorklistsAndAlertsAfterScan runs the district scan on the synced feeds of a simulated
// district and reads its saved results through REST: a village counter gets exactly that
// village's candidates, masked, with reasons; another village's counter gets none of them
// and is refused (and audited) when asking for them; an auditor gets the alerts with their
// sources, a counter asking for alerts is refused and audited; every resident shown has a
// data-use record of the view.
func TestWorklistsAndAlertsAfterScan(t *testing.T) {
	h := apptest.Start(t, apptest.Options{})
	ctx := t.Context()
	if err := h.App.SyncFeeds(ctx, nil); err != nil {
		t.Fatal(err)
	}
	dialect := "sqlite"
	if h.App.Store.Backend() == "postgres" {
		dialect = "postgresql"
	}
	r := &scan.Runner{Engine: h.App.Policy, Store: h.App.Store}
	rep, err := r.Run(ctx, scan.Options{At: time.Now(), Dialect: dialect, Reasons: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Save(ctx, h.App.Store, "", rep); err != nil {
		t.Fatal(err)
	}

	// The saved candidates per village (full ID numbers), and the village with the most.
	var all []store.ScanFinding
	for after := ""; ; {
		page, next, err := h.App.Store.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate}, store.Page{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		after = next
	}
	byVillage := map[string][]store.ScanFinding{}
	var village string
	for _, f := range all {
		byVillage[f.Village] = append(byVillage[f.Village], f)
		if len(byVillage[f.Village]) > len(byVillage[village]) {
			village = f.Village
		}
	}
	if len(byVillage[village]) < 2 {
		t.Fatalf("the scan found too few candidates to test (%d villages)", len(byVillage))
	}
	var other string
	for v := range byVillage {
		if v != village && v[:9] != village[:9] {
			other = v
			break
		}
	}
	if other == "" {
		t.Fatal("no candidates in a second town")
	}
	key := func(id, village, item string) string { return id + "|" + village + "|" + item }
	var want []string
	for _, f := range byVillage[village] {
		want = append(want, key(ident.MaskIDNumber(f.IDNumber), f.Village, f.Item))
	}

	counter := h.Token(t, "counter", village)
	outsider := h.Token(t, "counter", other)
	auditor := h.Token(t, "auditor", "")

	t.Run("village_counter_gets_own_candidates_masked", func(t *testing.T) {
		rows, status := getFindings(t, h, counter, "/v1/worklists", "candidates")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		var got []string
		for _, row := range rows {
			if !strings.Contains(row.IDNumber, "*") || len(row.Reasons) == 0 || row.ScannedAt != rep.At {
				t.Fatalf("row %+v not masked, without reasons or scan date", row)
			}
			if len(row.ReasonTexts) != len(row.Reasons) || row.ReasonTexts[0].Code != row.Reasons[0] || row.ReasonTexts[0].ZH == row.Reasons[0] || row.ReasonTexts[0].EN == "" {
				t.Fatalf("row %+v: reasons without their catalogue texts", row)
			}
			got = append(got, key(row.IDNumber, row.Village, row.Item))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("village %s: got %d candidates %v, want %d %v", village, len(got), got, len(want), want)
		}
	})

	t.Run("graphql_worklists_same_as_rest", func(t *testing.T) {
		var got []string
		after := ""
		for range 100 {
			body, _ := json.Marshal(map[string]any{"query": `query($after: String) { worklists(first: 7, after: $after) {
				edges { node { idNumber villageCode itemCode reasonTexts { zh } } } pageInfo { hasNextPage endCursor } } }`,
				"variables": map[string]any{"after": after}})
			status, raw := sendRaw(t, h, counter, http.MethodPost, "/graphql", string(body))
			var r struct {
				Data struct {
					Worklists struct {
						Edges []struct {
							Node struct {
								IDNumber, VillageCode, ItemCode string
								ReasonTexts                     []struct{ ZH string }
							}
						}
						PageInfo struct {
							HasNextPage bool
							EndCursor   string
						}
					}
				}
				Errors []any
			}
			if err := json.Unmarshal([]byte(raw), &r); err != nil || status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("graphql: %d %s", status, raw)
			}
			for _, e := range r.Data.Worklists.Edges {
				if len(e.Node.ReasonTexts) == 0 || e.Node.ReasonTexts[0].ZH == "" {
					t.Fatalf("node %+v without reason texts", e.Node)
				}
				got = append(got, key(e.Node.IDNumber, e.Node.VillageCode, e.Node.ItemCode))
			}
			if !r.Data.Worklists.PageInfo.HasNextPage {
				break
			}
			after = r.Data.Worklists.PageInfo.EndCursor
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("GraphQL worklists of %s: %v, want %v", village, got, want)
		}
		// Alerts through GraphQL are refused to the village's reviewer.
		body, _ := json.Marshal(map[string]any{"query": `{ alerts { edges { node { idNumber } } } }`})
		if _, raw := sendRaw(t, h, h.Token(t, "reviewer", village), http.MethodPost, "/graphql", string(body)); !strings.Contains(raw, "FORBIDDEN") {
			t.Fatalf("reviewer reading alerts through GraphQL: %s", raw)
		}
	})

	t.Run("other_village_counter_gets_none_of_them", func(t *testing.T) {
		rows, status := getFindings(t, h, outsider, "/v1/worklists", "candidates")
		if status != http.StatusOK || len(rows) == 0 {
			t.Fatalf("status %d, %d rows; want the other village's own candidates", status, len(rows))
		}
		for _, row := range rows {
			if row.Village != other {
				t.Fatalf("counter of %s shown a candidate of %s", other, row.Village)
			}
		}
		if _, status := getFindings(t, h, outsider, "/v1/worklists?division="+village, "candidates"); status != http.StatusForbidden {
			t.Fatalf("another village's worklist: status %d, want 403", status)
		}
	})

	t.Run("auditor_gets_alerts_counter_refused_and_audited", func(t *testing.T) {
		rows, status := getFindings(t, h, auditor, "/v1/alerts", "alerts")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		alerts := 0
		for _, it := range rep.Items {
			alerts += it.Alerts
		}
		if alerts == 0 {
			t.Fatal("the scan found no alerts on the simulated district")
		}
		if len(rows) != alerts {
			t.Fatalf("auditor got %d alerts, the scan found %d", len(rows), alerts)
		}
		for _, row := range rows {
			if !strings.Contains(row.IDNumber, "*") || len(row.Sources) == 0 || row.Rule == "" {
				t.Fatalf("alert %+v not masked or without rule and sources", row)
			}
		}
		if _, status := getFindings(t, h, counter, "/v1/alerts", "alerts"); status != http.StatusForbidden {
			t.Fatalf("counter asking for alerts: status %d, want 403", status)
		}
		entries, err := h.App.Store.ListAudit(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		refusals := 0
		for _, e := range entries {
			if e.Action == store.AuditRefusal && e.ActorSub == "counter-"+village {
				refusals++
			}
		}
		if refusals != 1 {
			t.Fatalf("%d refusal entries for the counter, want 1", refusals)
		}
	})

	t.Run("auditor_gets_cross_check_alerts_with_roll_entries_masked", func(t *testing.T) {
		cross := func(reasons []string) bool {
			return slices.Contains(reasons, scan.ReasonDoubleEnrolment) || slices.Contains(reasons, "tekun_with_dibao")
		}
		want := 0
		for _, it := range rep.Items {
			for _, a := range it.AlertList {
				if cross(a.Reasons) {
					want++
				}
			}
		}
		if want == 0 {
			t.Fatal("the scan found no cross-item conflict or double enrolment on the simulated district")
		}
		rows, status := getFindings(t, h, auditor, "/v1/alerts", "alerts")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		got := 0
		for _, row := range rows {
			if !cross(row.Reasons) {
				continue
			}
			got++
			if row.Rule == "" || len(row.Evidence) < 2 || len(row.Sources) != len(row.Evidence) {
				t.Fatalf("cross-check alert %+v without rule, roll entries or sources", row)
			}
			for k, e := range row.Evidence {
				if row.Sources[k] != "district" || !strings.HasPrefix(e, "household:") && !strings.Contains(e, "********") {
					t.Fatalf("cross-check alert %+v: evidence %q from %q, want a masked district roll entry", row, e, row.Sources[k])
				}
			}
		}
		if got != want {
			t.Fatalf("auditor got %d cross-check alerts, the scan found %d", got, want)
		}
	})

	t.Run("data_use_recorded_per_resident_shown", func(t *testing.T) {
		for _, f := range byVillage[village] {
			uses, _, err := h.App.Store.ListDataUse(ctx, f.IDNumber, store.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(uses, func(u store.DataUse) bool {
				return u.Purpose == service.PurposeWorklist && u.Sub == "counter-"+village && u.Item == f.Item
			}) {
				t.Fatalf("no worklist data-use record for a candidate of %s (%d records)", village, len(uses))
			}
		}
		as, _, err := h.App.Store.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert}, store.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			uses, _, err := h.App.Store.ListDataUse(ctx, a.IDNumber, store.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(uses, func(u store.DataUse) bool { return u.Purpose == service.PurposeAlerts && u.Role == "auditor" }) {
				t.Fatalf("no alert data-use record for an alerted resident (%d records)", len(uses))
			}
		}
	})

	t.Run("contact_log_application_and_alert_resolution_audited", func(t *testing.T) {
		f := byVillage[village][0]
		// The candidate's id as the worklist shows it.
		rows, _ := getFindings(t, h, counter, "/v1/worklists", "candidates")
		var row service.FindingView
		for _, r := range rows {
			if r.IDNumber == ident.MaskIDNumber(f.IDNumber) && r.Item == f.Item {
				row = r
			}
		}
		if row.ID == "" || row.Contact != nil {
			t.Fatalf("candidate %+v: no id, or a contact before any was logged", row)
		}
		res, err := h.App.Store.GetResident(ctx, f.IDNumber)
		if err != nil {
			t.Fatal(err)
		}
		base := "/v1/worklists/" + row.ID

		// Bad input is a problem document naming the field; nothing is logged.
		status, body := sendRaw(t, h, counter, http.MethodPost, base+"/contacts", `{"status":"called","note":"x"}`)
		if status != http.StatusBadRequest || !strings.Contains(body, `"status"`) || !strings.Contains(body, "invalid-request") {
			t.Fatalf("bad status: %d %s", status, body)
		}
		status, body = sendRaw(t, h, counter, http.MethodPost, base+"/contacts", `{"status":"contacted","extra":1}`)
		if status != http.StatusBadRequest {
			t.Fatalf("unknown member: %d %s", status, body)
		}
		if status, body = sendRaw(t, h, counter, http.MethodPost, "/v1/worklists/999999999/contacts", `{"status":"contacted"}`); status != http.StatusNotFound {
			t.Fatalf("unknown candidate: %d %s", status, body)
		}

		// A note naming the resident and a phone number is stored redacted.
		note := "已电话联系" + res.Name + "，电话13812345678，本人同意办理"
		status, body = sendRaw(t, h, counter, http.MethodPost, base+"/contacts", `{"status":"contacted","note":"`+note+`"}`)
		if status != http.StatusCreated {
			t.Fatalf("add contact: %d %s", status, body)
		}
		var entry service.ContactView
		if err := json.Unmarshal([]byte(body), &entry); err != nil {
			t.Fatal(err)
		}
		if entry.Status != "contacted" || strings.Contains(entry.Note, res.Name) || strings.Contains(entry.Note, "13812345678") ||
			!strings.Contains(entry.Note, "本人同意办理") || entry.IDNumber != row.IDNumber || entry.By != "counter-"+village {
			t.Fatalf("entry %+v", entry)
		}
		// Another village's counter and the read-only auditor may not log; both refusals audited.
		if status, body = sendRaw(t, h, outsider, http.MethodPost, base+"/contacts", `{"status":"declined"}`); status != http.StatusForbidden {
			t.Fatalf("outsider logging: %d %s", status, body)
		}
		if status, body = sendRaw(t, h, auditor, http.MethodPost, base+"/contacts", `{"status":"declined"}`); status != http.StatusForbidden {
			t.Fatalf("auditor logging: %d %s", status, body)
		}
		if status, _ = sendRaw(t, h, outsider, http.MethodGet, base+"/contacts", ""); status != http.StatusForbidden {
			t.Fatalf("outsider reading the log: %d", status)
		}

		// One click to the application: created on live evidence, the log gets "applied".
		status, body = sendRaw(t, h, counter, http.MethodPost, base+"/application", `{}`)
		if status != http.StatusCreated {
			t.Fatalf("application from the worklist: %d %s", status, body)
		}
		var app service.ApplicationView
		if err := json.Unmarshal([]byte(body), &app); err != nil {
			t.Fatal(err)
		}
		if app.Item != f.Item || app.Decision.DecisionID == "" || strings.Contains(body, f.IDNumber) {
			t.Fatalf("application %+v (full ID number in the answer: %v)", app, strings.Contains(body, f.IDNumber))
		}
		stored, err := h.App.Store.GetApplication(ctx, app.ID)
		if err != nil || stored.ApplicantID != f.IDNumber {
			t.Fatalf("stored application %+v %v", stored, err)
		}
		status, body = sendRaw(t, h, counter, http.MethodGet, base+"/contacts", "")
		var log struct{ Contacts []service.ContactView }
		if err := json.Unmarshal([]byte(body), &log); err != nil || status != http.StatusOK {
			t.Fatalf("log: %d %s", status, body)
		}
		if len(log.Contacts) != 2 || log.Contacts[0].Status != "applied" || !strings.Contains(log.Contacts[0].Note, app.ID) || log.Contacts[1].Status != "contacted" {
			t.Fatalf("log %+v", log.Contacts)
		}
		// GraphQL's contactLog is the same log, recorded in the resident's data-use record as
		// the REST read is; another village's counter is refused, and the refusal audited.
		countUses := func() int {
			uses, _, err := h.App.Store.ListDataUse(ctx, f.IDNumber, store.Page{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(slices.DeleteFunc(uses, func(u store.DataUse) bool {
				return u.Purpose != service.PurposeContact || u.Sub != "counter-"+village || u.Item != f.Item
			}))
		}
		usesBefore := countUses()
		gqlBody, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { contactLog(findingId: $id) { seq status note actor role itemCode } }`,
			"variables": map[string]any{"id": row.ID}})
		status, raw := sendRaw(t, h, counter, http.MethodPost, "/graphql", string(gqlBody))
		var gl struct {
			Data struct {
				ContactLog []struct {
					Seq                                 int64
					Status, Note, Actor, Role, ItemCode string
				}
			}
			Errors []any
		}
		if err := json.Unmarshal([]byte(raw), &gl); err != nil || status != http.StatusOK || len(gl.Errors) > 0 || len(gl.Data.ContactLog) != len(log.Contacts) {
			t.Fatalf("graphql contactLog: %d %s", status, raw)
		}
		for i, e := range gl.Data.ContactLog {
			w := log.Contacts[i]
			if e.Seq != w.Seq || e.Status != strings.ToUpper(w.Status) || e.Note != w.Note || e.Actor != w.By || e.Role != w.Role || e.ItemCode != w.Item {
				t.Fatalf("graphql entry %d %+v, REST %+v", i, e, w)
			}
		}
		if strings.Contains(raw, f.IDNumber) || strings.Contains(raw, res.Name) {
			t.Fatalf("graphql contact log shows the full ID number or the name: %s", raw)
		}
		if got := countUses(); got != usesBefore+1 {
			t.Fatalf("data-use records of the contact log: %d after the GraphQL read, want %d", got, usesBefore+1)
		}
		refusalsOf := func(sub string) int {
			entries, err := h.App.Store.ListAudit(ctx, 0, 100000)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if e.Action == store.AuditRefusal && e.ActorSub == sub {
					n++
				}
			}
			return n
		}
		refusalsBefore := refusalsOf("counter-" + other)
		if _, raw := sendRaw(t, h, outsider, http.MethodPost, "/graphql", string(gqlBody)); !strings.Contains(raw, "FORBIDDEN") || strings.Contains(raw, `"seq"`) {
			t.Fatalf("outsider reading the log through GraphQL: %s", raw)
		}
		if got := refusalsOf("counter-" + other); got != refusalsBefore+1 {
			t.Fatalf("outsider's refusals %d, want %d", got, refusalsBefore+1)
		}

		rows, _ = getFindings(t, h, counter, "/v1/worklists", "candidates")
		for _, r := range rows {
			if r.ID == row.ID && (r.Contact == nil || r.Contact.Status != "applied") {
				t.Fatalf("worklist row's latest contact %+v", r.Contact)
			}
		}

		// The monthly statistics count the follow-up: one resident reached, one application
		// made, none approved yet.
		status, body = sendRaw(t, h, counter, http.MethodGet, "/v1/statistics?division="+village+"&item="+f.Item, "")
		var stats service.StatsReport
		if err := json.Unmarshal([]byte(body), &stats); err != nil || status != http.StatusOK {
			t.Fatalf("statistics: %d %s", status, body)
		}
		if c := stats.Total.ProactiveCoverage; c != (service.ProactiveCoverage{Contacted: 1, Applied: 1, Enrolled: 0}) {
			t.Fatalf("proactive coverage %+v, want 1 reached, 1 applied, 0 enrolled", c)
		}

		// An auditor resolves an alert with a note; a counter may not; resolving twice is 409.
		alerts, _ := getFindings(t, h, auditor, "/v1/alerts?resolved=open", "alerts")
		if len(alerts) == 0 {
			t.Fatal("no open alerts")
		}
		a := alerts[0]
		if status, body = sendRaw(t, h, counter, http.MethodPost, "/v1/alerts/"+a.ID+"/resolve", `{"note":"x"}`); status != http.StatusForbidden {
			t.Fatalf("counter resolving: %d %s", status, body)
		}
		if status, body = sendRaw(t, h, auditor, http.MethodPost, "/v1/alerts/"+a.ID+"/resolve", `{"note":"  "}`); status != http.StatusBadRequest {
			t.Fatalf("empty note: %d %s", status, body)
		}
		status, body = sendRaw(t, h, auditor, http.MethodPost, "/v1/alerts/"+a.ID+"/resolve", `{"note":"已核实：省平台死亡记录属实，已通知停发"}`)
		var resolved service.FindingView
		if err := json.Unmarshal([]byte(body), &resolved); err != nil || status != http.StatusOK || resolved.Resolution == nil ||
			resolved.Resolution.By != "auditor-" || resolved.ID != a.ID {
			t.Fatalf("resolve: %d %s", status, body)
		}
		if status, body = sendRaw(t, h, auditor, http.MethodPost, "/v1/alerts/"+a.ID+"/resolve", `{"note":"again"}`); status != http.StatusConflict {
			t.Fatalf("second resolution: %d %s", status, body)
		}
		done, _ := getFindings(t, h, auditor, "/v1/alerts?resolved=resolved", "alerts")
		open, _ := getFindings(t, h, auditor, "/v1/alerts?resolved=open", "alerts")
		if len(done) != 1 || done[0].ID != a.ID || len(open) != len(alerts)-1 {
			t.Fatalf("after resolving: %d resolved, %d open of %d", len(done), len(open), len(alerts))
		}
		if _, status := getFindings(t, h, auditor, "/v1/alerts?resolved=maybe", "alerts"); status != http.StatusBadRequest {
			t.Fatalf("bad resolved filter: %d", status)
		}

		// Both follow-ups are in the audit chain, naming the resident by digest only, and the
		// chain verifies.
		entries, err := h.App.Store.ListAudit(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		var contacts, resolutions int
		for _, e := range entries {
			if strings.Contains(string(e.Details), f.IDNumber) || strings.Contains(string(e.Details), "13812345678") {
				t.Fatalf("audit entry %d holds personal data: %s", e.Seq, e.Details)
			}
			switch {
			case e.Action == store.AuditContact && e.Subject == h.App.Store.SubjectDigest(f.IDNumber) && e.ActorSub == "counter-"+village:
				contacts++
			case e.Action == store.AuditAlertResolution && e.ActorRole == "auditor" && strings.Contains(string(e.Details), "已通知停发"):
				resolutions++
			}
		}
		if contacts != 2 || resolutions != 1 {
			t.Fatalf("audit chain: %d contact entries (want 2), %d resolutions (want 1)", contacts, resolutions)
		}
		if rep, err := h.App.Store.VerifyAudit(ctx, nil); err != nil || !rep.Intact {
			t.Fatalf("audit chain does not verify: %+v %v", rep, err)
		}
	})
}

// sendRaw sends method path with token and a JSON body ("" for none) and returns the status
// and the body.
func sendRaw(t *testing.T, h *apptest.Hub, token, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
