package scan

import (
	"testing"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/policy"
)

// BenchmarkCompileItems: compiling every item's SQL for a new scan date (each iteration a
// new date, so nothing comes from the engine's cache), as a scan's first run of the day does.
func BenchmarkCompileItems(b *testing.B) {
	eng, err := policy.New(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	r := &Runner{Engine: eng}
	items := eng.Items()
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, division.Zone)
	for i := 0; b.Loop(); i++ {
		why := map[string]string{}
		c, err := r.compileAll(b.Context(), items, Options{Dialect: "sqlite", At: at.AddDate(0, 0, i)}, why)
		if err != nil || len(c.filters) == 0 {
			b.Fatalf("%v, %d filters", err, len(c.filters))
		}
	}
}
