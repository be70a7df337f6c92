package service

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/store"
)

// hist builds the ascending histogram of s and its count.
func hist(s []int64) ([]store.DurationStat, int64) {
	m := map[int64]int64{}
	for _, v := range s {
		m[v]++
	}
	return sortedHist(m), int64(len(s))
}

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    []int64
		p    float64
		want float64
	}{
		{"percentile_empty_is_zero", nil, 0.5, 0},
		{"percentile_single", []int64{7}, 0.9, 7},
		{"percentile_median_even_interpolates", []int64{1, 2, 3, 4}, 0.5, 2.5},
		{"percentile_median_odd", []int64{1, 5, 9}, 0.5, 5},
		{"percentile_p90_interpolates", []int64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 0.9, 90},
		{"percentile_p90_between_ranks", []int64{10, 20}, 0.9, 19},
		{"percentile_repeated_values_in_one_bucket", []int64{5, 5, 5, 10}, 0.5, 5},
		{"percentile_between_buckets", []int64{5, 5, 10, 10}, 0.5, 7.5},
		{"percentile_p90_in_last_bucket", []int64{1, 100, 100, 100, 100, 100, 100, 100, 100, 100}, 0.9, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, n := hist(tc.s)
			if got := percentile(h, n, tc.p); got != tc.want {
				t.Fatalf("percentile(%v, %v) = %v, want %v", tc.s, tc.p, got, tc.want)
			}
		})
	}
}

// TestPercentileMatchesSortedValues compares the histogram percentile with percentile_cont over
// the sorted values themselves, on random durations with many repeats.
func TestPercentileMatchesSortedValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		s := make([]int64, 1+r.IntN(300))
		for i := range s {
			s[i] = store.DurationBucket(r.Int64N(10 * 86400))
		}
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		h, n := hist(s)
		for _, p := range []float64{0, 0.1, 0.5, 0.9, 1} {
			pos := p * float64(len(sorted)-1)
			lo := int(math.Floor(pos))
			want := float64(sorted[lo]) + (pos-float64(lo))*float64(sorted[min(lo+1, len(sorted)-1)]-sorted[lo])
			if got := percentile(h, n, p); math.Abs(got-want) > 1e-6 {
				t.Fatalf("p%v of %d values: %v, want %v", p, len(s), got, want)
			}
		}
	}
}

func TestMonthRange(t *testing.T) {
	now := time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC) // 2026-07-01 01:00 in China
	for _, tc := range []struct {
		name, from, to     string
		wantFrom, wantTo   string // in China Standard Time, YYYY-MM-DD
		wantInvalidOnField string
	}{
		{"month_range_defaults_to_last_twelve_months_in_china", "", "", "2025-08-01", "2026-08-01", ""},
		{"month_range_inclusive", "2026-01", "2026-12", "2026-01-01", "2027-01-01", ""},
		{"month_range_single_month", "2026-03", "2026-03", "2026-03-01", "2026-04-01", ""},
		{"month_range_bad_month", "2026-13", "", "", "", "from"},
		{"month_range_bad_to", "", "26-01", "", "", "to"},
		{"month_range_reversed", "2026-06", "2026-01", "", "", "from"},
		{"month_range_too_long", "2020-01", "2026-12", "", "", "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, to, err := monthRange(tc.from, tc.to, now)
			if tc.wantInvalidOnField != "" {
				var ie *InvalidError
				if !errors.As(err, &ie) || ie.Field != tc.wantInvalidOnField {
					t.Fatalf("err %v, want an InvalidError on %s", err, tc.wantInvalidOnField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := f.In(division.Zone).Format("2006-01-02"); g != tc.wantFrom {
				t.Errorf("from %s, want %s", g, tc.wantFrom)
			}
			if g := to.In(division.Zone).Format("2006-01-02"); g != tc.wantTo {
				t.Errorf("to %s, want %s", g, tc.wantTo)
			}
		})
	}
}

func TestRollUp(t *testing.T) {
	v := division.Villages()[3]
	wa, _ := division.WorkAreaOf(v.Code)
	for _, tc := range []struct {
		name string
		by   division.Level
		want string
	}{
		{"roll_up_village_keeps_it", division.LevelVillage, v.Code},
		{"roll_up_work_area", division.LevelWorkArea, wa.Code},
		{"roll_up_town", division.LevelTown, v.Town},
		{"roll_up_town_from_the_towns_digits", division.LevelTown, v.Town},
		{"roll_up_district", division.LevelDistrict, division.DistrictCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := v.Code
			if strings.HasSuffix(tc.name, "_from_the_towns_digits") {
				code = code[:9] // what the store returns when it adds up a town's villages
			}
			if got := rollUp(code, tc.by); got != tc.want {
				t.Fatalf("rollUp(%s, %v) = %s, want %s", code, tc.by, got, tc.want)
			}
		})
	}
}
