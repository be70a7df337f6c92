package sqlite_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"sanmian/hub/store"
	"sanmian/hub/store/storetest"
)

func TestZZStatsProbe(t *testing.T) {
	path := os.Getenv("STATS_PROBE_DB")
	if path == "" {
		t.Skip()
	}
	_, err := os.Stat(path)
	fresh := err != nil
	s := openAt(t, path)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if fresh {
		if _, err := storetest.GenerateActivity(t.Context(), s, 210000, start); err != nil {
			t.Fatal(err)
		}
	}
	q := store.StatsQuery{DivisionPrefix: "370114", From: start, To: start.AddDate(1, 0, 0)}
	for i := 0; i < 2; i++ {
		var ru0, ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		t0 := time.Now()
		a, err := s.ApplicationStats(t.Context(), q)
		t1 := time.Now()
		r, err2 := s.ReviewStats(t.Context(), q)
		t2 := time.Now()
		d, err3 := s.PermitDurations(t.Context(), q)
		t3 := time.Now()
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		t.Log("cpu", cpu, "wall", t3.Sub(t0), len(a), err, t1.Sub(t0), len(r), err2, t2.Sub(t1), len(d), err3, t3.Sub(t2))
	}
}
