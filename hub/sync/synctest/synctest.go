// Package synctest starts the simulated platforms with clients of their three bulk feeds, for
// the tests of hub/sync and of what runs on the synced data (hub/scan).
package synctest

import (
	"testing"
	"time"

	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/connectors/resilience"
	"sanmian/connectors/sim"
	hubsync "sanmian/hub/sync"
)

// Feeds starts the simulated platforms with cfg and returns them with clients of the district
// change feed, the province backflow and the city enrolment changes. Retries wait milliseconds,
// not seconds. Platforms and clients close when tb ends.
func Feeds(tb testing.TB, cfg sim.Config) (*sim.Platforms, hubsync.Feeds) {
	tb.Helper()
	p, err := sim.Start(tb.Context(), cfg)
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
