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
			got = append(got, key(row.IDNumber, row.Village, row.Item))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("village %s: got %d candidates %v, want %d %v", village, len(got), got, len(want), want)
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
}
