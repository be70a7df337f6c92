package permitverify_test

import (
	"net/http"
	"testing"
	"time"

	"sanmian/sdk/permitverify"
)

func TestCacheAge(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	def := 5 * time.Minute
	for _, tc := range []struct {
		name string
		h    map[string]string
		want time.Duration
	}{
		{"none", nil, def},
		{"max_age", map[string]string{"Cache-Control": "public, max-age=120"}, 2 * time.Minute},
		{"max_age_less_age", map[string]string{"Cache-Control": "max-age=120", "Age": "100"}, 20 * time.Second},
		{"age_exceeds", map[string]string{"Cache-Control": "max-age=120", "Age": "500"}, 0},
		{"no_store", map[string]string{"Cache-Control": "no-store, max-age=120"}, 0},
		{"no_cache", map[string]string{"Cache-Control": "No-Cache"}, 0},
		{"capped", map[string]string{"Cache-Control": "max-age=999999999"}, 24 * time.Hour},
		{"expires", map[string]string{"Expires": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{"expires_with_date", map[string]string{"Expires": now.Add(90 * time.Second).Format(http.TimeFormat), "Date": now.Add(-30 * time.Second).Format(http.TimeFormat)}, 2 * time.Minute},
		{"expires_invalid", map[string]string{"Expires": "0"}, 0},
		{"max_age_beats_expires", map[string]string{"Cache-Control": "max-age=10", "Expires": now.Add(time.Hour).Format(http.TimeFormat)}, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.h {
				h.Set(k, v)
			}
			if got := permitverify.CacheAge(h, now, def); got != tc.want {
				t.Fatalf("cacheAge = %v, want %v", got, tc.want)
			}
		})
	}
}
