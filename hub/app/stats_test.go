package app_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sanmian/hub/app"
	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/service"
	"sanmian/hub/store"
	"sanmian/hub/store/storetest"
)

// yearApplications is the year of activity the statistics tests and benchmark generate: at
// least 200,000 applications over every village of the synthetic district. Under the race
// detector the tests generate a fifth of it (the same months, villages and outcomes), which
// checks the same sums and races at a twentieth of the time; `make test` also runs the test
// on the full year without it (test-year).
var yearApplications = map[bool]int{false: 210_000, true: 42_000}[underRace]

var yearStart = time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone)

type statsEnv struct {
	*env
	totals storetest.ActivityTotals
}

// startStatsEnv starts a hub on backend ("sqlite", or "postgres" in a fresh schema of the test
// database) and writes a year of activity straight into its store.
func startStatsEnv(tb testing.TB, backend string) *statsEnv {
	tb.Helper()
	var e *env
	switch backend {
	case "sqlite":
		e = startEnv(tb, envOptions{residents: 20})
	case "postgres":
		dsn := storetest.PostgresDSN(tb)
		schema := storetest.FreshSchema(tb, dsn)
		p := startPlatforms(tb, envOptions{residents: 20})
		cfg, issuer := hubConfig(tb, tb.TempDir(), p, dsn)
		a, url := startHubWith(tb, cfg, app.WithStoreOptions(store.WithSchema(schema)))
		e = &env{URL: url, App: a, Platforms: p, Issuer: issuer, Config: cfg}
	default:
		tb.Fatalf("backend %q", backend)
	}
	start := time.Now()
	tot, err := storetest.GenerateActivity(tb.Context(), e.App.Store, yearApplications, yearStart)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s: generated %d applications, %d permits in %v", backend, tot.Applications, tot.Permits, time.Since(start).Round(time.Millisecond))
	return &statsEnv{env: e, totals: tot}
}

