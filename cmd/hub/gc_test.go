package main

import (
	"runtime/debug"
	"testing"
)

// TestSetGC: a batch command runs at GOGC=300 under a soft limit of half the machine's memory,
// a server at GOGC=400 under 1 GiB, and a setting the environment makes is left alone.
func TestSetGC(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })
	mem := batchMemoryLimit()
	if mem <= 0 {
		t.Fatal("the machine's memory could not be read from /proc/meminfo")
	}
	for _, tc := range []struct {
		name                   string
		batch, gogcSet, limSet bool
		wantGC                 int
		wantLimit              int64
	}{
		{"server", false, false, false, defaultGCPercent, defaultMemoryLimit},
		{"batch", true, false, false, batchGCPercent, mem},
		{"batch_with_GOGC", true, true, false, 100, mem},
		{"batch_with_GOMEMLIMIT", true, false, true, batchGCPercent, 1 << 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(1 << 40)
			setGC(tc.batch, tc.gogcSet, tc.limSet)
			if got := debug.SetGCPercent(100); got != tc.wantGC {
				t.Errorf("GOGC %d, want %d", got, tc.wantGC)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("soft limit %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
