package service

import (
	"errors"
	"testing"
	"time"

	"sanmian/hub/division"
)

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
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.s, tc.p); got != tc.want {
				t.Fatalf("percentile(%v, %v) = %v, want %v", tc.s, tc.p, got, tc.want)
			}
		})
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
			if g := f.In(chinaTime).Format("2006-01-02"); g != tc.wantFrom {
				t.Errorf("from %s, want %s", g, tc.wantFrom)
			}
			if g := to.In(chinaTime).Format("2006-01-02"); g != tc.wantTo {
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
		{"roll_up_district", division.LevelDistrict, division.DistrictCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rollUp(v.Code, tc.by); got != tc.want {
				t.Fatalf("rollUp(%s, %v) = %s, want %s", v.Code, tc.by, got, tc.want)
			}
		})
	}
}
