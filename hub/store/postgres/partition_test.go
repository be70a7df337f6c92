package postgres_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"sanmian/hub/store/storetest"
)

// TestTownScanReadsOnePartition checks that the resident roll is partitioned by town: a scan
// of one town over the scan_residents view reads that town's partition only, and residents
// of every town (and of codes outside the district's towns) land in their own partition.
func TestTownScanReadsOnePartition(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	rows := storetest.Residents(1, 200)
	for i := range rows[:10] {
		rows[i].Village = "370114101201" // a town (镇), not a subdistrict
	}
	if err := s.ApplySnapshot(ctx, "district", rows, "c"); err != nil {
		t.Fatal(err)
	}
	db := s.SQLDB()
	for _, tc := range []struct {
		name, town, partition string
	}{
		{"subdistrict", "370114001", "residents_t370114001"},
		{"town", "370114101", "residents_t370114101"},
		{"outside_the_towns", "370114017", "residents_tother"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := db.QueryContext(ctx, `EXPLAIN SELECT count(*) FROM scan_residents WHERE town = $1 AND deceased = FALSE`, tc.town)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			scanned := slices.Compact(slices.Sorted(slices.Values(regexp.MustCompile(`residents_t[0-9a-z]+`).FindAllString(strings.Join(plan, "\n"), -1))))
			if !slices.Equal(scanned, []string{tc.partition}) {
				t.Fatalf("partitions scanned = %v, want [%s]\n%s", scanned, tc.partition, strings.Join(plan, "\n"))
			}
			var n, inPartition int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM residents WHERE town = $1`, tc.town).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+tc.partition+` WHERE town = $1`, tc.town).Scan(&inPartition); err != nil {
				t.Fatal(err)
			}
			if n == 0 || n != inPartition {
				t.Fatalf("town %s: %d residents, %d in %s", tc.town, n, inPartition, tc.partition)
			}
		})
	}
}
