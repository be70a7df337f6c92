package service

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/store"
)

// StatsRequest asks for the monthly statistics (表单报送) of a division: Division "" means the
// caller's jurisdiction (the district when it has none); Item "" every item; From and To are
// months "YYYY-MM", inclusive (To "" is the current month, From "" eleven months before To);
// By is the level the rows are broken down to (village, work_area, town or district; ""
// means the division's own level) and may not be above the division.
type StatsRequest struct {
	Division, Item, From, To, By string
}

// StatsReport is the statistics of one division over a range of months: one row per
// (division at level By, item, month) with anything to count, ordered by division, item and
// month, and Total over all of them.
type StatsReport struct {
	Division     string     `json:"division"`
	DivisionName string     `json:"division_name"`
	Item         string     `json:"item,omitempty"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	By           string     `json:"by"`
	Rows         []StatsRow `json:"rows"`
	Total        StatsRow   `json:"total"`
}

// StatsRow is one line of the monthly table. Months count in China Standard Time, by the
// month an application was created; its reviews and permit count in that month too.
// InstantShare is Instant / Approved (0 without approvals). ProactiveCoverage counts the
// worklist follow-up of the month from the contact log (see ProactiveCoverage).
type StatsRow struct {
	Division          string            `json:"division"`
	DivisionName      string            `json:"division_name"`
	Item              string            `json:"item"`
	ItemName          string            `json:"item_name"`
	Month             string            `json:"month"`
	Applications      int64             `json:"applications"`
	Draft             int64             `json:"draft"`
	Confirmed         int64             `json:"confirmed"`
	InReview          int64             `json:"in_review"`
	Approved          int64             `json:"approved"`
	Rejected          int64             `json:"rejected"`
	Returned          int64             `json:"returned"`
	Instant           int64             `json:"instant"`
	InstantShare      float64           `json:"instant_share"`
	Durations         []LevelDuration   `json:"durations"`
	Refusals          []RefusalCount    `json:"refusals"`
	ProactiveCoverage ProactiveCoverage `json:"proactive_coverage"`
}

// ProactiveCoverage is the worklist follow-up of a month (主动服务覆盖): the candidates
// reached (a contact-log entry contacted, declined or applied), those an application was made
// for, and of those the ones whose application for the item is approved (enrolled). A resident
// counts once per village, item and month; a row rolled up adds its villages' counts, and the
// total adds the months.
type ProactiveCoverage struct {
	Contacted int64 `json:"contacted"`
	Applied   int64 `json:"applied"`
	Enrolled  int64 `json:"enrolled"`
}

// LevelDuration is the time from application to permit of the permits granted at one level
// (the level of the last approving review, or "instant"): median and 90th percentile in
// hours, linearly interpolated between ranks like PostgreSQL's percentile_cont, over the
// durations rounded down to the store's histogram buckets (store.DurationBucket: the minute
// below one hour, ten minutes below two days, the hour beyond), so exact to that resolution.
type LevelDuration struct {
	Level       string  `json:"level"`
	Permits     int64   `json:"permits"`
	MedianHours float64 `json:"median_hours"`
	P90Hours    float64 `json:"p90_hours"`
}

// RefusalCount counts the reject or return reviews at one level, with their most frequent
// reasons (the reviewers' comments, trimmed and cut after store.MaxReasonRunes characters;
// identical texts are one reason): at most MaxStatsReasons, most frequent first.
type RefusalCount struct {
	Level   string        `json:"level"`
	Action  string        `json:"action"`
	Count   int64         `json:"count"`
	Reasons []ReasonCount `json:"reasons"`
}

// ReasonCount is how many reject or return reviews gave one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// MaxStatsReasons is how many reasons a RefusalCount lists.
const MaxStatsReasons = 5

// StatsLevels are the levels durations and refusals are reported at, in this order.
var StatsLevels = []string{store.LevelInstant, "village", "work_area", "town"}

// maxStatsMonths bounds the range of one statistics request.
const maxStatsMonths = 36

// Statistics computes the monthly statistics, authorised by the access policy
// ("statistics.read" on the division: counters and reviewers within their jurisdiction).
func (h *Hub) Statistics(ctx context.Context, c auth.Caller, req StatsRequest) (_ StatsReport, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.statistics(ctx, c, req)
}

func (h *Hub) statistics(ctx context.Context, c auth.Caller, req StatsRequest) (StatsReport, error) {
	scope := req.Division
	if scope == "" {
		scope = c.Jurisdiction
	}
	if scope == "" {
		scope = division.DistrictCode
	}
	prefix, villages, err := divisionFilter(scope)
	if err != nil {
		return StatsReport{}, &InvalidError{Field: "division", Detail: "not a division code of the district"}
	}
	if req.Item != "" {
		if _, ok := h.policy.Item(req.Item); !ok {
			return StatsReport{}, &InvalidError{Field: "item", Detail: "not an item code of the catalogue"}
		}
	}
	from, to, err := monthRange(req.From, req.To, h.now())
	if err != nil {
		return StatsReport{}, err
	}
	own := division.LevelDistrict
	if d, ok := division.Lookup(scope); ok {
		own = d.Level
	}
	by := own
	if req.By != "" {
		if by, err = division.ParseLevel(req.By); err != nil || by < own {
			return StatsReport{}, &InvalidError{Field: "by", Detail: "must be district, town, work_area or village, not above the division"}
		}
	}
	if _, err := h.authorize(ctx, c, "statistics.read", Resource{Item: req.Item, Division: scope}, ""); err != nil {
		return StatsReport{}, err
	}
	// The store adds up the villages of a town or of the district itself; work areas are not a
	// prefix of their villages' codes and are added up here.
	digits := 12
	switch by {
	case division.LevelDistrict:
		digits = 6
	case division.LevelTown:
		digits = 9
	}
	q := store.StatsQuery{DivisionPrefix: prefix, Villages: villages, Item: req.Item, From: from, To: to, VillageDigits: digits}
	// The three aggregates are independent reads: run them side by side.
	var (
		apps []store.ApplicationStat
		revs []store.ReviewStat
		durs []store.DurationStat
		pros []store.ProactiveStat
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { apps, err = h.store.ApplicationStats(gctx, q); return err })
	g.Go(func() (err error) { revs, err = h.store.ReviewStats(gctx, q); return err })
	g.Go(func() (err error) { durs, err = h.store.PermitDurations(gctx, q); return err })
	g.Go(func() (err error) { pros, err = h.store.ProactiveStats(gctx, q); return err })
	if err := g.Wait(); err != nil {
		return StatsReport{}, err
	}

	type key struct{ div, item, month string }
	groups := map[key]*statsAcc{}
	total := newStatsAcc(StatsRow{Division: scope})
	get := func(village, item, month string) *statsAcc {
		k := key{rollUp(village, by), item, month}
		a := groups[k]
		if a == nil {
			a = newStatsAcc(StatsRow{Division: k.div, Item: item, Month: month})
			groups[k] = a
		}
		return a
	}
	for _, s := range apps {
		for _, a := range []*statsAcc{get(s.Village, s.Item, s.Month), total} {
			r := &a.row
			r.Applications += s.Total
			r.Draft += s.Draft
			r.Confirmed += s.Confirmed
			r.InReview += s.InReview
			r.Approved += s.Approved
			r.Rejected += s.Rejected
			r.Returned += s.Returned
		}
	}
	for _, s := range pros {
		for _, a := range []*statsAcc{get(s.Village, s.Item, s.Month), total} {
			c := &a.row.ProactiveCoverage
			c.Contacted += s.Contacted
			c.Applied += s.Applied
			c.Enrolled += s.Enrolled
		}
	}
	for _, s := range revs {
		for _, a := range []*statsAcc{get(s.Village, s.Item, s.Month), total} {
			k := [2]string{s.Level, string(s.Action)}
			if a.refs[k] == nil {
				a.refs[k] = map[string]int64{}
			}
			a.refs[k][s.Reason] += s.Count
		}
	}
	for _, d := range durs {
		for _, a := range []*statsAcc{get(d.Village, d.Item, d.Month), total} {
			if a.hist[d.Level] == nil {
				a.hist[d.Level] = map[int64]int64{}
			}
			a.hist[d.Level][d.Seconds] += d.Count
			if d.Level == store.LevelInstant {
				a.row.Instant += d.Count
			}
		}
	}
	rep := StatsReport{Division: scope, DivisionName: division.FullName(scope), Item: req.Item,
		From: from.Format("2006-01"), To: to.AddDate(0, -1, 0).Format("2006-01"), By: by.String(), Rows: []StatsRow{}}
	for _, a := range groups {
		rep.Rows = append(rep.Rows, h.finishStats(a))
	}
	slices.SortFunc(rep.Rows, func(x, y StatsRow) int {
		return strings.Compare(x.Division+"\x00"+x.Item+"\x00"+x.Month, y.Division+"\x00"+y.Item+"\x00"+y.Month)
	})
	rep.Total = h.finishStats(total)
	return rep, nil
}

// statsAcc accumulates one row of the statistics: the counts, the duration histogram per
// level (bucket seconds → permits) and the refusals per (level, action) and reason.
type statsAcc struct {
	row  StatsRow
	hist map[string]map[int64]int64
	refs map[[2]string]map[string]int64
}

func newStatsAcc(row StatsRow) *statsAcc {
	return &statsAcc{row: row, hist: map[string]map[int64]int64{}, refs: map[[2]string]map[string]int64{}}
}

// finishStats computes a row's shares, percentiles and reasons and names its division and item.
func (h *Hub) finishStats(a *statsAcc) StatsRow {
	r := a.row
	if r.Approved > 0 {
		r.InstantShare = math.Round(float64(r.Instant)/float64(r.Approved)*10000) / 10000
	}
	r.Durations, r.Refusals = []LevelDuration{}, []RefusalCount{}
	for _, l := range levelsOf(a.hist) {
		hist := sortedHist(a.hist[l])
		var n int64
		for _, b := range hist {
			n += b.Count
		}
		r.Durations = append(r.Durations, LevelDuration{Level: l, Permits: n,
			MedianHours: hours(percentile(hist, n, 0.5)), P90Hours: hours(percentile(hist, n, 0.9))})
	}
	for k, reasons := range a.refs {
		rc := RefusalCount{Level: k[0], Action: k[1], Reasons: []ReasonCount{}}
		for reason, n := range reasons {
			rc.Count += n
			rc.Reasons = append(rc.Reasons, ReasonCount{Reason: reason, Count: n})
		}
		slices.SortFunc(rc.Reasons, func(x, y ReasonCount) int {
			if x.Count != y.Count {
				return cmpInt64(y.Count, x.Count)
			}
			return strings.Compare(x.Reason, y.Reason)
		})
		rc.Reasons = rc.Reasons[:min(len(rc.Reasons), MaxStatsReasons)]
		r.Refusals = append(r.Refusals, rc)
	}
	slices.SortFunc(r.Refusals, func(x, y RefusalCount) int {
		if c := strings.Compare(x.Action, y.Action); c != 0 {
			return c
		}
		return levelRank(x.Level) - levelRank(y.Level)
	})
	if r.Division != "" {
		r.DivisionName = division.FullName(r.Division)
	}
	if it, ok := h.policy.Item(r.Item); ok {
		r.ItemName = it.NameZH
	}
	return r
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// monthRange parses the inclusive months from and to ("YYYY-MM") into [start of from, start
// of the month after to) in China Standard Time.
func monthRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	parse := func(field, s string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01", s, division.Zone)
		if err != nil {
			return t, &InvalidError{Field: field, Detail: "must be a month YYYY-MM"}
		}
		return t, nil
	}
	var end time.Time
	if to == "" {
		n := now.In(division.Zone)
		end = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, division.Zone)
	} else {
		var err error
		if end, err = parse("to", to); err != nil {
			return end, end, err
		}
	}
	start := end.AddDate(0, -11, 0)
	if from != "" {
		var err error
		if start, err = parse("from", from); err != nil {
			return start, start, err
		}
	}
	end = end.AddDate(0, 1, 0)
	if !start.Before(end) {
		return start, end, &InvalidError{Field: "from", Detail: "must not be after to"}
	}
	if start.AddDate(0, maxStatsMonths, 0).Before(end) {
		return start, end, &InvalidError{Field: "from", Detail: fmt.Sprintf("the range may span at most %d months", maxStatsMonths)}
	}
	return start, end, nil
}

// rollUp returns the division at level by that village lies in.
func rollUp(village string, by division.Level) string {
	switch by {
	case division.LevelDistrict:
		return division.DistrictCode
	case division.LevelTown:
		if v, ok := division.Lookup(village); ok && v.Town != "" {
			return v.Town
		}
		return village[:min(9, len(village))] + "000"
	case division.LevelWorkArea:
		if w, ok := division.WorkAreaOf(village); ok {
			return w.Code
		}
	}
	return village
}

func levelRank(l string) int {
	if i := slices.Index(StatsLevels, l); i >= 0 {
		return i
	}
	return len(StatsLevels)
}

// levelsOf returns the keys of m in StatsLevels order (unknown levels last, by name).
func levelsOf(m map[string]map[int64]int64) []string {
	var out []string
	for l := range m {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := levelRank(a) - levelRank(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// sortedHist returns the buckets of a histogram (bucket seconds → count) in ascending order.
func sortedHist(m map[int64]int64) []store.DurationStat {
	out := make([]store.DurationStat, 0, len(m))
	for s, n := range m {
		if n > 0 {
			out = append(out, store.DurationStat{Seconds: s, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b store.DurationStat) int { return cmpInt64(a.Seconds, b.Seconds) })
	return out
}

// percentile is the p-th percentile of the n values of the ascending histogram hist,
// interpolated linearly between ranks (percentile_cont); 0 for an empty one.
func percentile(hist []store.DurationStat, n int64, p float64) float64 {
	if n == 0 {
		return 0
	}
	pos := p * float64(n-1)
	lo := int64(math.Floor(pos))
	at := func(rank int64) float64 { // the value of 0-based rank
		for _, b := range hist {
			if rank < b.Count {
				return float64(b.Seconds)
			}
			rank -= b.Count
		}
		return float64(hist[len(hist)-1].Seconds)
	}
	v := at(lo)
	if frac := pos - float64(lo); frac > 0 {
		v += frac * (at(min(lo+1, n-1)) - v)
	}
	return v
}

func hours(sec float64) float64 { return math.Round(sec/3600*100) / 100 }