func (e *statsEnv) token(tb testing.TB, role, jurisdiction string) string {
	tb.Helper()
	t, err := e.Issuer.Mint(auth.Caller{Subject: role + "-stats", Role: role, Jurisdiction: jurisdiction}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func (e *statsEnv) get(tb testing.TB, token, query string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, e.URL+"/v1/statistics?"+query, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return res, body
}

func (e *statsEnv) report(tb testing.TB, token, query string) service.StatsReport {
	tb.Helper()
	res, body := e.get(tb, token, query)
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET /v1/statistics?%s: %d %s", query, res.StatusCode, body)
	}
	var rep service.StatsReport
	if err := json.Unmarshal(body, &rep); err != nil {
		tb.Fatal(err)
	}
	return rep
}

// TestStatisticsYearOfDistrict generates a year of activity for the whole district and checks
// the statistics API against what was generated, its CSV and XLSX downloads against its JSON,
// and that a village counter sees only its village.
func TestStatisticsYearOfDistrict(t *testing.T) {
	e := startStatsEnv(t, "sqlite")
	coverage := addFollowUps(t, e.App.Store, 40)
	auditor := e.token(t, auth.RoleAuditor, division.DistrictCode)
	const year = "from=2026-01&to=2026-12"
	rep := e.report(t, auditor, "division=370114&"+year)

	t.Run("json_totals_equal_generated", func(t *testing.T) {
		g, w := rep.Total, e.totals
		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"applications", g.Applications, w.Applications}, {"draft", g.Draft, w.Draft}, {"confirmed", g.Confirmed, w.Confirmed},
			{"in_review", g.InReview, w.InReview}, {"approved", g.Approved, w.Approved}, {"rejected", g.Rejected, w.Rejected},
			{"returned", g.Returned, w.Returned}, {"instant", g.Instant, w.Instant},
		} {
			if c.got != c.want {
				t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
			}
		}
		if len(rep.Rows) != 12*len(storetest.ActivityItems) {
			t.Errorf("%d rows, want one per item and month (%d)", len(rep.Rows), 12*len(storetest.ActivityItems))
		}
		var permits, refusals int64
		for _, d := range g.Durations {
			permits += d.Permits
			if d.Level == "instant" && (d.MedianHours != 0.08 || d.P90Hours != 0.08) {
				t.Errorf("instant durations %+v, want 5 minutes", d)
			}
			if d.Level == "town" && (d.MedianHours < 24 || d.P90Hours > 240 || d.P90Hours < d.MedianHours) {
				t.Errorf("town durations %+v, want within 1..10 days", d)
			}
		}
		for _, r := range g.Refusals {
			refusals += r.Count
		}
		// The generator gives every rejection and every return one reason each.
		for _, r := range g.Refusals {
			want := map[string]string{"reject": "不符合条件", "return": "材料不全"}[r.Action]
			if len(r.Reasons) != 1 || r.Reasons[0].Reason != want || r.Reasons[0].Count != r.Count {
				t.Errorf("%s %s refusals %d with reasons %+v, want all %q", r.Level, r.Action, r.Count, r.Reasons, want)
			}
		}
		if permits != w.Permits || refusals != w.RejectReviews+w.ReturnReviews {
			t.Errorf("permits %d refusals %d, want %d and %d", permits, refusals, w.Permits, w.RejectReviews+w.ReturnReviews)
		}
		if g.ProactiveCoverage != coverage {
			t.Errorf("proactive coverage %+v, want %+v", g.ProactiveCoverage, coverage)
		}
	})

	t.Run("csv_parses_and_totals_match_json", func(t *testing.T) {
		res, body := e.get(t, auditor, "division=370114&by=town&format=csv&"+year)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), `attachment; filename="statistics-370114-2026-01-2026-12.csv"`) {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
		if !bytes.HasPrefix(body, []byte("\uFEFF")) {
			t.Fatal("no UTF-8 byte order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		checkTable(t, recs, rep.Total)
	})

	t.Run("xlsx_opens_and_totals_match_json", func(t *testing.T) {
		res, body := e.get(t, auditor, "division=370114&by=village&format=xlsx&"+year)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), ".xlsx") {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("统计")
		if err != nil {
			t.Fatal(err)
		}
		checkTable(t, rows, rep.Total)
		// The reasons of the returns and rejections, with the API's counts.
		col := slices.Index(rows[0], "退回及不予批准主要原因")
		var want []string
		for _, r := range rep.Total.Refusals {
			for _, x := range r.Reasons {
				want = append(want, x.Reason+"×"+strconv.FormatInt(x.Count, 10))
			}
		}
		if last := rows[len(rows)-1]; col < 0 || len(want) == 0 || col >= len(last) {
			t.Errorf("no reasons column or reasons (column %d, reasons %v)", col, want)
		} else {
			for _, w := range want {
				if !strings.Contains(last[col], w) {
					t.Errorf("合计 reasons %q lack %q", last[col], w)
				}
			}
		}
		// Numbers are stored as numbers, so a spreadsheet can sum them.
		last := len(rows)
		if typ, err := f.GetCellType("统计", "F"+strconv.Itoa(last)); err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("total cell type %v %v, want a number", typ, err)
		}
	})

	t.Run("village_counter_sees_only_its_village", func(t *testing.T) {
		v := division.Villages()[7].Code
		counter := e.token(t, auth.RoleCounter, v)
		own := e.report(t, counter, year)
		var want int64
		for i := 7; i < yearApplications; i += len(division.Villages()) {
			want++
		}
		if own.Division != v || own.Total.Applications != want {
			t.Errorf("counter's statistics: division %s, %d applications; want %s, %d", own.Division, own.Total.Applications, v, want)
		}
		for _, r := range own.Rows {
			if r.Division != v {
				t.Fatalf("row of %s in a village counter's statistics", r.Division)
			}
		}
		for _, q := range []string{"division=370114", "division=" + division.Villages()[8].Code, "division=" + v[:9] + "000"} {
			if res, body := e.get(t, counter, q+"&"+year); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d %s, want 403", q, res.StatusCode, body)
			}
		}
	})

	t.Run("rollups_add_up", func(t *testing.T) {
		for _, by := range []string{"town", "work_area", "village"} {
			r := e.report(t, auditor, "division=370114&by="+by+"&"+year)
			var n int64
			for _, row := range r.Rows {
				n += row.Applications
			}
			if n != rep.Total.Applications || r.Total.Applications != rep.Total.Applications {
				t.Errorf("by %s: rows add up to %d, total %d, want %d", by, n, r.Total.Applications, rep.Total.Applications)
			}
		}
	})

	t.Run("bad_parameters_are_problems", func(t *testing.T) {
		for _, q := range []string{"format=pdf", "from=2026-13", "from=2026-06&to=2026-01", "division=999", "by=nowhere",
			"division=" + division.Villages()[0].Code + "&by=town", "from=2020-01&to=2026-12"} {
			res, body := e.get(t, auditor, q)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
				t.Errorf("%s: %d %s, want a 400 problem", q, res.StatusCode, body)
			}
		}
	})
}

