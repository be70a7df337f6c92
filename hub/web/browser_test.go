package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"sanmian/connectors/sim"
	"sanmian/hub/app/apptest"
	"sanmian/hub/division"
	"sanmian/hub/ident"
)

// hub is the real thing: simulated platforms, app.New on SQLite in a temp dir, the real
// policy bundle, served over loopback HTTP.
type hub struct {
	t       *testing.T
	url     string
	sim     *sim.Platforms
	real    *apptest.Hub
	creates atomic.Int64 // POST /v1/applications seen

	// failConfirm makes the next confirmation fail with a 503 before it reaches the hub, as a
	// gateway would; confirmKeys records the Idempotency-Key of every confirmation.
	failConfirm atomic.Bool
	mu          sync.Mutex
	confirmKeys []string
}

func startHub(t *testing.T) *hub {
	t.Helper()
	h := &hub{t: t}
	real := apptest.Start(t, apptest.Options{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && r.URL.Path == "/v1/applications" {
				h.creates.Add(1)
			}
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/confirm") {
				h.mu.Lock()
				h.confirmKeys = append(h.confirmKeys, r.Header.Get("Idempotency-Key"))
				h.mu.Unlock()
				if h.failConfirm.CompareAndSwap(true, false) {
					w.Header().Set("Content-Type", "application/problem+json")
					w.Header().Set("X-Request-Id", "gateway-test-503")
					w.WriteHeader(http.StatusServiceUnavailable)
					_, _ = io.WriteString(w, `{"type":"about:blank","title":"Service unavailable / 服务暂不可用","status":503,"request_id":"gateway-test-503"}`)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}})
	h.url, h.sim, h.real = real.URL, real.Sim, real
	return h
}

func (h *hub) token(role, jurisdiction string) string {
	h.t.Helper()
	return h.real.Token(h.t, role, jurisdiction)
}

// call is a plain API call, for set-up and for checking what the browser did.
func (h *hub) call(method, path, token string, body any) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(h.t.Context(), method, h.url+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// resident finds a resident the real policy finds eligible for item, and the village, the way
// hub/app's flow tests do (an eligibility check that creates no application).
func (h *hub) resident(item string) (id, village string) {
	h.t.Helper()
	return h.real.Eligible(h.t, item)
}

// chromium finds the browser. Missing, the test skips locally and fails in CI.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SANMIAN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is required for the browser test in CI and was not found (install Debian's chromium)")
	}
	t.Skip("Chromium not found; the browser test needs it (CI fails instead of skipping)")
	return ""
}

// browser starts headless Chromium with a fresh profile at a counter PC's screen size.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	actx, cancel := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()),
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// page drives one tab and fails the test with the page's problem box on any error.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v%s", what, err, p.diagnose())
	}
}

// until waits for a JavaScript condition to hold.
func (p *page) until(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		// A navigation (to the printable page, a new hash route) ends the polling script: poll
		// again in the new document.
		if msg := err.Error(); time.Now().Before(deadline) && (strings.Contains(msg, "navigated") || strings.Contains(msg, "Cannot find context")) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.t.Fatalf("waiting for %s: %v%s", what, err, p.diagnose())
	}
}

func (p *page) text(css string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, css)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

