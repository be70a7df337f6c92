package web_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sanmian/hub/app/apptest"
	"sanmian/hub/division"
	"sanmian/hub/store"
	"sanmian/hub/store/storetest"
)

// TestBrowserStatistics opens the statistics page as an auditor over a generated year of
// activity: the totals, the inline SVG charts and the table show what the API counts.
func TestBrowserStatistics(t *testing.T) {
	ctx := browser(t) // fail or skip before the hub starts
	h := apptest.Start(t, apptest.Options{Residents: 200})
	const n = 6000
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)
	if _, err := storetest.GenerateActivity(t.Context(), h.App.Store, n, start); err != nil {
		t.Fatal(err)
	}
	// Proactive coverage from the contact log: the applicant of generated application 6
	// (approved at once) contacted and applied, of application 0 (a draft) contacted, of
	// application 2 (in review) unreachable: 2 contacted, 1 applied, 1 enrolled.
	for _, c := range []struct {
		i        int
		statuses []string
	}{{6, []string{store.ContactContacted, store.ContactApplied}}, {0, []string{store.ContactContacted}}, {2, []string{store.ContactUnreachable}}} {
		for j, st := range c.statuses {
			if err := h.App.Store.AddContact(t.Context(), &store.Contact{Item: storetest.ActivityItems[c.i%len(storetest.ActivityItems)],
				IDNumber: fmt.Sprintf("370114%08d%04d", 19400101+c.i%30, c.i%10000), Village: division.Villages()[c.i%len(division.Villages())].Code,
				Status: st, ActorSub: "counter-gen", ActorRole: "counter", At: start.Add(time.Duration(j+1) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := &page{t: t, ctx: ctx}
	p.do("open the hub's address", chromedp.Navigate(h.URL+"/"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.useToken(h.Token(t, "auditor", "370114"))
	p.do("open the statistics page", chromedp.Navigate(h.URL+"/ui/stats.html"))
	p.until("the first report", `!document.getElementById("stats-result").hidden`)
	p.until("the proactive coverage cards", `[...document.querySelectorAll("#stats-coverage .stats-card .v")].map(e => e.innerText).join(",") === "2,1,1"`)
	p.do("ask for 2026 by town",
		chromedp.SetValue(chromedp.ID("stats-from"), "2026-01"),
		chromedp.SetValue(chromedp.ID("stats-to"), "2026-12"),
		chromedp.SetValue(chromedp.ID("stats-by"), "town"),
		chromedp.Click(chromedp.ID("stats-run")))
	p.until("the year's total", `[...document.querySelectorAll("#stats-table tr.total td")].some(td => td.innerText === "`+strconv.Itoa(n)+`")`)
	p.until("twelve months of bars", `document.querySelectorAll("#chart-months svg text").length >= 12 + 5`)
	// The generator grants permits at once or after the town's review: two levels, two bars each.
	p.until("duration bars per level", `document.querySelectorAll("#chart-durations svg rect").length === 2 * 2`)
	p.until("the coverage in the table's total row", `[...document.querySelectorAll("#stats-table tr.total td.coverage")].map(e => e.innerText).join(",") === "2,1,1"`)
	if got := p.text("#stats-cards"); got == "" {
		t.Fatal("no summary cards")
	}
	// By town the table has a row per town, item and month: shown a page at a time.
	p.until("the first page", `document.getElementById("stats-page-info").innerText.startsWith("第 1 / ")
		&& document.querySelectorAll("#stats-table tbody tr").length === 200 + 1`)
	p.do("next page", chromedp.Click(chromedp.ID("stats-next")))
	p.until("the second page", `document.getElementById("stats-page-info").innerText.startsWith("第 2 / ")
		&& !document.getElementById("stats-prev").disabled`)
	p.shot("statistics")
}

// TestBrowserStatisticsYearRender measures, in the browser, how long the statistics page takes
// from the click to the rendered charts and table for the whole district over a year of
// generated activity (210,000 applications), on SQLite. Generating the year takes minutes, so
// it runs only when SANMIAN_STATS_YEAR is set; BENCHMARKS.md records its result.
func TestBrowserStatisticsYearRender(t *testing.T) {
	if os.Getenv("SANMIAN_STATS_YEAR") == "" {
		t.Skip("set SANMIAN_STATS_YEAR=1 to generate a year of activity and time the page")
	}
	ctx := browser(t)
	h := apptest.Start(t, apptest.Options{Residents: 200})
	const n = 210_000
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)
	if _, err := storetest.GenerateActivity(t.Context(), h.App.Store, n, start); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx}
	p.do("open the hub's address", chromedp.Navigate(h.URL+"/"))
	p.until("the UI to start", `document.body.dataset.ready === "true"`)
	p.useToken(h.Token(t, "auditor", "370114"))
	p.do("open the statistics page", chromedp.Navigate(h.URL+"/ui/stats.html"))
	p.until("the first report", `document.body.dataset.ready === "true"`)
	for _, by := range []string{"", "town", "village"} {
		var ms float64
		for range 3 {
			p.do("ask for 2026 by "+by,
				chromedp.SetValue(chromedp.ID("stats-from"), "2026-01"),
				chromedp.SetValue(chromedp.ID("stats-to"), "2026-12"),
				chromedp.SetValue(chromedp.ID("stats-by"), by),
				chromedp.Evaluate[chromedp.Void](`document.getElementById("stats-table").replaceChildren();
					window.__t0 = performance.now(); document.getElementById("stats-run").click()`))
			p.until("the year's total", `[...document.querySelectorAll("#stats-table tr.total td")].some(td => td.innerText === "`+strconv.Itoa(n)+`")
				&& !!(window.__t1 = window.__t1 || performance.now())`)
			v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const d = window.__t1 - window.__t0; window.__t1 = 0; return d; })()`))
			if err != nil {
				t.Fatal(err)
			}
			ms = max(ms, v)
		}
		t.Logf("by %q: slowest of 3 renders %.0f ms (polled every 50 ms)", by, ms)
	}
}
