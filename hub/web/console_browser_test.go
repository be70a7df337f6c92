package web_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"sanmian/hub/division"
	"sanmian/hub/ident"
)

// netlog records every request the page makes and, once loaded, every response body.
type netlog struct {
	mu       sync.Mutex
	urls     []string
	finished []network.RequestID
}

func (n *netlog) listen(t *testing.T, p *page) {
	t.Helper()
	p.do("open the tab")
	if err := chromedp.Listen(p.ctx, func(ev any) {
		n.mu.Lock()
		defer n.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			n.urls = append(n.urls, e.Request.URL)
		case *network.EventLoadingFinished:
			n.finished = append(n.finished, e.RequestID)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
}

// bodies returns the bodies of the responses loaded so far (those the browser still holds).
func (n *netlog) bodies(t *testing.T, p *page) map[string]string {
	t.Helper()
	n.mu.Lock()
	ids := append([]network.RequestID(nil), n.finished...)
	n.finished = nil
	n.mu.Unlock()
	out := map[string]string{}
	for _, id := range ids {
		r, err := chromedp.Call(p.ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err != nil {
			continue // a body the browser no longer holds (a navigation away, a 204)
		}
		out[string(id)] = string(r.Body)
	}
	return out
}

// fullID finds a valid 18-character resident ID number standing on its own.
var fullID = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d{17}[\dX])(?:[^0-9A-Za-z]|$)`)

func findFullIDs(s string) []string {
	var out []string
	for _, m := range fullID.FindAllStringSubmatch(s, -1) {
		if _, err := ident.ParseIDNumber(m[1]); err == nil {
			out = append(out, m[1])
		}
	}
	return out
}

// artifacts is where the console test's screenshots go: SANMIAN_SCREENSHOT_DIR when set,
// otherwise testdata/artifacts (ignored by git), so a person can look at them after a run.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SANMIAN_SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (p *page) artifact(dir, name string) {
	p.t.Helper()
	p.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// chineseLabels lists the visible interface texts (text nodes, placeholders, titles, option
// texts) that still contain Chinese, leaving out data the hub sends (division and item
// names, people's names, purposes, codes: the classes i18n.js leaves alone) and the language
// switch, which names Chinese in Chinese.
const chineseLabels = `(() => {
  const han = /[\u3400-\u9fff]/;
  const skip = ".division, .item-name, .data, .mono, .reason-text, .en, textarea, script, style, #lang-switch";
  const visible = (el) => !!el && !el.closest("[hidden]") && (el.offsetParent !== null || el.tagName === "OPTION");
  const out = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !han.test(n.nodeValue)) continue;
    if (el.tagName === "OPTION" ? !visible(el.parentElement) : !visible(el)) continue;
    out.push(n.nodeValue.trim());
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    if (el.closest(skip) && !el.matches("input")) continue;
    if (!visible(el)) continue;
    for (const a of ["placeholder", "title", "aria-label"]) {
      const v = el.getAttribute(a);
      if (v && han.test(v)) out.push(a + "=" + v);
    }
  }
  if (han.test(document.title)) out.push("title=" + document.title);
  return out;
})()`

func TestBrowserAuditConsole(t *testing.T) {
	ctx := browser(t)
	h := startHub(t)
	p := &page{t: t, ctx: ctx}
	shots := artifacts(t)

	// Something to audit: an instantly approved application with its permit, and a refusal
	// (a counter of another village asks for it).
	elderID, village := h.resident("elderly_allowance")
	counter := h.token("counter", village)
	st, app := h.call("POST", "/v1/applications", counter, map[string]any{"item": "elderly_allowance",
		"applicant": map[string]string{"id_number": elderID}, "purpose": "高龄补贴申请"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, app)
	}
	appID := app["id"].(string)
	decisionID := app["decision"].(map[string]any)["decision_id"].(string)
	st, done := h.call("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{
		"signature": "data:image/png;base64,AAAA", "values": map[string]string{"phone": "0531-83212345"}})
	permitID, _ := done["permit_id"].(string)
	if st != 200 || permitID == "" {
		t.Fatalf("confirm: %d %v", st, done)
	}
	other := ""
	for i := range h.sim.Data.Persons {
		if v := h.sim.Data.Village(&h.sim.Data.Persons[i]).Code; v != village {
			other = v
			break
		}
	}
	if st, _ := h.call("GET", "/v1/applications/"+appID, h.token("counter", other), nil); st != 403 && st != 404 {
		t.Fatalf("a counter of another village read the application: %d", st)
	}
	// The reviewer's queue names the applicant beside the masked ID: a multi-level application.
	famID, famVillage := h.resident("rural_family_planning_reward")
	famCounter := h.token("counter", famVillage)
	st, fam := h.call("POST", "/v1/applications", famCounter, map[string]any{"item": "rural_family_planning_reward",
		"applicant": map[string]string{"id_number": famID}, "purpose": "奖励扶助申请"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, fam)
	}
	famApp := fam["id"].(string)
	famName, _ := fam["applicant"].(map[string]any)["name"].(string)
	if famName == "" {
		t.Fatalf("the application view has no applicant name: %v", fam["applicant"])
	}
	if st, body := h.call("POST", "/v1/applications/"+famApp+"/confirm", famCounter, map[string]any{"signature": "data:image/png;base64,AAAA"}); st != 200 {
		t.Fatalf("confirm: %d %v", st, body)
	}

	var nl netlog
	nl.listen(t, p)
	p.do("open the hub", chromedp.Navigate(h.url+"/#review"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.useToken(h.token("reviewer", famVillage))
	p.until("the application in the queue", fmt.Sprintf(`!!document.querySelector('#review-table tr[data-id=%q]')`, famApp))
	row := p.text(fmt.Sprintf(`#review-table tr[data-id=%q] td.applicant`, famApp))
	if !strings.Contains(row, famName) || !strings.Contains(row, ident.MaskIDNumber(famID)) {
		t.Errorf("the queue row shows %q, want the name %q beside the masked ID %s", row, famName, ident.MaskIDNumber(famID))
	}

	// The auditor's console.
	p.useToken(h.token("auditor", division.DistrictCode))
	p.do("open the console", chromedp.Navigate(h.url+"/#audit"))
	p.until("the chain check", `(document.getElementById("chain-result")||{}).innerText?.includes("审计链完整")`)
	if s := p.text("#chain-facts"); !strings.Contains(s, "最新签名检查点") {
		t.Errorf("chain facts: %q", s)
	}
	p.until("audit entries", `document.querySelectorAll("#audit-table tbody tr").length > 0`)
	// The hub's verification (GET /v1/audit/verify) is itself in the chain.
	p.until("the verification entry", `!!document.querySelector('#audit-table tr[data-action="verify"]')`)
	p.artifact(shots, "console-chain")

	// Refusals are one click away, and only refusals are then listed.
	p.do("refusals only", chromedp.Click(chromedp.ID("audit-refusals")))
	p.until("the refusal", `document.querySelectorAll("#audit-table tbody tr").length > 0 &&
		[...document.querySelectorAll("#audit-table tbody tr")].every(r => r.dataset.action === "refusal")`)
	p.do("all again", chromedp.Click(chromedp.ID("audit-refusals")),
		chromedp.SetValue(chromedp.ID("audit-action"), "permit"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("audit-action").dispatchEvent(new Event("change"))`))
	p.until("the permit entry", `document.querySelectorAll("#audit-table tbody tr").length > 0 &&
		[...document.querySelectorAll("#audit-table tbody tr")].every(r => r.dataset.action === "permit")`)

	// The decisions in the chain, filtered by item, outcome and date; one opens for replay.
	// The day is the district's (UTC+8), as the hub reads from and to, whatever the machine's zone.
	today := time.Now().In(division.Zone).Format(time.DateOnly)
	// shown waits until the list answers the filter set last, not an earlier one still on the page.
	shown := func(what, want, cond string) {
		p.until(what, fmt.Sprintf(`(() => { const q = new URLSearchParams(document.getElementById("decisions-table").dataset.query || "");
			const want = new URLSearchParams(%q); for (const [k, v] of want) if (q.get(k) !== v) return false; return %s; })()`, want, cond))
	}
	change := func(id, v string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("change")); })()`, id, v))
	}
	p.do("filter the decisions", change("dec-item", "elderly_allowance"), change("dec-outcome", "eligible"), change("dec-from", today), change("dec-to", today))
	todays := "item=elderly_allowance&outcome=eligible&from=" + today + "&to=" + today
	shown("the decision in the list", todays, fmt.Sprintf(`!!document.querySelector('#decisions-table tr[data-decision=%q]')`, decisionID))
	p.do("filter by another outcome", change("dec-outcome", "ineligible"))
	shown("the decision filtered out", "outcome=ineligible&from="+today, fmt.Sprintf(`!document.querySelector('#decisions-table tr[data-decision=%q]')`, decisionID))
	p.do("filter by an earlier day", change("dec-outcome", "eligible"), change("dec-from", "2000-01-01"), change("dec-to", "2000-01-02"))
	shown("nothing that day", "outcome=eligible&from=2000-01-01&to=2000-01-02", `document.querySelectorAll("#decisions-table tbody tr").length === 0`)
	p.do("back to today", change("dec-from", today), change("dec-to", today))
	shown("the decision again", todays, fmt.Sprintf(`!!document.querySelector('#decisions-table tr[data-decision=%q] a')`, decisionID))

	// Open the decision from the list and replay it: the same revision, so identical.
	p.do("replay the decision", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#decisions-table tr[data-decision=%q] a`, decisionID))))
	p.until("the replay", `(document.getElementById("decision-result")||{}).innerText?.includes("完全一致")`)
	if r, rp := p.text("#decision-recorded"), p.text("#decision-replayed"); r != "符合" || rp != "符合" {
		t.Errorf("recorded %q, replayed %q; want 符合 both", r, rp)
	}
	p.artifact(shots, "console-replay")
	// The replay is in the audit log.
	_, entries := h.call("GET", "/v1/audit/entries?limit=1000", h.token("auditor", division.DistrictCode), nil)
	if !strings.Contains(fmt.Sprint(entries["entries"]), "replay") {
		t.Error("the replay is not in the audit log")
	}

	// The resident's data use, as the resident sees it; the typed number does not stay.
	p.do("look up data use", chromedp.SetValue(chromedp.ID("audit-datause-id"), elderID),
		chromedp.Click(chromedp.CSS("#audit-datause-form button[type=submit]")))
	p.until("the data-use records", `(document.getElementById("audit-datause-table")||{}).innerText?.includes("高龄补贴申请")`)
	p.artifact(shots, "console-datause")

	// Revoke the permit with a reason.
	p.do("look up the permit", chromedp.SetValue(chromedp.ID("revoke-permit-id"), permitID), chromedp.Click(chromedp.ID("revoke-lookup")))
	p.until("the permit", `(document.getElementById("revoke-permit-status")||{}).innerText === "有效"`)
	p.do("revoke without a reason", chromedp.Click(chromedp.ID("revoke-submit")))
	p.until("the reason message", `!!document.getElementById("revoke-error")`)
	// The auditor's role is read-only: the hub refuses, and the page says why.
	p.do("revoke as the auditor", chromedp.SetValue(chromedp.ID("revoke-reason"), "核查发现申请材料有误"), chromedp.Click(chromedp.ID("revoke-submit")))
	p.until("the refusal", `!document.getElementById("problem").hidden && document.getElementById("problem").innerText.includes("无权")`)
	// A supervisor (the town's reviewer) revokes it from the same page.
	p.useToken(h.token("reviewer", village[:9]+"000"))
	p.do("open the console as the town", chromedp.Navigate(h.url+"/#audit"))
	p.until("the chain refused politely", `(document.getElementById("chain-status")||{}).innerText?.includes("无权")`)
	p.do("look up the permit", chromedp.SetValue(chromedp.ID("revoke-permit-id"), permitID), chromedp.Click(chromedp.ID("revoke-lookup")))
	p.until("the permit", `(document.getElementById("revoke-permit-status")||{}).innerText === "有效"`)
	p.do("revoke", chromedp.SetValue(chromedp.ID("revoke-reason"), "核查发现申请材料有误"), chromedp.Click(chromedp.ID("revoke-submit")))
	p.until("the revocation", `!!document.getElementById("revoke-done") && document.getElementById("revoke-permit-status").innerText === "已撤销"`)
	if _, got := h.call("GET", "/v1/permits/"+permitID, counter, nil); got["status"] != "revoked" || got["revocation_reason"] != "核查发现申请材料有误" {
		t.Errorf("after revoking in the console the permit is %v (%v)", got["status"], got["revocation_reason"])
	}
	p.artifact(shots, "console-revoke")
	p.useToken(h.token("auditor", division.DistrictCode))
	p.do("back to the console", chromedp.Navigate(h.url+"/#audit"))
	p.do("show every action", chromedp.SetValue(chromedp.ID("audit-action"), ""),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("audit-action").dispatchEvent(new Event("change"))`))
	p.until("the revocation in the chain", `[...document.querySelectorAll("#audit-table tbody tr")].some(r => r.dataset.action === "revocation")`)

	// English: every interface label of the console changes; the choice persists.
	p.do("switch to English", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the English page", `document.documentElement.lang === "en" && document.body.dataset.ready === "true"`)
	p.until("the chain check in English", `(document.getElementById("chain-result")||{}).innerText?.includes("Audit chain intact")`)
	// One step at a time: the replay's result scrolls the page, and a click aimed before that
	// lands wherever the button was.
	p.do("replay in English", chromedp.SetValue(chromedp.ID("decision-id"), decisionID), chromedp.Click(chromedp.ID("decision-replay")))
	p.until("the replay in English", `(document.getElementById("decision-result")||{}).innerText?.includes("identical")`)
	p.do("look up data use in English", chromedp.SetValue(chromedp.ID("audit-datause-id"), elderID),
		chromedp.Click(chromedp.CSS("#audit-datause-form button[type=submit]")))
	p.until("data use in English", `(document.getElementById("audit-datause-table")||{}).innerText?.includes("高龄补贴申请")`)
	p.do("look up the permit in English", chromedp.SetValue(chromedp.ID("revoke-permit-id"), permitID), chromedp.Click(chromedp.ID("revoke-lookup")))
	p.until("the permit in English", `(document.getElementById("revoke-permit-status")||{}).innerText === "Revoked"`)
	p.artifact(shots, "console-en")
	for _, pg := range []struct{ name, hash, ready string }{
		{"console", "#audit", `document.querySelectorAll("#audit-table tbody tr").length > 0 && !!document.getElementById("audit-datause-table")`},
		{"counter", "#counter", `!!document.querySelector('#item-select option[value="elderly_allowance"]')`},
		{"permit", "#permit/" + permitID, `!!document.getElementById("permit-status")`},
		{"datause", "#datause", `document.getElementById("page-datause").hidden === false`},
	} {
		if pg.name != "console" {
			p.do("open "+pg.name, chromedp.Navigate(h.url+"/"+pg.hash))
		}
		p.until(pg.name+" in English", `document.documentElement.lang === "en" && (`+pg.ready+`)`)
		left, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chineseLabels))
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("%s page in English still shows Chinese interface text: %q", pg.name, left)
		}
	}
	p.useToken(h.token("reviewer", famVillage))
	p.do("open the review queue", chromedp.Navigate(h.url+"/#review"))
	p.until("the queue in English", fmt.Sprintf(`document.documentElement.lang === "en" && !!document.querySelector('#review-table tr[data-id=%q]')`, famApp))
	if left, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](chineseLabels)); len(left) > 0 {
		t.Errorf("review page in English still shows Chinese interface text: %q", left)
	}
	p.do("open the application in English", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#review-table tr[data-id=%q] button`, famApp))))
	p.until("the review panel in English", `!!document.getElementById("review-approve") && !!document.querySelector("#fields-table tbody tr")`)
	if left, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](chineseLabels)); len(left) > 0 {
		t.Errorf("an application under review in English still shows Chinese interface text: %q", left)
	}
	p.artifact(shots, "review-en")
	p.do("back to Chinese", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the Chinese page", `document.documentElement.lang === "zh-CN" && document.body.dataset.ready === "true" && document.getElementById("lang-switch").innerText === "English"`)

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
		if err != nil || (pu.Scheme != "blob" && pu.Scheme != "data" && pu.Host != hub.Host) || (pu.Scheme != hub.Scheme && pu.Scheme != "blob" && pu.Scheme != "data") {
			t.Errorf("the page requested %s, outside the hub %s", u, h.url)
		}
	}
	bodies := nl.bodies(t, p)
	if len(bodies) < 5 {
		t.Fatalf("only %d response bodies to scan", len(bodies))
	}
	for id, b := range bodies {
		if ids := findFullIDs(b); len(ids) > 0 {
			t.Errorf("response %s carries full ID numbers %v: %.300s", id, ids, b)
		}
	}
	// The last console page view (in Chinese again), inputs included.
	p.useToken(h.token("auditor", division.DistrictCode))
	p.do("open the console", chromedp.Navigate(h.url+"/#audit"))
	p.until("the entries", `document.querySelectorAll("#audit-table tbody tr").length > 0`)
	p.do("look up data use", chromedp.SetValue(chromedp.ID("audit-datause-id"), elderID),
		chromedp.Click(chromedp.CSS("#audit-datause-form button[type=submit]")))
	p.until("the data-use records", `!!document.getElementById("audit-datause-table")`)
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML + "\n" +
		[...document.querySelectorAll("input, textarea")].map(e => e.value).join("\n")`))
	if err != nil {
		t.Fatal(err)
	}
	if ids := findFullIDs(html); len(ids) > 0 {
		t.Errorf("the console page shows full ID numbers %v", ids)
	}
	for id, b := range nl.bodies(t, p) {
		if ids := findFullIDs(b); len(ids) > 0 {
			t.Errorf("response %s carries full ID numbers %v", id, ids)
		}
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.cspViolations || ""`)); v != "" {
		t.Errorf("%s Content-Security-Policy violations", v)
	}
}

func TestFindFullIDs(t *testing.T) {
	valid := "11010519491231002X"
	for _, tc := range []struct {
		name, in string
		want     int
	}{
		{"in_json", `{"id":"` + valid + `"}`, 1},
		{"masked", `370114********123X`, 0},
		{"inside_a_longer_number", "9" + valid + "9", 0},
		{"wrong_check_character", `"110105194912310021"`, 0},
		{"in_a_path", "/v1/residents/" + valid + "/data-use", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := findFullIDs(tc.in); len(got) != tc.want {
				t.Errorf("findFullIDs(%q) = %v, want %d", tc.in, got, tc.want)
			}
		})
	}
}
