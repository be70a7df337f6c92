package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"sanmian/hub/app/apptest"
	"sanmian/hub/division"
	"sanmian/hub/store/storetest"
)

// trackFetches runs in every document before its own scripts: it counts the requests the page
// has in flight, so that a test can wait until what the page loads is rendered.
const trackFetches = `(() => {
  window.__inflight = 0;
  const f = window.fetch;
  window.fetch = (...a) => { window.__inflight++; return f(...a).finally(() => { window.__inflight--; }); };
})()`

// settled holds once the page says it is ready (body data-ready, which every page sets when it
// has started) and has had no request in flight for a while.
const settled = `(() => {
  if (document.body?.dataset.ready !== "true" || window.__inflight !== 0) { window.__quiet = 0; return false; }
  window.__quiet = (window.__quiet || 0) + 1;
  return window.__quiet >= 6;
})()`

// navPages lists the pages of the console's main menu, as absolute addresses.
const navPages = `[...document.querySelectorAll("header nav.tabs a[href]")].map(a => ({ label: a.textContent.trim(), href: a.href }))`

type navPage struct {
	Label string `json:"label"`
	Href  string `json:"href"`
}

// TestBrowserEveryPageInEnglish opens every page of the main menu (whatever pages it lists)
// with data to show, as an auditor of the district: each one is in Chinese by default, has the
// language switch, and in English shows no Chinese in any interface label (text, buttons,
// headings, table heads, labels, options, placeholders, titles; data the hub sends, such as
// names of people, divisions and items, is left out: see chineseLabels).
func TestBrowserEveryPageInEnglish(t *testing.T) {
	ctx := browser(t)
	h := apptest.Start(t, apptest.Options{Residents: 200})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)
	if _, err := storetest.GenerateActivity(t.Context(), h.App.Store, 600, start); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx}
	p.do("open the tab")
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: trackFetches}); err != nil {
		t.Fatal(err)
	}
	p.do("open the hub's address", chromedp.Navigate(h.URL+"/"))
	p.until("the UI to start", settled)
	p.useToken(h.Token(t, "auditor", division.DistrictCode))

	pages, err := chromedp.Run(ctx, chromedp.Evaluate[[]navPage](navPages))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 6 {
		t.Fatalf("the main menu lists %d pages: %+v", len(pages), pages)
	}
	hub, _ := url.Parse(h.URL)
	open := func(pg navPage) {
		t.Helper()
		u, err := url.Parse(pg.Href)
		if err != nil || u.Host != hub.Host {
			t.Fatalf("menu entry %q leads outside the hub: %s", pg.Label, pg.Href)
		}
		// A hash route of the page already open is a navigation within the document.
		p.do("open "+pg.Label, chromedp.Navigate("about:blank"), chromedp.Navigate(pg.Href))
		p.until(pg.Label+" to settle", settled)
	}

	// Chinese is the default: no choice stored, every page in Chinese, the switch offers English.
	for _, pg := range pages {
		open(pg)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
			lang: document.documentElement.lang,
			sw: (document.getElementById("lang-switch") || {}).innerText || "",
			labels: (`+chineseLabels+`).length })`))
		if err != nil {
			t.Fatal(err)
		}
		if state["lang"] != "zh-CN" || state["sw"] != "English" || state["labels"].(float64) == 0 {
			t.Errorf("%s (%s) by default: %v, want lang zh-CN, a switch to English and Chinese labels", pg.Label, pg.Href, state)
		}
	}

	// Switch on the first page; the choice holds on every page.
	open(pages[0])
	p.do("switch to English", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the English page", `document.documentElement.lang === "en"`)
	for _, pg := range pages {
		open(pg)
		if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
			t.Errorf("%s (%s) is %q after switching to English", pg.Label, pg.Href, lang)
			continue
		}
		// What folds away is checked unfolded.
		p.do("unfold "+pg.Label, chromedp.Evaluate[chromedp.Void](`window.__quiet = 0; document.querySelectorAll("details").forEach(d => { d.open = true; })`))
		p.until(pg.Label+" to settle unfolded", settled)
		left, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chineseLabels))
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("%s (%s) in English still shows Chinese interface text: %q", pg.Label, pg.Href, left)
		}
		name := strings.Trim(strings.NewReplacer("/", "-", "#", "-", ".", "-").Replace(strings.TrimPrefix(pg.Href, h.URL)), "-")
		p.shot("english-" + name)
	}
	p.do("back to Chinese", chromedp.Click(chromedp.ID("lang-switch")))
	p.until("the Chinese page", `document.documentElement.lang === "zh-CN" && document.getElementById("lang-switch").innerText === "English"`)
}
