package scan

import (
	"fmt"
	"testing"
	"time"

	"sanmian/hub/policy"
	"sanmian/hub/store"
)

// BenchmarkCrossCheck measures the supervision cross checks alone over a district-sized
// roll held in memory (1,075,784 residents in households of four, each on a few rolls, the
// household items enrolled on the head), with the embedded catalogue's conflicts.
func BenchmarkCrossCheck(b *testing.B) {
	eng, err := policy.New(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	const n = 1075784
	d := &data{index: make(map[string]int, n), households: map[string][]int{}}
	for i := range n {
		id := fmt.Sprintf("370114%012d", i)
		h := fmt.Sprintf("H%d", i/4)
		rel := "spouse"
		enrolled := []string{"senior_card"}
		if i%4 == 0 {
			rel = "head"
			enrolled = append(enrolled, "farmland_protection_subsidy")
		}
		if i%97 == 0 {
			enrolled = append(enrolled, "extreme_poverty_support", "minimum_living_allowance")
		}
		if i%401 == 1 {
			enrolled = append(enrolled, "farmland_protection_subsidy")
		}
		d.index[id] = len(d.rows)
		d.households[h] = append(d.households[h], len(d.rows))
		d.rows = append(d.rows, row{ScanResident: store.ScanResident{Resident: store.Resident{IDNumber: id, Village: "370114001201", HouseholdID: h, Relation: rel}}, enrolled: enrolled})
	}
	var items []ItemResult
	for _, it := range eng.Items() {
		if it.Proactive {
			items = append(items, ItemResult{Item: it.Code})
		}
	}
	r := &Runner{Engine: eng}
	b.ResetTimer()
	for b.Loop() {
		rep := &Report{Items: append([]ItemResult(nil), items...)}
		t := time.Now()
		r.crossCheck(d, rep)
		c, dbl := 0, 0
		for _, it := range rep.Items {
			c, dbl = c+it.Conflicts, dbl+it.Doubles
		}
		b.ReportMetric(float64(time.Since(t).Milliseconds()), "ms/district")
		b.ReportMetric(float64(c), "conflicts")
		b.ReportMetric(float64(dbl), "doubles")
	}
}
