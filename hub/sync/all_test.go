package sync_test

import (
	"context"
	"errors"
	gosync "sync"
	"testing"

	"sanmian/connectors/sim/synth"
	"sanmian/hub/store"
	"sanmian/hub/store/storetest"
	hubsync "sanmian/hub/sync"
)

// recorder collects the progress reports of concurrent feeds.
type recorder struct {
	mu   gosync.Mutex
	last map[string]hubsync.Progress
}

func (r *recorder) report(p hubsync.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]hubsync.Progress{}
	}
	r.last[p.Feed] = p
}

func (r *recorder) get(feed string) hubsync.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[feed]
}

func counts(t *testing.T, st store.Store) store.FeedCounts {
	t.Helper()
	c, err := st.CountFeeds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSyncAllFeeds runs the sync conformance cases on both store backends: each feed killed
// midway resumes from its saved cursor without losing or duplicating rows, a replay changes
// nothing, deletes are applied and undone, and the rows carry the platforms' data.
func TestSyncAllFeeds(t *testing.T) {
	for _, be := range []struct {
		name string
		open func(t testing.TB) store.Store
	}{
		{"sqlite", openSQLite},
		{"postgres", func(t testing.TB) store.Store { return storetest.OpenPostgres(t) }},
	} {
		t.Run(be.name, func(t *testing.T) { testSyncAllFeeds(t, be.open(t)) })
	}
}

func testSyncAllFeeds(t *testing.T, st store.Store) {
	p, f := feeds(t, 1200, "")
	n := int64(len(p.Data.Persons))
	const size = 200

	// Each feed killed after its third page keeps exactly three pages and its cursor.
	type run func(ctx context.Context, progress func(hubsync.Progress)) error
	for _, tc := range []struct {
		name  string
		run   run
		count func(store.FeedCounts) int64
	}{
		{store.FeedDistrictResidents, func(ctx context.Context, pr func(hubsync.Progress)) error {
			return hubsync.District(ctx, f.District, st, pr, hubsync.WithPageSize(size))
		}, func(c store.FeedCounts) int64 { return c.Residents }},
		{store.FeedProvinceBackflow, func(ctx context.Context, pr func(hubsync.Progress)) error {
			return hubsync.Province(ctx, f.Province, st, pr, hubsync.WithPageSize(size))
		}, func(c store.FeedCounts) int64 { return c.Province }},
		{store.FeedCityEnrolments, func(ctx context.Context, pr func(hubsync.Progress)) error {
			return hubsync.City(ctx, f.City, st, pr, hubsync.WithPageSize(size))
		}, func(c store.FeedCounts) int64 { return c.City }},
	} {
		t.Run("killed_midway_"+tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			err := tc.run(ctx, func(pr hubsync.Progress) {
				if pr.Pages == 3 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if got := tc.count(counts(t, st)); got != 3*size {
				t.Fatalf("%d rows after the kill, want %d", got, 3*size)
			}
			if c, err := st.SyncCursor(t.Context(), tc.name); err != nil || c == "" {
				t.Fatalf("cursor after the kill = %q, %v", c, err)
			}
		})
	}

	// All three resume together and finish.
	var rec recorder
	if err := hubsync.All(t.Context(), f, st, rec.report, hubsync.WithPageSize(size)); err != nil {
		t.Fatal(err)
	}
	for _, feed := range []string{store.FeedDistrictResidents, store.FeedProvinceBackflow, store.FeedCityEnrolments} {
		if pr := rec.get(feed); !pr.Done || pr.Rows != n-3*size || pr.Deletes != 0 {
			t.Errorf("%s resumed: %+v, want done with %d rows", feed, pr, n-3*size)
		}
	}
	c := counts(t, st)
	if c.Residents != n || c.Province != n || c.City != n || c.ChildLinks == 0 {
		t.Fatalf("counts after resume = %+v, want %d rows per feed and child links", c, n)
	}

	// A second run finds nothing; replaying every feed from the beginning changes nothing.
	rec = recorder{}
	if err := hubsync.All(t.Context(), f, st, rec.report); err != nil {
		t.Fatal(err)
	}
	for _, feed := range []string{store.FeedDistrictResidents, store.FeedProvinceBackflow, store.FeedCityEnrolments} {
		if pr := rec.get(feed); !pr.Done || pr.Rows != 0 {
			t.Errorf("%s second run: %+v, want nothing applied", feed, pr)
		}
	}
	for _, run := range []func() error{
		func() error {
			return hubsync.District(t.Context(), f.District, st, nil, hubsync.WithFeedName("replay.d"))
		},
		func() error {
			return hubsync.Province(t.Context(), f.Province, st, nil, hubsync.WithFeedName("replay.p"))
		},
		func() error { return hubsync.City(t.Context(), f.City, st, nil, hubsync.WithFeedName("replay.c")) },
	} {
		if err := run(); err != nil {
			t.Fatal(err)
		}
	}
	if again := counts(t, st); again != c {
		t.Fatalf("counts after replay = %+v, want %+v", again, c)
	}

	checkData(t, p.Data, st)

	// A resident leaving the roll is deleted from every feed's table, and comes back.
	gone := p.Data.Persons[7].ID
	if _, err := p.RecordChange(gone, synth.OpDelete); err != nil {
		t.Fatal(err)
	}
	rec = recorder{}
	if err := hubsync.All(t.Context(), f, st, rec.report); err != nil {
		t.Fatal(err)
	}
	for _, feed := range []string{store.FeedDistrictResidents, store.FeedProvinceBackflow, store.FeedCityEnrolments} {
		if pr := rec.get(feed); pr.Deletes != 1 || pr.Rows != 0 {
			t.Errorf("%s after a delete: %+v, want one delete", feed, pr)
		}
	}
	for name, get := range map[string]func() error{
		"resident":  func() error { _, err := st.GetResident(t.Context(), gone); return err },
		"province":  func() error { _, err := st.GetProvinceFacts(t.Context(), gone); return err },
		"city":      func() error { _, err := st.GetCityEnrolment(t.Context(), gone); return err },
		"scan view": func() error { _, err := st.GetScanResident(t.Context(), gone); return err },
	} {
		if err := get(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after delete: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := p.RecordChange(gone, synth.OpUpsert); err != nil {
		t.Fatal(err)
	}
	if err := hubsync.All(t.Context(), f, st, nil); err != nil {
		t.Fatal(err)
	}
	if after := counts(t, st); after != c {
		t.Fatalf("counts after the resident came back = %+v, want %+v", after, c)
	}
}

// checkData compares the synced rows with the synthetic district they came from.
func checkData(t *testing.T, d *synth.District, st store.Store) {
	t.Helper()
	var deaths, disabled, honours, receiving, homesteads int
	for i := range d.Persons {
		per := &d.Persons[i]
		row, err := st.GetScanResident(t.Context(), per.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantHukou := map[bool]string{true: "agricultural", false: "non_agricultural"}[per.Agricultural]
		if row.HukouType != wantHukou {
			t.Fatalf("person %d: hukou %q, want %q", i, row.HukouType, wantHukou)
		}
		if row.Deceased != (per.Death != 0) {
			t.Fatalf("person %d: deceased %v, death %v", i, row.Deceased, per.Death)
		}
		if per.Death != 0 {
			deaths++
			if row.Province.DeathDate != per.Death.String() || (row.DeceasedSource != "province" && row.DeceasedSource != "both") {
				t.Fatalf("person %d: death %q from %q, want %s", i, row.Province.DeathDate, row.DeceasedSource, per.Death)
			}
		}
		if per.Disability != synth.NoDisability {
			disabled++
			if row.Province.DisabilityCategory != per.Disability.String() || row.Province.DisabilityGrade != int(per.DisabilityGrade) ||
				row.Province.DisabilityValidUntil != per.DisabilityValidUntil.String() || row.Province.DisabilityStatus == "" {
				t.Fatalf("person %d: disability %+v, want %s grade %d until %s", i, row.Province, per.Disability, per.DisabilityGrade, per.DisabilityValidUntil)
			}
		}
		if row.Province.OnlyChildHonour {
			honours++
		}
		if per.Pension == synth.PensionReceiving {
			receiving++
			if row.City.Pension != "receiving" || row.City.PensionMonthly != float64(per.PensionMonthly) {
				t.Fatalf("person %d: pension %+v", i, row.City)
			}
		}
		if h := d.Households[per.Household]; h.HomesteadM2 > 0 {
			homesteads++
			if row.HomesteadM2 <= 0 || row.LandMu < 0 {
				t.Fatalf("person %d: homestead %v, land %v", i, row.HomesteadM2, row.LandMu)
			}
		}
		if per.Mother >= 0 && per.Birth >= 19960101 {
			kids, err := st.ChildrenOf(t.Context(), d.Persons[per.Mother].ID)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, k := range kids {
				found = found || (k.ChildID == per.ID && k.Source == store.LinkBirthCertificate)
			}
			if !found {
				t.Fatalf("person %d: no birth-certificate link from the mother in %v", i, kids)
			}
		}
	}
	if deaths == 0 || disabled == 0 || honours == 0 || receiving == 0 || homesteads == 0 {
		t.Fatalf("the sample lacks cases: %d deaths, %d disabled, %d honours, %d receiving, %d homesteads", deaths, disabled, honours, receiving, homesteads)
	}
}

// TestSyncAllFeedsFlaky syncs every feed through platforms failing a fifth of their requests
// (5xx, 429 with Retry-After): the connectors' retries carry every page through.
func TestSyncAllFeedsFlaky(t *testing.T) {
	p, f := feeds(t, 600, "flaky")
	st := openSQLite(t)
	if err := hubsync.All(t.Context(), f, st, nil, hubsync.WithPageSize(100)); err != nil {
		t.Fatal(err)
	}
	n := int64(len(p.Data.Persons))
	if c := counts(t, st); c.Residents != n || c.Province != n || c.City != n {
		t.Fatalf("counts = %+v, want %d per feed", c, n)
	}
}
