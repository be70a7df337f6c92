package web_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sanmian/hub/app/apptest"
	"sanmian/hub/store/storetest"
)

// TestBrowserStatistics opens the statistics page as an auditor over a generated year of
// activity: the totals, the inline SVG charts and the table show what the API counts.
func TestBrowserStatistics(t *testing.T) {
	ctx := browser(t) // fail or skip before the hub starts
	h := apptest.Start(t, apptest.Options{Residents: 200})
	const n = 6000
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if _, err := storetest.GenerateActivity(t.Context(), h.App.Store, n, start); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx}
	p.do("open the hub's address", chromedp.Navigate(h.URL+"/"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.useToken(h.Token(t, "auditor", "370114"))
	p.do("open the statistics page", chromedp.Navigate(h.URL+"/ui/stats.html"))
	p.until("the first report", `!document.getElementById("stats-result").hidden`)
	p.do("ask for 2026 by town",
		chromedp.SetValue(chromedp.ID("stats-from"), "2026-01"),
		chromedp.SetValue(chromedp.ID("stats-to"), "2026-12"),
		chromedp.SetValue(chromedp.ID("stats-by"), "town"),
		chromedp.Click(chromedp.ID("stats-run")))
	p.until("the year's total", `[...document.querySelectorAll("#stats-table tr.total td")].some(td => td.innerText === "`+strconv.Itoa(n)+`")`)
	p.until("twelve months of bars", `document.querySelectorAll("#chart-months svg text").length >= 12 + 5`)
	// The generator grants permits at once or after the town's review: two levels, two bars each.
	p.until("duration bars per level", `document.querySelectorAll("#chart-durations svg rect").length === 2 * 2`)
	if got := p.text("#stats-cards"); got == "" {
		t.Fatal("no summary cards")
	}
	p.shot("statistics")
}
