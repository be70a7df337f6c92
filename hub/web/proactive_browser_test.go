package web_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/scan"
	"sanmian/hub/store"
)

// scanned syncs the simulated district's feeds into the hub's store and saves a district scan,
// as `hub scan` does, and returns the saved findings of kind.
func scanned(t *testing.T, h *hub) (candidates, alerts []store.ScanFinding) {
	t.Helper()
	ctx := t.Context()
	if err := h.real.App.SyncFeeds(ctx, nil); err != nil {
		t.Fatal(err)
	}
	dialect := "sqlite"
	if h.real.App.Store.Backend() == "postgres" {
		dialect = "postgresql"
	}
	r := &scan.Runner{Engine: h.real.App.Policy, Store: h.real.App.Store}
	rep, err := r.Run(ctx, scan.Options{At: time.Now(), Dialect: dialect, Reasons: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Save(ctx, h.real.App.Store, "", rep); err != nil {
		t.Fatal(err)
	}
	all := func(kind string) []store.ScanFinding {
		var out []store.ScanFinding
		for after := ""; ; {
			page, next, err := h.real.App.Store.ListScanFindings(ctx, store.FindingFilter{Kind: kind}, store.Page{After: after, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, page...)
			if next == "" {
				return out
			}
			after = next
		}
	}
	return all(store.FindingCandidate), all(store.FindingAlert)
}

// TestBrowserProactiveServiceAndAlerts drives the two scan pages in Chromium: a village
// counter's 主动服务 list names exactly its village's candidates, masked, with the reasons
// in Chinese; a contact is logged from the page and shows in the list; one click makes the
// application, which the counter page shows pre-filled; an auditor's 监督预警 page lists the
// alerts with evidence and sources and resolves one with a note; contact-log entries and the
// resolution are in the audit chain; in English every label changes; nothing outside the hub
// is requested and no full ID number reaches the page or its network responses.
func TestBrowserProactiveServiceAndAlerts(t *testing.T) {
	ctx := browser(t)
	h := startHub(t)
	p := &page{t: t, ctx: ctx}
	shots := artifacts(t)
	twice, oldVillage := arrangeTwoVillages(t, h)
	candidates, alerts := scanned(t, h)

	// The village with the most candidates (few enough for one page), and its masked IDs.
	byVillage := map[string][]store.ScanFinding{}
	village := ""
	for _, f := range candidates {
		byVillage[f.Village] = append(byVillage[f.Village], f)
		if n := len(byVillage[f.Village]); n <= 100 && n > len(byVillage[village]) {
			village = f.Village
		}
	}
	if len(byVillage[village]) < 2 || len(alerts) == 0 {
		t.Fatalf("the scan found too little to test: %d candidates in %s, %d alerts", len(byVillage[village]), village, len(alerts))
	}
	var want []string
	for _, f := range byVillage[village] {
		want = append(want, ident.MaskIDNumber(f.IDNumber)+"|"+f.Item)
	}
	slices.Sort(want)
	counter := h.token("counter", village)
	auditor := h.token("auditor", division.DistrictCode)

	var nl netlog
	nl.listen(t, p)
	p.do("open the hub", chromedp.Navigate(h.url+"/#proactive"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.useToken(counter)
	p.until("the worklist", fmt.Sprintf(`document.querySelectorAll("#proactive-table tbody tr").length === %d`, len(want)))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#proactive-table tbody tr")].map(r =>
		r.querySelector("td.mono").innerText + "|" + r.dataset.item)`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rows)
	if !slices.Equal(rows, want) {
		t.Fatalf("the village's worklist shows %v, want %v", rows, want)
	}
	// The reasons are the catalogue's Chinese texts, not codes.
	reasons, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#proactive-table li.reason-text")].map(l => l.innerText)`))
	if err != nil || len(reasons) < len(want) {
		t.Fatalf("reasons %v %v", reasons, err)
	}
	for _, r := range reasons {
		if !strings.ContainsFunc(r, func(c rune) bool { return c >= 0x4e00 && c <= 0x9fff }) {
			t.Errorf("reason %q is not Chinese text", r)
		}
	}
	p.artifact(shots, "proactive-list")

	// The first candidate's contact log: empty, then an entry logged from the page.
	first := byVillage[village][0]
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`[...document.querySelectorAll("#proactive-table tbody tr")].find(r =>
		r.querySelector("td.mono").innerText === %q && r.dataset.item === %q).dataset.id`, ident.MaskIDNumber(first.IDNumber), first.Item)))
	if err != nil || id == "" {
		t.Fatalf("the first candidate's row: %q %v", id, err)
	}
	rowSel := fmt.Sprintf(`#proactive-table tr[data-id=%q]`, id)
	p.do("open the contact log", chromedp.Click(chromedp.CSS(rowSel+" button.open-log")))
	p.until("the empty log", `!!document.getElementById("contact-empty") && !!document.getElementById("contact-form")`)
	p.do("log a contact", chromedp.SetValue(chromedp.ID("contact-status"), "unreachable"),
		chromedp.SetValue(chromedp.ID("contact-note"), "电话未接通，明日上门"),
		chromedp.Click(chromedp.ID("contact-save")))
	p.until("the entry in the log", `document.querySelectorAll("#contact-table tbody tr[data-status=unreachable]").length === 1 &&
		(document.getElementById("contact-result")||{}).innerText?.includes("已保存")`)
	if s := p.text(rowSel + " td.contact"); !strings.Contains(s, "联系不上") {
		t.Errorf("the list's last contact shows %q", s)
	}
	p.artifact(shots, "proactive-contact")

	// One click to the application: decided again on live data, shown on the counter page.
	p.do("apply", chromedp.Click(chromedp.ID("contact-apply")))
	p.until("the pre-filled application", `location.hash === "#counter" && !document.getElementById("page-counter").hidden &&
		!!document.getElementById("confirm-panel") && !!document.querySelector("#fields-table tbody tr")`)
	p.artifact(shots, "proactive-application")
	st, log := h.call("GET", "/v1/worklists/"+id+"/contacts", counter, nil)
	entries, _ := log["contacts"].([]any)
	if st != 200 || len(entries) != 2 {
		t.Fatalf("contact log after applying: %d %v", st, log)
	}
	latest, _ := entries[0].(map[string]any)
	note, _ := latest["note"].(string)
	if latest["status"] != "applied" || !strings.HasPrefix(note, "申请编号 ") {
		t.Fatalf("latest entry %v, want applied naming the application", latest)
	}
	appID := strings.TrimPrefix(note, "申请编号 ")
	if st, app := h.call("GET", "/v1/applications/"+appID, counter, nil); st != 200 || app["item"] != first.Item ||
		app["applicant"].(map[string]any)["id_number"] != ident.MaskIDNumber(first.IDNumber) {
		t.Fatalf("the application made from the worklist: %d %v", st, app)
	}
	p.do("back to the worklist", chromedp.Navigate(h.url+"/#proactive"))
	p.until("the applied status", fmt.Sprintf(`(document.querySelector(%q)||{}).innerText?.includes("已申请")`, rowSel+" td.contact"))

	// The auditor's alerts: every open alert with its evidence and sources; one resolved.
	p.useToken(auditor)
	p.do("open the alerts", chromedp.Navigate(h.url+"/#alerts"))
	shown := min(len(alerts), 100)
	p.until("the alerts", fmt.Sprintf(`document.querySelectorAll("#alerts-table tbody tr").length === %d`, shown))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("#alerts-table tbody tr")].filter(r => r.querySelector("ul.evidence .tag")).length`)); n != shown {
		t.Errorf("%d of %d alerts show evidence with its source", n, shown)
	}
	p.artifact(shots, "alerts-open")
	// One person on the elderly allowance roll of two villages: the alert names both villages'
	// entries, each with the village's name.
	p.do("filter the elderly allowance's alerts", chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById("alerts-item");
		e.value = "elderly_allowance"; e.dispatchEvent(new Event("change")); })()`))
	twoSel := fmt.Sprintf(`#alerts-table tbody tr[data-id]:has(ul.evidence .division[data-code=%q])`, oldVillage)
	p.until("the two-village alert with the old village's name", fmt.Sprintf(`(document.querySelector(%q)||{}).innerText?.includes("村（%s）")`, twoSel, oldVillage))
	if s := p.text(twoSel); !strings.Contains(s, ident.MaskIDNumber(twice)) || !strings.Contains(s, "两个及以上村") {
		t.Errorf("the two-village alert shows %q", s)
	}
	p.artifact(shots, "alerts-two-villages")
	p.do("all items again", chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById("alerts-item");
		e.value = ""; e.dispatchEvent(new Event("change")); })()`))
	p.until("the alerts again", fmt.Sprintf(`document.querySelectorAll("#alerts-table tbody tr").length === %d`, shown))
	alertID, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#alerts-table tbody tr").dataset.id`))
	aSel := fmt.Sprintf(`#alerts-table tr[data-id=%q]`, alertID)
	p.do("resolve without a note", chromedp.Click(chromedp.CSS(aSel+" button.resolve-submit")))
	p.until("the note message", fmt.Sprintf(`(document.querySelector(%q)||{}).innerText?.includes("请填写处理说明")`, aSel+" .field-error"))
	p.do("resolve", chromedp.SetValue(chromedp.CSS(aSel+" input.resolve-note"), "已核实：省平台死亡记录属实，已通知停发"),
		chromedp.Click(chromedp.CSS(aSel+" button.resolve-submit")))
	p.until("the resolved alert", fmt.Sprintf(`(document.querySelector(%q)||{}).dataset?.resolved === "true"`, aSel))
	p.do("show resolved alerts", chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById("alerts-resolved");
		e.value = "resolved"; e.dispatchEvent(new Event("change")); })()`))
	p.until("only the resolved alert", fmt.Sprintf(`document.querySelectorAll("#alerts-table tbody tr").length === 1 && !!document.querySelector(%q)`, aSel))
	if s := p.text(aSel + " td.resolve"); !strings.Contains(s, "已通知停发") || !strings.Contains(s, "已处理") {
		t.Errorf("the resolved alert shows %q", s)
	}
	p.artifact(shots, "alerts-resolved")

	// A counter may not read alerts: the page says so.
	p.useToken(counter)
	p.do("open the alerts as a counter", chromedp.Navigate(h.url+"/#alerts"))
	p.until("the refusal", `(document.getElementById("alerts-status")||{}).innerText?.includes("无权")`)

	// The contact-log entries and the resolution are in the audit chain, the resident named by
	// digest; the chain verifies.
	audit, err := h.real.App.Store.ListAudit(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var contacts, resolutions int
	for _, e := range audit {
		if e.Action == store.AuditContact && e.Subject == h.real.App.Store.SubjectDigest(first.IDNumber) && e.ActorSub == "counter-"+village {
			contacts++
		}
		if e.Action == store.AuditAlertResolution && e.ActorRole == "auditor" && strings.Contains(string(e.Details), "已通知停发") {
			resolutions++
		}
	}
	if contacts != 2 || resolutions != 1 {
		t.Errorf("audit chain: %d contact entries (want 2), %d alert resolutions (want 1)", contacts, resolutions)
	}
	if rep, err := h.real.App.Store.VerifyAudit(t.Context(), nil); err != nil || !rep.Intact {
		t.Errorf("the audit chain does not verify: %+v %v", rep, err)
	}

	// English: every interface label of both pages changes.
	p.do("switch to English", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the English page", `document.documentElement.lang === "en" && document.body.dataset.ready === "true"`)
	p.do("open the worklist in English", chromedp.Navigate(h.url+"/#proactive"))
	p.until("the worklist in English", fmt.Sprintf(`document.querySelectorAll("#proactive-table tbody tr").length === %d`, len(want)))
	p.do("open the log in English", chromedp.Click(chromedp.CSS(rowSel+" button.open-log")))
	p.until("the log in English", `document.querySelectorAll("#contact-table tbody tr").length === 2`)
	if left, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](chineseLabels)); len(left) > 0 {
		t.Errorf("the proactive-service page in English still shows Chinese interface text: %q", left)
	}
	p.artifact(shots, "proactive-en")
	p.useToken(auditor)
	p.do("open the alerts in English", chromedp.Navigate(h.url+"/#alerts"))
	p.until("the alerts in English", `document.querySelectorAll("#alerts-table tbody tr").length > 0`)
	p.do("all alerts", chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById("alerts-resolved");
		e.value = ""; e.dispatchEvent(new Event("change")); })()`))
	p.until("a resolved alert in English", `!!document.querySelector('#alerts-table tr[data-resolved="true"]') && !!document.querySelector('#alerts-table tr[data-resolved="false"]')`)
	if left, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](chineseLabels)); len(left) > 0 {
		t.Errorf("the alerts page in English still shows Chinese interface text: %q", left)
	}
	p.artifact(shots, "alerts-en")
	p.do("back to Chinese", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the Chinese page", `document.documentElement.lang === "zh-CN" && document.body.dataset.ready === "true"`)

	// Nothing outside the hub was asked for, and no full ID number came back or is on the page.
	hub, _ := url.Parse(h.url)
	nl.mu.Lock()
	urls := append([]string(nil), nl.urls...)
	nl.mu.Unlock()
	if len(urls) < 10 {
		t.Fatalf("only %d requests recorded: the network log is not working", len(urls))
	}
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "blob" && pu.Scheme != "data" && pu.Host != hub.Host) {
			t.Errorf("the page requested %s, outside the hub %s", u, h.url)
		}
	}
	bodies := nl.bodies(t, p)
	if len(bodies) < 5 {
		t.Fatalf("only %d response bodies to scan", len(bodies))
	}
	for rid, b := range bodies {
		if ids := findFullIDs(b); len(ids) > 0 {
			t.Errorf("response %s carries full ID numbers %v: %.300s", rid, ids, b)
		}
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	if ids := findFullIDs(html); len(ids) > 0 {
		t.Errorf("the page shows full ID numbers %v", ids)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.cspViolations || ""`)); v != "" {
		t.Errorf("%s Content-Security-Policy violations", v)
	}
}

// arrangeTwoVillages syncs the feeds and puts the elderly allowance's first enrolled resident
// (in ID order: the first of the item's alerts) on another village's roll too, as the district
// feed's other_rolls would. It returns the resident's ID number and the other village.
func arrangeTwoVillages(t *testing.T, h *hub) (string, string) {
	t.Helper()
	ctx := t.Context()
	st := h.real.App.Store
	if err := h.real.App.SyncFeeds(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rows, _, err := st.ScanResidents(ctx, store.ResidentQuery{Limit: 1,
		Where: "residents.id_number IN (SELECT id_number FROM resident_enrolments WHERE item = 'elderly_allowance')"})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no resident on the elderly allowance roll: %v", err)
	}
	r := rows[0]
	others, _, err := st.ScanResidents(ctx, store.ResidentQuery{Limit: 1, Where: "residents.village <> ?", Args: []any{r.Village}})
	if err != nil || len(others) == 0 {
		t.Fatalf("no other village: %v", err)
	}
	r.OtherRolls = []store.RollEntry{{Item: "elderly_allowance", Village: others[0].Village}}
	cursor, err := st.SyncCursor(ctx, store.FeedDistrictResidents)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ApplySnapshot(ctx, store.FeedDistrictResidents, []store.Resident{r}, cursor); err != nil {
		t.Fatal(err)
	}
	return r.IDNumber, others[0].Village
}
