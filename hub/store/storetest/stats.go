package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/store"
)

// ActivityItems are the items GenerateActivity spreads applications over (catalogue codes).
var ActivityItems = []string{"elderly_allowance", "senior_card", "minimum_living_allowance", "funeral_subsidy",
	"hardship_disability_subsidy", "medical_insurance_enrolment"}

// ActivityTotals are what GenerateActivity wrote, to check statistics against.
type ActivityTotals struct {
	Applications, Draft, Confirmed, InReview, Approved, Rejected, Returned, Instant int64
	Permits, RejectReviews, ReturnReviews                                           int64
}

// GenerateActivity writes n applications spread evenly over the 12 months from start (and
// over every village of the synthetic district and ActivityItems), in transactions of 20,000,
// with their permits and reviews: per 20 applications 1 draft, 1 confirmed, 2 in review, 1
// rejected at the village, 1 returned at the work area, 6 approved at once (permit after
// 5 minutes) and 8 approved after review (village, then town; permit after 1..10 days).
// Generation is deterministic.
func GenerateActivity(ctx context.Context, s store.Store, n int, start time.Time) (ActivityTotals, error) {
	villages := division.Villages()
	span := start.AddDate(1, 0, 0).Sub(start)
	var tot ActivityTotals
	const batch = 20000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		err := s.Tx(ctx, func(tx store.Txn) error {
			for i := lo; i < hi; i++ {
				v := villages[i%len(villages)].Code
				created := start.Add(time.Duration(int64(span) / int64(n) * int64(i)))
				a := &store.Application{ID: fmt.Sprintf("gen%09d", i), Item: ActivityItems[i%len(ActivityItems)],
					ApplicantID: fmt.Sprintf("370114%08d%04d", 19400101+i%30, i%10000), Village: v, CreatedBy: "counter-gen",
					CreatedAt: created}
				var reviews []store.Review
				var issued time.Time
				switch k := i % 20; {
				case k == 0:
					a.Status = store.StatusDraft
					tot.Draft++
				case k == 1:
					a.Status = store.StatusConfirmed
					tot.Confirmed++
				case k <= 3:
					a.Status, a.AwaitingLevel, a.AwaitingDivision = store.StatusInReview, "village", v
					tot.InReview++
				case k == 4:
					a.Status = store.StatusRejected
					reviews = append(reviews, store.Review{Level: "village", Division: v, Action: store.ReviewReject,
						Comment: "不符合条件", At: created.Add(24 * time.Hour)})
					tot.Rejected++
					tot.RejectReviews++
				case k == 5:
					a.Status = store.StatusReturned
					reviews = append(reviews, store.Review{Level: "work_area", Division: v[:9], Action: store.ReviewReturn,
						Comment: "材料不全", At: created.Add(24 * time.Hour)})
					tot.Returned++
					tot.ReturnReviews++
				case k <= 11:
					a.Status = store.StatusApproved
					issued = created.Add(5 * time.Minute)
					tot.Approved++
					tot.Instant++
				default:
					a.Status = store.StatusApproved
					issued = created.Add(time.Duration(1+i%10) * 24 * time.Hour)
					reviews = append(reviews,
						store.Review{Level: "village", Division: v, Action: store.ReviewApprove, At: created.Add(time.Hour)},
						store.Review{Level: "town", Division: v[:9] + "000", Action: store.ReviewApprove, At: issued})
					tot.Approved++
				}
				if !issued.IsZero() {
					a.PermitID = fmt.Sprintf("genp%09d", i)
				}
				if err := tx.CreateApplication(ctx, a); err != nil {
					return err
				}
				for _, r := range reviews {
					r.ApplicationID, r.Reviewer = a.ID, "reviewer-gen"
					if err := tx.AddReview(ctx, &r); err != nil {
						return err
					}
				}
				if !issued.IsZero() {
					p := &store.Permit{ID: a.PermitID, ApplicationID: a.ID, Token: "eyJ.x.y", KID: "gen-1", Item: a.Item,
						Issuer: v[:9] + "000", IssuedAt: issued, StatusListIndex: int64(1_000_000 + i)}
					if err := tx.InsertPermit(ctx, p); err != nil {
						return err
					}
					tot.Permits++
				}
				tot.Applications++
			}
			return nil
		})
		if err != nil {
			return tot, err
		}
	}
	return tot, nil
}

func testStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	const (
		va   = "370114001001"
		vb   = "370114002001"
		item = "elderly_allowance"
	)
	// 2026-01-31 20:00 UTC is 2026-02-01 04:00 in China: it counts in February.
	base := time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC)
	type fixture struct {
		village string
		status  store.ApplicationStatus
		reviews []store.ReviewAction // at levels village, work_area, town in turn
		permit  time.Duration        // after creation; 0: none
		created time.Time
	}
	for i, f := range []fixture{
		{va, store.StatusApproved, nil, 10 * time.Minute, base},
		{va, store.StatusApproved, []store.ReviewAction{store.ReviewApprove}, 48 * time.Hour, base},
		{va, store.StatusApproved, []store.ReviewAction{store.ReviewApprove, store.ReviewApprove}, 96 * time.Hour, base},
		{va, store.StatusRejected, []store.ReviewAction{store.ReviewReject}, 0, base},
		{va, store.StatusReturned, []store.ReviewAction{store.ReviewApprove, store.ReviewReturn}, 0, base},
		{va, store.StatusDraft, nil, 0, base.Add(-24 * time.Hour)}, // January in China
		{vb, store.StatusInReview, nil, 0, base},
		{vb, store.StatusApproved, nil, time.Minute, base.AddDate(0, 3, 0)}, // outside the range
	} {
		a := newApp(f.village, item, f.status)
		a.CreatedAt = f.created
		if f.permit > 0 {
			a.PermitID = fmt.Sprintf("p-stats-%d", i)
		}
		must(t, s.CreateApplication(ctx, a))
		for j, act := range f.reviews {
			must(t, s.AddReview(ctx, &store.Review{ApplicationID: a.ID, Level: []string{"village", "work_area", "town"}[j],
				Division: f.village, Action: act, Comment: "c", Reviewer: "r", At: f.created.Add(time.Duration(j+1) * time.Hour)}))
		}
		if f.permit > 0 {
			p := permitFor(a.ID)
			p.ID, p.IssuedAt = a.PermitID, f.created.Add(f.permit)
			must(t, s.InsertPermit(ctx, p))
		}
	}
	q := store.StatsQuery{From: time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone), To: time.Date(2026, 3, 1, 0, 0, 0, 0, division.Zone)}

	apps, err := s.ApplicationStats(ctx, q)
	must(t, err)
	slices.SortFunc(apps, func(a, b store.ApplicationStat) int { return strings.Compare(a.Village+a.Month, b.Village+b.Month) })
	want := []store.ApplicationStat{
		{Village: va, Item: item, Month: "2026-01", Total: 1, Draft: 1},
		{Village: va, Item: item, Month: "2026-02", Total: 5, Approved: 3, Rejected: 1, Returned: 1},
		{Village: vb, Item: item, Month: "2026-02", Total: 1, InReview: 1},
	}
	if !slices.Equal(apps, want) {
		t.Fatalf("ApplicationStats:\n got %+v\nwant %+v", apps, want)
	}

	revs, err := s.ReviewStats(ctx, q)
	must(t, err)
	slices.SortFunc(revs, func(a, b store.ReviewStat) int { return strings.Compare(a.Level, b.Level) })
	wantRev := []store.ReviewStat{
		{Village: va, Item: item, Month: "2026-02", Level: "village", Action: store.ReviewReject, Reason: "c", Count: 1},
		{Village: va, Item: item, Month: "2026-02", Level: "work_area", Action: store.ReviewReturn, Reason: "c", Count: 1},
	}
	if !slices.Equal(revs, wantRev) {
		t.Fatalf("ReviewStats:\n got %+v\nwant %+v", revs, wantRev)
	}

	durs, err := s.PermitDurations(ctx, q)
	must(t, err)
	slices.SortFunc(durs, func(a, b store.DurationStat) int { return strings.Compare(a.Level, b.Level) })
	wantDur := []store.DurationStat{
		{Village: va, Item: item, Month: "2026-02", Level: store.LevelInstant, Seconds: 600, Count: 1},
		{Village: va, Item: item, Month: "2026-02", Level: "village", Seconds: 48 * 3600, Count: 1},
		{Village: va, Item: item, Month: "2026-02", Level: "work_area", Seconds: 96 * 3600, Count: 1},
	}
	if !slices.Equal(durs, wantDur) {
		t.Fatalf("PermitDurations:\n got %+v\nwant %+v", durs, wantDur)
	}

	// Grouped by the town's part of the village code.
	town, err := s.ApplicationStats(ctx, store.StatsQuery{From: q.From, To: q.To, VillageDigits: 9})
	must(t, err)
	slices.SortFunc(town, func(a, b store.ApplicationStat) int { return strings.Compare(a.Village+a.Month, b.Village+b.Month) })
	wantTown := []store.ApplicationStat{
		{Village: va[:9], Item: item, Month: "2026-01", Total: 1, Draft: 1},
		{Village: va[:9], Item: item, Month: "2026-02", Total: 5, Approved: 3, Rejected: 1, Returned: 1},
		{Village: vb[:9], Item: item, Month: "2026-02", Total: 1, InReview: 1},
	}
	if !slices.Equal(town, wantTown) {
		t.Fatalf("ApplicationStats by town:\n got %+v\nwant %+v", town, wantTown)
	}

	// Narrowing by division and item.
	for _, tc := range []struct {
		name  string
		q     store.StatsQuery
		total int64
	}{
		{"stats_prefix_town_of_va", store.StatsQuery{DivisionPrefix: va[:9], From: q.From, To: q.To}, 6},
		{"stats_villages_vb", store.StatsQuery{Villages: []string{vb}, From: q.From, To: q.To}, 1},
		{"stats_other_item", store.StatsQuery{Item: "senior_card", From: q.From, To: q.To}, 0},
		{"stats_wider_range", store.StatsQuery{From: q.From, To: q.To.AddDate(0, 6, 0)}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.ApplicationStats(ctx, tc.q)
			must(t, err)
			var n int64
			for _, r := range rows {
				n += r.Total
			}
			if n != tc.total {
				t.Fatalf("total %d, want %d", n, tc.total)
			}
		})
	}
	for _, bad := range []store.StatsQuery{{}, {From: q.From.Add(time.Hour), To: q.To}, {From: q.From, To: q.To, VillageDigits: 7}} {
		if _, err := s.ApplicationStats(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("query %+v: %v, want ErrInvalid", bad, err)
		}
	}
}

