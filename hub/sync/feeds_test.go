package sync_test

import (
	"path/filepath"
	"testing"
	"time"

	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	hubsync "sanmian/hub/sync"
)

// feeds starts the simulated platforms with n residents and returns them with the three
// feed clients.
func feeds(tb testing.TB, n int, faults string) (*sim.Platforms, hubsync.Feeds) {
	tb.Helper()
	p, err := sim.Start(tb.Context(), sim.Config{Residents: n, Seed: 11, Faults: faults})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	rc := resilience.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond, RetryAfterMax: 10 * time.Millisecond, AttemptTimeout: time.Minute}
	dc, err := district.New(district.Config{BaseURL: p.District.URL(), APIKey: p.Credentials.DistrictAPIKey, Resilience: rc})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(dc.Close)
	pc, err := province.New(province.Config{BaseURL: p.Province.URL(), AppKey: p.Credentials.ProvinceAppKey, Secret: p.Credentials.ProvinceSecret, Resilience: rc})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pc.Close)
	cc, err := city.New(city.Config{BaseURL: p.City.URL(), ClientID: p.Credentials.CityClientID, ClientSecret: p.Credentials.CityClientSecret, Resilience: rc})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cc.Close)
	return p, hubsync.Feeds{District: dc, Province: pc, City: cc}
}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "hub.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkSyncAll syncs the three feeds of a 100,000-resident district into a fresh SQLite
// file per iteration.
func BenchmarkSyncAll(b *testing.B) {
	_, f := feeds(b, 100_000, "")
	for b.Loop() {
		st := openSQLite(b)
		done := map[string]hubsync.Progress{}
		if err := hubsync.All(b.Context(), f, st, func(p hubsync.Progress) {
			if p.Done {
				done[p.Feed] = p
			}
		}); err != nil {
			b.Fatal(err)
		}
		for name, p := range done {
			b.Logf("%s: %d rows in %v", name, p.Rows, p.Elapsed)
		}
	}
}
