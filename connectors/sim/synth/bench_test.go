package synth

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapPeak samples the live heap until stop is called and returns the largest value seen.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// shapeTable renders the main shares of a district for a benchmark log.
func shapeTable(s Stats) string {
	var b strings.Builder
	pct := func(n, d int) string { return fmt.Sprintf("%6.2f%%", 100*float64(n)/float64(max(d, 1))) }
	fmt.Fprintf(&b, "\n%-34s %10d\n%-34s %10d (%.2f per household)\n", "residents", s.Residents,
		"households", s.Households, float64(s.Living)/float64(s.Households))
	for _, r := range []struct {
		name string
		n, d int
	}{
		{"aged 60+", s.Aged60Plus, s.Living}, {"aged 80+", s.Aged80Plus, s.Living},
		{"aged 90+", s.Aged90Plus, s.Living}, {"aged 100+", s.Aged100Plus, s.Living},
		{"aged 0-15", s.AgeBands[0].Count, s.Living}, {"male", s.Male, s.Living},
		{"agricultural hukou", s.Agricultural, s.Living}, {"disabled", s.Disabled, s.Living},
		{"  of them grade 1-2", s.DisabledByGrade[1] + s.DisabledByGrade[2], s.Disabled},
		{"dibao households", s.DibaoHouseholds, s.Households}, {"tekun", s.Tekun, s.Living},
		{"died in the last 12 months", s.DeceasedLastYear, s.Residents},
		{"one-person households", s.HouseholdSizes[1], s.Households},
	} {
		fmt.Fprintf(&b, "%-34s %10d %s\n", r.name, r.n, pct(r.n, r.d))
	}
	for _, k := range InconsistencyKinds {
		fmt.Fprintf(&b, "%-34s %10d %s\n", "inconsistency "+k, s.Inconsistencies[k], pct(s.Inconsistencies[k], s.Residents))
	}
	fmt.Fprintf(&b, "%-34s %10s %10s %10s %8s\n", "program", "eligible", "enrolled", "not enr.", "enr.!el")
	for _, p := range s.Programs {
		fmt.Fprintf(&b, "%-34s %10d %10d %10d %8d\n", p.Code, p.Eligible, p.Enrolled, p.EligibleNotEnrolled, p.EnrolledNotEligible)
	}
	return b.String()
}

func benchmarkGenerate(b *testing.B, residents int) {
	var d *District
	var peak uint64
	for b.Loop() {
		d = nil
		runtime.GC()
		stop := heapPeak()
		var err error
		d, err = Generate(Config{Residents: residents, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, stop())
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-heap-after-GC")
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-peak")
	if residents >= FullDistrictResidents {
		b.Logf("GOMAXPROCS=%d%s", runtime.GOMAXPROCS(0), shapeTable(d.Stats()))
	}
	runtime.KeepAlive(d)
}

// BenchmarkGenerateDefault builds the demo district.
func BenchmarkGenerateDefault(b *testing.B) { benchmarkGenerate(b, DefaultResidents) }

// BenchmarkGenerateFullDistrict builds all 1,075,784 residents and reports the heap held by
// the District (indexes included) after a GC and the peak heap seen while generating; its
// log prints the shape of the district.
func BenchmarkGenerateFullDistrict(b *testing.B) { benchmarkGenerate(b, FullDistrictResidents) }

// BenchmarkLicences derives the licences of every resident of the demo district.
func BenchmarkLicences(b *testing.B) {
	d, err := Generate(Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for i := range d.Persons {
			_ = d.Licences(int32(i))
		}
	}
}