// testStatsFollowWrites checks that the statistics follow every write that changes them, in
// the writer's transaction: status changes, reviews with their reasons, permits with their
// durations; that an application created in the last instant of a month counts in that month;
// and that a rolled-back transaction leaves them as they were.
func testStatsFollowWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	const v, item = "370114003002", "senior_card"
	// 2026-04-30 15:59:59.999999 UTC is the last microsecond of April in China.
	created := time.Date(2026, 4, 30, 15, 59, 59, 999999000, time.UTC)
	q := store.StatsQuery{Villages: []string{v}, From: time.Date(2026, 4, 1, 0, 0, 0, 0, division.Zone), To: time.Date(2026, 6, 1, 0, 0, 0, 0, division.Zone)}
	counts := func() map[string]int64 {
		rows, err := s.ApplicationStats(ctx, q)
		must(t, err)
		out := map[string]int64{}
		for _, r := range rows {
			out[r.Month+" total"] += r.Total
			out[r.Month+" in_review"] += r.InReview
			out[r.Month+" approved"] += r.Approved
			out[r.Month+" returned"] += r.Returned
		}
		return out
	}
	a := newApp(v, item, store.StatusInReview)
	a.CreatedAt = created
	must(t, s.CreateApplication(ctx, a))
	if c := counts(); c["2026-04 total"] != 1 || c["2026-04 in_review"] != 1 || c["2026-05 total"] != 0 {
		t.Fatalf("after create: %v", c)
	}
	// A transaction that fails changes nothing.
	errAbort := errors.New("abort")
	err := s.Tx(ctx, func(tx store.Txn) error {
		got, err := tx.GetApplication(ctx, a.ID)
		if err != nil {
			return err
		}
		got.Status = store.StatusApproved
		if err := tx.UpdateApplication(ctx, &got, got.Version); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatal(err)
	}
	if c := counts(); c["2026-04 in_review"] != 1 || c["2026-04 approved"] != 0 {
		t.Fatalf("after a rolled-back update: %v", c)
	}
	// Returned with a reason (white space around it is not part of it), then approved at the
	// town after 30 hours 7 minutes.
	must(t, s.AddReview(ctx, &store.Review{ApplicationID: a.ID, Level: "village", Division: v, Action: store.ReviewReturn,
		Comment: "  材料不全  ", Reviewer: "r", At: created.Add(time.Hour)}))
	got, err := s.GetApplication(ctx, a.ID)
	must(t, err)
	got.Status = store.StatusReturned
	must(t, s.UpdateApplication(ctx, &got, got.Version))
	if c := counts(); c["2026-04 total"] != 1 || c["2026-04 in_review"] != 0 || c["2026-04 returned"] != 1 {
		t.Fatalf("after return: %v", c)
	}
	must(t, s.AddReview(ctx, &store.Review{ApplicationID: a.ID, Level: "town", Division: v[:9] + "000", Action: store.ReviewApprove,
		Comment: "", Reviewer: "r", At: created.Add(30 * time.Hour)}))
	got, err = s.GetApplication(ctx, a.ID)
	must(t, err)
	got.Status, got.PermitID = store.StatusApproved, "p-follow-1"
	must(t, s.UpdateApplication(ctx, &got, got.Version))
	p := permitFor(a.ID)
	p.ID, p.IssuedAt = got.PermitID, created.Add(30*time.Hour+7*time.Minute)
	must(t, s.InsertPermit(ctx, p))
	if c := counts(); c["2026-04 total"] != 1 || c["2026-04 returned"] != 0 || c["2026-04 approved"] != 1 {
		t.Fatalf("after approval: %v", c)
	}
	revs, err := s.ReviewStats(ctx, q)
	must(t, err)
	if want := []store.ReviewStat{{Village: v, Item: item, Month: "2026-04", Level: "village", Action: store.ReviewReturn,
		Reason: "材料不全", Count: 1}}; !slices.Equal(revs, want) {
		t.Fatalf("ReviewStats: got %+v, want %+v", revs, want)
	}
	durs, err := s.PermitDurations(ctx, q)
	must(t, err)
	if want := []store.DurationStat{{Village: v, Item: item, Month: "2026-04", Level: "town",
		Seconds: store.DurationBucket(int64((30*time.Hour + 7*time.Minute) / time.Second)), Count: 1}}; !slices.Equal(durs, want) {
		t.Fatalf("PermitDurations: got %+v, want %+v", durs, want)
	}
	if durs[0].Seconds != 30*3600 {
		t.Fatalf("30 h 7 min in bucket %d s, want 30 h (ten-minute buckets below two days)", durs[0].Seconds)
	}
}

// StatsSnapshot returns everything the StatsReader s counts in the year 2026 (China Standard
// Time), village by village, as sorted lines of text: two snapshots are equal when the
// statistics are. For comparing the summaries a migration computes with those the store kept.
func StatsSnapshot(tb testing.TB, s store.StatsReader) []string {
	tb.Helper()
	ctx := tb.Context()
	q := store.StatsQuery{From: time.Date(2026, 1, 1, 0, 0, 0, 0, division.Zone), To: time.Date(2027, 1, 1, 0, 0, 0, 0, division.Zone)}
	apps, err := s.ApplicationStats(ctx, q)
	if err != nil {
		tb.Fatal(err)
	}
	revs, err := s.ReviewStats(ctx, q)
	if err != nil {
		tb.Fatal(err)
	}
	durs, err := s.PermitDurations(ctx, q)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, x := range apps {
		out = append(out, fmt.Sprintf("application %+v", x))
	}
	for _, x := range revs {
		out = append(out, fmt.Sprintf("review %+v", x))
	}
	for _, x := range durs {
		out = append(out, fmt.Sprintf("duration %+v", x))
	}
	slices.Sort(out)
	return out
}