func (p *page) diagnose() string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), 3*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const b = document.getElementById("problem");
		return "\nproblem box: " + (b && !b.hidden ? b.innerText : "(none)") + "\nhash: " + location.hash +
		"\npage: " + document.body.innerText.slice(0, 1500); })()`))
	return s
}

// shot saves a full-page screenshot as NAME.png when SANMIAN_SCREENSHOT_DIR is set, for a
// person to look at the page.
func (p *page) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("SANMIAN_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	// From the top, so the sticky bar is where a person sees it.
	p.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *page) useToken(tok string) {
	p.t.Helper()
	p.do("paste token",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("token-panel").hidden = false`),
		chromedp.SetValue(chromedp.ID("token-input"), tok),
		chromedp.Click(chromedp.ID("token-save")))
}

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestBrowserCounterAndReview(t *testing.T) {
	ctx := browser(t) // fail or skip before the hub starts
	h := startHub(t)
	p := &page{t: t, ctx: ctx}

	elderID, elderVillage := h.resident("elderly_allowance")
	counter := h.token("counter", elderVillage)

	p.do("open the hub's address", chromedp.Navigate(h.url+"/"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.shot("start")
	p.useToken(counter)
	p.until("the caller to show", `document.getElementById("who").innerText.includes("村级窗口")`)
	villageName := division.FullName(elderVillage)
	p.until("the jurisdiction's name", fmt.Sprintf(`document.getElementById("who").innerText.includes(%s)`, js(villageName)))
	// The token lives in sessionStorage only: not in the URL, localStorage or a cookie.
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`sessionStorage.getItem("sanmian.token") === %s &&
		!location.href.includes("eyJ") && localStorage.length === 0 && document.cookie === "" &&
		document.getElementById("token-panel").hidden && document.getElementById("token-input").value === ""`, js(counter))))
	if err != nil || !kept {
		t.Fatalf("the token is not kept as it should be (sessionStorage only, panel closed): %v", err)
	}

	// The page's ID number check agrees with the hub's (GB 11643 MOD 11-2) on real numbers of
	// the synthetic district and on each of them with every wrong check character.
	var ids []string
	for i := 0; i < len(h.sim.Data.Persons) && len(ids) < 600; i += 50 {
		id := h.sim.Data.Persons[i].ID
		for _, c := range "0123456789X" {
			ids = append(ids, id[:17]+string(c))
		}
	}
	idsJSON, _ := json.Marshal(ids)
	verdicts, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](
		`import("/ui/idnumber.js").then(m => `+string(idsJSON)+`.map(s => m.validateIDNumber(s).ok))`, chromedp.EvalAwaitPromise))
	if err != nil || len(verdicts) != len(ids) {
		t.Fatalf("running the page's ID number check: %v (%d verdicts)", err, len(verdicts))
	}
	for i, id := range ids {
		_, goErr := ident.ParseIDNumber(id)
		if verdicts[i] != (goErr == nil) {
			t.Errorf("ID number %s: page says valid=%v, hub says %v", id, verdicts[i], goErr)
		}
	}

	// A wrong check character is caught in the browser: nothing is sent.
	p.until("the item list", `!!document.querySelector('#item-select option[value="elderly_allowance"]')`)
	before := h.creates.Load()
	bad := elderID[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", elderID[17])+1)%11])
	p.do("enter a mistyped ID number",
		chromedp.SetValue(chromedp.ID("item-select"), "elderly_allowance"),
		chromedp.SetValue(chromedp.ID("id-number"), bad),
		chromedp.SetValue(chromedp.ID("purpose"), "高龄补贴申请"),
		chromedp.Click(chromedp.ID("create-submit")))
	p.until("the check-character message", `document.getElementById("id-error").innerText.includes("校验位")`)
	if n := h.creates.Load(); n != before {
		t.Fatalf("a mistyped ID number was sent to the hub (%d requests)", n-before)
	}

	// Create: the pre-filled form with its sources and the decision.
	p.do("create the application",
		chromedp.SetValue(chromedp.ID("id-number"), elderID),
		chromedp.Click(chromedp.ID("create-submit")))
	p.until("the pre-filled form", `!!document.querySelector("#fields-table tbody tr")`)
	appID := p.text("#app-id")
	st, app := h.call("GET", "/v1/applications/"+appID, counter, nil)
	if st != 200 {
		t.Fatalf("the UI shows application %q, which the API does not know: %d", appID, st)
	}
	platforms := map[string]string{"province": "省平台", "city": "市平台", "district": "区平台"}
	seen := map[string]bool{}
	for _, f := range app["form"].(map[string]any)["fields"].([]any) {
		fm := f.(map[string]any)
		row := p.text(fmt.Sprintf(`#fields-table tr[data-field=%q]`, fm["name"]))
		if !strings.Contains(row, fm["label"].(string)) {
			t.Errorf("row %v lacks its label: %q", fm["name"], row)
		}
		if v, ok := fm["value"].(string); ok && v != "" && !strings.Contains(row, v) {
			t.Errorf("row %v lacks its value %q: %q", fm["name"], v, row)
		}
		if src, ok := fm["source"].(map[string]any); ok {
			if zh := platforms[src["platform"].(string)]; zh != "" {
				seen[zh] = true
				if !strings.Contains(row, zh) {
					t.Errorf("row %v lacks its source %s: %q", fm["name"], zh, row)
				}
			}
			if !strings.Contains(row, src["record"].(string)) {
				t.Errorf("row %v lacks its record: %q", fm["name"], row)
			}
		}
	}
	if !seen["省平台"] || !seen["区平台"] {
		t.Errorf("sources shown: %v, want at least 省平台 and 区平台", seen)
	}
	if v := p.text("#verdict"); !strings.HasPrefix(v, "符合") {
		t.Errorf("verdict %q, want 符合", v)
	}
	if strings.Contains(p.text("body"), elderID) {
		t.Error("the page shows the full ID number after creation")
	}

	// The counter enters the phone number the platforms do not hold.
	p.do("enter the phone number", chromedp.SendKeys(chromedp.CSS(`input[name="value-phone"]`), "0531-83212345"))
	// Sign on the canvas with the mouse, and confirm.
	p.do("scroll to the signature pad", chromedp.Evaluate[chromedp.Void](`document.getElementById("sigpad").scrollIntoView({block: "center"})`))
	sign(t, p)
	p.shot("counter")
	// The first attempt fails on the way (the page shows the problem and its request id); the
	// retry sends the same Idempotency-Key, so the hub can never act twice.
	h.failConfirm.Store(true)
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-submit")))
	p.until("the failure", `!!document.getElementById("problem-rid") && document.getElementById("problem-rid").innerText === "gateway-test-503"`)
	p.do("confirm again", chromedp.Click(chromedp.ID("confirm-submit")))
	p.until("the approval", `(document.getElementById("outcome")||{}).innerText?.includes("已批准")`)
	h.mu.Lock()
	keys := slices.Clone(h.confirmKeys)
	h.mu.Unlock()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("confirmation Idempotency-Keys %q: want one key, sent twice", keys)
	}
	permitID := p.text("#permit-link")
	if permitID == "" {
		t.Fatalf("no permit link: %s", p.text("#outcome"))
	}
	if _, got := h.call("GET", "/v1/applications/"+appID, counter, nil); !strings.Contains(fmt.Sprint(got["form"]), "0531-83212345") {
		t.Errorf("the entered phone number is not in the application's form: %v", got["form"])
	}

	// The permit, its printable page link, verification.
	p.do("open the permit", chromedp.Click(chromedp.ID("permit-link")))
	p.until("the permit", `(document.getElementById("permit-status")||{}).innerText?.includes("有效")`)
	href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("print-link").getAttribute("href")`))
	if href != "/v1/permits/"+permitID+"/print" {
		t.Errorf("print link %q", href)
	}
	p.do("verify the permit", chromedp.Click(chromedp.ID("permit-verify")))
	p.until("the verification", `(document.getElementById("verify-outcome")||{}).innerText?.includes("核验通过")`)
	p.shot("permit")

	// The printable page: fetched with the token (never in a URL) and shown from a blob: URL,
	// whose inherited policy must still let its stylesheet and inline QR code render.
	p.do("open the printable page",
		chromedp.Evaluate[chromedp.Void](`window.open = () => (window.printWindow = { location: "", close() {} })`),
		chromedp.Click(chromedp.ID("print-link")))
	p.until("the printable page's address", `String((window.printWindow || {}).location).startsWith("blob:")`)
	p.do("show the printable page", chromedp.Evaluate[chromedp.Void](`location.href = String(window.printWindow.location)`))
	p.until("the printable page", `document.title.includes("三免审批结果通知书")`)
	p.until("its styles and QR code", `getComputedStyle(document.querySelector("h1")).color === "rgb(187, 0, 0)" && !!document.querySelector(".qr svg")`)
	if s := p.text("body"); !strings.Contains(s, permitID) {
		t.Errorf("the printable page does not name permit %s", permitID)
	}

	// The resident's data-use record shows the purpose.
	p.do("open the data-use page", chromedp.Navigate(h.url+"/#datause"),
		chromedp.SetValue(chromedp.ID("datause-id"), elderID), chromedp.Click(chromedp.CSS("#datause-form button")))
	p.until("the data-use records", `(document.getElementById("datause-table")||{}).innerText?.includes("高龄补贴申请")`)
	p.shot("datause")

	// A multi-level item: the counter declines a field, the applicant signs, it goes to review.
	famID, famVillage := h.resident("rural_family_planning_reward")
	p.useToken(h.token("counter", famVillage))
	p.do("create a multi-level application", chromedp.Navigate(h.url+"/#counter"))
	p.until("the item list", `!!document.querySelector('#item-select option[value="rural_family_planning_reward"]')`)
	p.do("fill the form",
		chromedp.SetValue(chromedp.ID("item-select"), "rural_family_planning_reward"),
		chromedp.SetValue(chromedp.ID("id-number"), famID),
		chromedp.SetValue(chromedp.ID("purpose"), "奖励扶助申请"),
		chromedp.Click(chromedp.ID("create-submit")))
	p.until("the pre-filled form", `!!document.querySelector('input[name="decline-hukou_type"]')`)
	famApp := p.text("#app-id")
	p.do("decline the hukou type",
		chromedp.Click(chromedp.CSS(`input[name="decline-hukou_type"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="note-hukou_type"]`), "户口簿原件已核验"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("sigpad").scrollIntoView({block: "center"})`))
	p.do("confirm unsigned", chromedp.Click(chromedp.ID("confirm-submit")))
	p.until("the missing-signature message", `document.getElementById("sig-error").innerText.includes("签名")`)
	sign(t, p)
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-submit")))
	p.until("the review notice", `(document.getElementById("outcome")||{}).innerText?.includes("待村级审核")`)

	// The village reviewer approves one level.
	p.useToken(h.token("reviewer", famVillage))
	p.do("open the review list", chromedp.Navigate(h.url+"/#review"))
	p.until("the application in the list", fmt.Sprintf(`!!document.querySelector('#review-table tr[data-id=%q] button')`, famApp))
	p.do("open it", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#review-table tr[data-id=%q] button`, famApp))))
	p.until("the review buttons", `!!document.getElementById("review-approve")`)
	if row := p.text(`#fields-table tr[data-field="hukou_type"]`); !strings.Contains(row, "户口簿原件已核验") {
		t.Errorf("the declined field's note is not shown to the reviewer: %q", row)
	}
	p.do("return without a comment", chromedp.Click(chromedp.ID("review-return")))
	p.until("the comment message", `document.getElementById("review-error").innerText.includes("审核意见")`)
	p.do("approve", chromedp.SetValue(chromedp.ID("review-comment"), "材料齐全，同意"), chromedp.Click(chromedp.ID("review-approve")))
	p.until("the approval notice", `(document.getElementById("review-done")||{}).innerText?.includes("工作区")`)
	p.shot("review")
	_, got := h.call("GET", "/v1/applications/"+famApp, h.token("counter", famVillage), nil)
	if aw, _ := got["awaiting"].(map[string]any); got["status"] != "in_review" || aw["level"] != "work_area" {
		t.Fatalf("after the village review: status %v awaiting %v", got["status"], got["awaiting"])
	}

	// The counter finds its unconfirmed drafts (one left by a resident who did not sign) and
	// opens it.
	if st, body := h.call("POST", "/v1/applications", h.token("counter", famVillage), map[string]any{"item": "residence_certificate",
		"applicant": map[string]string{"id_number": famID}, "purpose": "居住证明"}); st != 201 {
		t.Fatalf("a draft to leave unconfirmed: %d %v", st, body)
	}
	p.useToken(h.token("counter", famVillage))
	p.do("open the counter's drafts", chromedp.Navigate(h.url+"/#counter"), chromedp.Click(chromedp.CSS("#returned-panel summary")))
	p.until("a draft in the list", `!!document.querySelector("#returned-table tbody tr button")`)
	p.do("open the draft", chromedp.Click(chromedp.CSS("#returned-table tbody tr button")))
	p.until("the draft with its confirmation pad", `!!document.getElementById("sigpad") && document.getElementById("app-status").innerText.includes("待申请人确认")`)

	// An error shows the problem and the request id.
	p.useToken(counter[:len(counter)-4] + "AAAA")
	p.do("list with a broken token", chromedp.Navigate(h.url+"/#review"))
	p.until("the problem", `!document.getElementById("problem").hidden && !!document.getElementById("problem-rid")`)
	if s := p.text("#problem"); !strings.Contains(s, "令牌无效") {
		t.Errorf("problem box %q", s)
	}

	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.cspViolations || ""`)); v != "" {
		t.Errorf("%s Content-Security-Policy violations", v)
	}
}

// sign draws a stroke across the signature pad with mouse events.
func sign(t *testing.T, p *page) {
	t.Helper()
	r, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("sigpad").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
	if err != nil || len(r) != 4 {
		t.Fatalf("signature pad: %v %v", r, err)
	}
	x, y, w, hgt := r[0], r[1], r[2], r[3]
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x+0.1*w, y+0.6*hgt, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 20; i++ {
		f := float64(i) / 20
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+(0.1+0.7*f)*w, y+(0.6-0.35*f*(1-f)*4*0.5)*hgt, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x+0.8*w, y+0.6*hgt, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	p.do("sign", steps...)
	p.until("the signature", `document.getElementById("sig-error").innerText === ""`)
}
