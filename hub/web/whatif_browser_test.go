package web_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sanmian/hub/division"
	"sanmian/policies"
)

// age75Bundle writes the live bundle with the elderly allowance's age lowered from 80 to 75
// (a new revision; the elderly tests pinning 80 left out) as a .tar.gz file.
func age75Bundle(t *testing.T) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := fs.WalkDir(policies.Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "elderly_test.rego" {
			return err
		}
		b, err := fs.ReadFile(policies.Bundle, path)
		if err != nil {
			return err
		}
		s := string(b)
		switch path {
		case "data.yaml":
			s = strings.Replace(s, "        params:\n          min_age: 80\n", "        params:\n          min_age: 75\n", 1)
			s = strings.Replace(s, `{tier: "80-89", min_age: 80,`, `{tier: "75-89", min_age: 75,`, 1)
		case ".manifest":
			s = strings.Replace(s, `"revision": "`, `"revision": "candidate-75-`, 1)
		}
		if err := tw.WriteHeader(&tar.Header{Name: "/" + path, Mode: 0o644, Size: int64(len(s)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write([]byte(s))
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "candidate-age75.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// TestBrowserPolicyWhatIf: an auditor uploads a candidate bundle in the console and runs the
// what-if; the page shows the same totals as the API, a chart per village and the changes
// with masked ID numbers only; the CSV download works; in English the panel's labels change;
// the decisions view filters by division through GET /v1/decisions; nothing outside the hub
// is requested.
func TestBrowserPolicyWhatIf(t *testing.T) {
	ctx := browser(t)
	h := startHub(t)
	if err := h.real.App.SyncFeeds(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx}
	shots := artifacts(t)
	path, bundle := age75Bundle(t)
	auditor := h.token("auditor", division.DistrictCode)

	// The API's answer, for the same candidate, date and item.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", h.url+"/v1/whatif?item=elderly_allowance&at=2026-12-06", bytes.NewReader(bundle))
	req.Header.Set("Authorization", "Bearer "+auditor)
	req.Header.Set("Content-Type", "application/gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("API what-if: %d %.300s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	var want struct {
		Gains    int `json:"gains"`
		Villages []struct {
			Village string `json:"village"`
		} `json:"villages"`
		Changes []json.RawMessage `json:"changes"`
	}
	for deadline := time.Now().Add(3 * time.Minute); ; {
		st, job := h.call("GET", loc, auditor, nil)
		if st != 200 || job["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("what-if job: %d %v", st, job)
		}
		if job["status"] == "done" {
			b, _ := json.Marshal(job["report"])
			if err := json.Unmarshal(b, &want); err != nil || want.Gains == 0 {
				t.Fatalf("report %.300s (%v)", b, err)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	// An application, for the decisions view's division filter.
	elderID, village := h.resident("senior_card")
	st, app := h.call("POST", "/v1/applications", h.token("counter", village), map[string]any{"item": "senior_card",
		"applicant": map[string]string{"id_number": elderID}, "purpose": "优待证申请"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, app)
	}
	decisionID := app["decision"].(map[string]any)["decision_id"].(string)

	var nl netlog
	nl.listen(t, p)
	p.do("open the hub", chromedp.Navigate(h.url+"/#audit"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.useToken(auditor)
	p.do("open the console", chromedp.Navigate(h.url+"/#audit"))
	consoleRendered(p)
	set := func(id, v string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById(` + js(id) + `); e.value = ` + js(v) + `; e.dispatchEvent(new Event("change")); })()`)
	}
	p.do("choose the candidate", chromedp.SetUploadFiles(chromedp.ID("whatif-bundle"), []string{path}),
		set("whatif-at", "2026-12-06"), set("whatif-item", "elderly_allowance"), chromedp.Click(chromedp.ID("whatif-run")))
	p.until("the what-if to start", `document.getElementById("whatif-status").textContent !== "" || !!document.getElementById("whatif-gains")`)
	longWait(p, "the what-if result", `!!document.getElementById("whatif-gains")`)
	if g := p.text("#whatif-gains"); g != strconv.Itoa(want.Gains) {
		t.Fatalf("page shows %s gains, the API %d", g, want.Gains)
	}
	if l := p.text("#whatif-losses"); l != "0" {
		t.Errorf("page shows %s losses, want 0", l)
	}
	if c := p.text("#whatif-candidate"); !strings.HasPrefix(c, "candidate-75-") {
		t.Errorf("candidate revision %q", c)
	}
	bars, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#whatif-chart rect[data-kind="gain"]').length`))
	wantBars := len(want.Villages)
	if wantBars > 30 {
		wantBars = 30
	}
	if bars != wantBars {
		t.Errorf("chart has %d gain bars, want one per village with changes (%d)", bars, wantBars)
	}
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#whatif-changes tbody tr[data-change="gain"]').length`))
	if rows != min(len(want.Changes), 500) {
		t.Errorf("%d change rows, want %d", rows, len(want.Changes))
	}
	p.artifact(shots, "console-whatif")
	panel, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("whatif-form")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shots, "console-whatif-panel.png"), panel, 0o644); err != nil {
		t.Fatal(err)
	}
	p.do("download the CSV", chromedp.Click(chromedp.ID("whatif-csv")))
	longWait(p, "the download done", `(document.getElementById("whatif-status").dataset.downloaded || "").endsWith(".csv") && document.getElementById("problem").hidden`)

	// The decisions view asks the hub with the division filter.
	p.do("filter the decisions by village", set("dec-item", "senior_card"), set("dec-division", village))
	p.until("the decision of that village", `!!document.querySelector('#decisions-table tr[data-decision=`+js(decisionID)+`]') &&
		[...document.querySelectorAll("#decisions-table tbody tr")].every(r => r.dataset.village === `+js(village)+`)`)
	other := village[:9] + "999"
	for _, v := range division.Villages() {
		if v.Code[:9] != village[:9] {
			other = v.Code
			break
		}
	}
	p.do("filter by another village", set("dec-division", other))
	p.until("the decision filtered out", `!document.querySelector('#decisions-table tr[data-decision=`+js(decisionID)+`]')`)

	// In English the what-if panel's labels change too.
	p.do("switch to English", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the English page", `document.documentElement.lang === "en" && document.body.dataset.ready === "true"`)
	// The switch reloads the page: the console renders anew above the form.
	consoleRendered(p)
	p.do("run in English", chromedp.SetUploadFiles(chromedp.ID("whatif-bundle"), []string{path}),
		set("whatif-at", "2026-12-06"), set("whatif-item", "elderly_allowance"), chromedp.Click(chromedp.ID("whatif-run")))
	p.until("the what-if to start in English", `document.getElementById("whatif-status").textContent !== "" || !!document.getElementById("whatif-gains")`)
	longWait(p, "the result in English", `!!document.getElementById("whatif-gains") && document.querySelector("#whatif-form h2").innerText.includes("Policy what-if")`)
	left, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const root = document.getElementById("whatif-form");
	  const han = /[\u3400-\u9fff]/, out = [];
	  const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
	  for (let n = w.nextNode(); n; n = w.nextNode()) {
	    const el = n.parentElement;
	    if (el.closest(".division, .item-name, .data, .mono, .reason-text, .en") || !han.test(n.nodeValue)) continue;
	    out.push(n.nodeValue.trim());
	  }
	  return out; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("the what-if panel in English still shows Chinese interface text: %q", left)
	}
	p.artifact(shots, "console-whatif-en")
	p.do("back to Chinese", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the Chinese page", `document.documentElement.lang === "zh-CN" && document.body.dataset.ready === "true"`)

	// Only the hub was asked; no full ID number in any response or on the page.
	hub, _ := url.Parse(h.url)
	nl.mu.Lock()
	urls := append([]string(nil), nl.urls...)
	nl.mu.Unlock()
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "blob" && pu.Scheme != "data" && pu.Host != hub.Host) {
			t.Errorf("the page requested %s, outside the hub %s", u, h.url)
		}
	}
	for id, b := range nl.bodies(t, p) {
		if ids := findFullIDs(b); len(ids) > 0 {
			t.Errorf("response %s carries full ID numbers %v", id, ids)
		}
	}
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if ids := findFullIDs(html); len(ids) > 0 {
		t.Errorf("the page shows full ID numbers %v", ids)
	}
}

// consoleRendered waits for the console's item choices, chain check and decisions list. The
// last two render above the what-if form: a click aimed before they rendered lands where the
// button was, and the run never starts.
func consoleRendered(p *page) {
	p.t.Helper()
	p.until("the item choices", `!!document.querySelector('#whatif-item option[value="elderly_allowance"]')`)
	p.until("the console's chain check and decisions", `!!document.getElementById("chain-result") &&
		document.getElementById("decisions-table").dataset.query !== undefined`)
}

// longWait waits up to 90 s for a condition: a what-if runs two district scans, which takes
// seconds on a loaded machine.
func longWait(p *page, what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(85*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s: %v%s", what, err, p.diagnose())
	}
}