// checkTable checks a downloaded table: Chinese header, a 合计 row whose 申请数 and proactive
// coverage columns are total's, and data rows that add up to them.
func checkTable(t *testing.T, rows [][]string, total service.StatsRow) {
	t.Helper()
	if len(rows) < 3 || rows[0][5] != "申请数" || rows[0][0] != "区划代码" {
		t.Fatalf("table head %v (%d rows)", rows[0], len(rows))
	}
	last := rows[len(rows)-1]
	if last[3] != "合计" {
		t.Fatalf("last row %v, want the 合计 row", last)
	}
	pc := total.ProactiveCoverage
	for _, c := range []struct {
		head string
		want int64
	}{
		{"申请数", total.Applications}, {"主动服务已联系", pc.Contacted}, {"主动服务已申请", pc.Applied}, {"主动服务已享受", pc.Enrolled},
	} {
		col := slices.Index(rows[0], c.head)
		if col < 0 {
			t.Fatalf("no column %s in %v", c.head, rows[0])
		}
		got, err := strconv.ParseInt(last[col], 10, 64)
		if err != nil || got != c.want {
			t.Fatalf("合计 %s %q, want %d", c.head, last[col], c.want)
		}
		var sum int64
		for _, r := range rows[1 : len(rows)-1] {
			n, err := strconv.ParseInt(r[col], 10, 64)
			if err != nil {
				t.Fatalf("row %v: %s: %v", r, c.head, err)
			}
			sum += n
		}
		if sum != c.want {
			t.Fatalf("%s: rows add up to %d, want %d", c.head, sum, c.want)
		}
	}
}

// addFollowUps writes contact-log entries for n groups of the applicants GenerateActivity
// made (each group's entries in its applications' month and village) and returns the proactive
// coverage they should count: per group, an approved applicant contacted and then applied
// (contacted, applied, enrolled), a rejected applicant applied (contacted, applied), a draft's
// applicant contacted then declined (contacted once), and an in-review applicant unreachable
// (not counted).
func addFollowUps(t *testing.T, s store.Store, n int) service.ProactiveCoverage {
	t.Helper()
	ctx := t.Context()
	villages := division.Villages()
	span := yearStart.AddDate(1, 0, 0).Sub(yearStart)
	var want service.ProactiveCoverage
	for g := range n {
		for _, c := range []struct {
			k        int
			statuses []string
		}{
			{6, []string{store.ContactContacted, store.ContactApplied}},
			{4, []string{store.ContactApplied}},
			{0, []string{store.ContactContacted, store.ContactDeclined}},
			{2, []string{store.ContactUnreachable}},
		} {
			// Application i of GenerateActivity, whose applicant and item recur only every
			// 30,000 applications with the same outcome.
			i := 20*g*(yearApplications/20/n) + c.k
			created := yearStart.Add(time.Duration(int64(span) / int64(yearApplications) * int64(i)))
			for j, st := range c.statuses {
				err := s.AddContact(ctx, &store.Contact{Item: storetest.ActivityItems[i%len(storetest.ActivityItems)],
					IDNumber: fmt.Sprintf("370114%08d%04d", 19400101+i%30, i%10000), Village: villages[i%len(villages)].Code,
					Status: st, ActorSub: "counter-gen", ActorRole: auth.RoleCounter, At: created.Add(time.Duration(j+1) * time.Minute)})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		want.Contacted += 3
		want.Applied += 2
		want.Enrolled++
	}
	return want
}

// BenchmarkStatisticsYearOfDistrict measures GET /v1/statistics for the whole district over a
// year of generated activity (yearApplications applications) on SQLite and on PostgreSQL (when
// SANMIAN_TEST_POSTGRES is set), as an auditor, and reports the process CPU time per request
// (hub, client and, for SQLite, the database share the process) beside the wall time, as the
// wall time depends on what else the machine runs.
func BenchmarkStatisticsYearOfDistrict(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			e := startStatsEnv(b, backend)
			tok := e.token(b, auth.RoleAuditor, division.DistrictCode)
			for _, c := range []struct{ name, query string }{
				{"district", "division=370114&from=2026-01&to=2026-12"},
				{"by_town", "division=370114&by=town&from=2026-01&to=2026-12"},
				{"by_village", "division=370114&by=village&from=2026-01&to=2026-12"},
				{"csv_by_town", "division=370114&by=town&format=csv&from=2026-01&to=2026-12"},
				{"xlsx_by_town", "division=370114&by=town&format=xlsx&from=2026-01&to=2026-12"},
			} {
				b.Run(c.name, func(b *testing.B) {
					cpu0 := cpuTime()
					for b.Loop() {
						if res, body := e.get(b, tok, c.query); res.StatusCode != http.StatusOK {
							b.Fatal(res.StatusCode, string(body))
						}
					}
					b.ReportMetric(ms(cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
				})
			}
		})
	}
}
