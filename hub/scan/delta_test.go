package scan_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/scan"
	"sanmian/hub/store"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

// savedFindings lists every saved finding as "kind item id village reasons".
func savedFindings(t testing.TB, st store.Store) []string {
	t.Helper()
	var out []string
	for _, kind := range []string{store.FindingCandidate, store.FindingAlert} {
		after := ""
		for {
			fs, next, err := st.ListScanFindings(t.Context(), store.FindingFilter{Kind: kind}, store.Page{After: after, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				out = append(out, strings.Join([]string{f.Kind, f.Item, f.IDNumber, f.Village, strings.Join(f.Reasons, ","), f.At}, " "))
			}
			if next == "" {
				break
			}
			after = next
		}
	}
	slices.Sort(out)
	return out
}

// change applies edits to the synced data through the feeds' store path (as a sync of those
// records would): roll edits, a death the province reports, a pension the city starts.
func change(t testing.TB, st store.Store, d *synth.District, k int) []string {
	t.Helper()
	ctx := t.Context()
	var touched []string
	for j := 0; j < k; j++ {
		p := &d.Persons[(j*7919+13)%len(d.Persons)]
		r, err := st.GetResident(ctx, p.ID)
		if err != nil {
			continue // left the roll
		}
		touched = append(touched, p.ID)
		cursor := "c" + strconv.Itoa(j)
		switch j % 5 {
		case 0: // turns 80 on the scan date
			r.BirthDate = "1946-12-06"
			must(t, st.ApplySnapshot(ctx, "test.edits", []store.Resident{r}, cursor))
		case 1: // moves into another household (both households change)
			q := &d.Persons[(j*104729+7)%len(d.Persons)]
			if o, err := st.GetResident(ctx, q.ID); err == nil && o.HouseholdID != "" {
				r.HouseholdID, r.Village, r.Relation = o.HouseholdID, o.Village, "other"
			}
			must(t, st.ApplySnapshot(ctx, "test.edits", []store.Resident{r}, cursor))
		case 2: // the province records the death
			pf, err := st.GetProvinceFacts(ctx, p.ID)
			if err != nil {
				pf = store.ProvinceFacts{IDNumber: p.ID}
			}
			pf.Deceased, pf.DeathDate = true, "2026-11-01"
			must(t, st.ApplyProvinceFacts(ctx, "test.edits.p", []store.ProvinceFacts{pf}, cursor))
		case 3: // the city starts paying the pension
			must(t, st.ApplyCityEnrolments(ctx, "test.edits.c", []store.CityEnrolment{{IDNumber: p.ID, Pension: "receiving",
				PensionSince: "2026-01-01", PensionMonthly: 200, Medical: "enrolled", MedicalYear: 2026}}, cursor))
		case 4: // enrolled on the dibao roll and in the elderly allowance
			r.Dibao, r.Enrolled = true, append(r.Enrolled, "elderly_allowance")
			must(t, st.ApplySnapshot(ctx, "test.edits", []store.Resident{r}, cursor))
		}
	}
	return touched
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// syncedDistrict starts the simulated platforms with a district of n residents (seed 5) and
// syncs every feed into a new store.
func syncedDistrict(t *testing.T, open func(testing.TB) store.Store, n int) (*sim.Platforms, hubsync.Feeds, store.Store) {
	t.Helper()
	p, feeds := synctest.Feeds(t, sim.Config{Residents: n, Seed: 5})
	st := open(t)
	must(t, hubsync.All(t.Context(), feeds, st, nil))
	return p, feeds, st
}

// scanAndSave runs a scan of every item over the district on 2026-12-06 with reasons (a
// delta scan with delta) and saves it.
func scanAndSave(t *testing.T, r *scan.Runner, st store.Store, dialect string, delta bool) *scan.Report {
	t.Helper()
	rep, err := r.Run(t.Context(), scan.Options{At: day("2026-12-06"), Dialect: dialect, Reasons: true, Delta: delta})
	must(t, err)
	must(t, scan.Save(t.Context(), st, "", rep))
	return rep
}

// TestDeltaScanMatchesFullScan: after a saved full scan, residents leave the roll (a sync of
// the district's deletes) and others' facts change in every feed; a delta scan rescans only
// the residents marked changed, and the findings it saves merged with the previous ones equal
// what a full scan saves, on both backends. A second delta without changes evaluates nobody.
func TestDeltaScanMatchesFullScan(t *testing.T) {
	const n = 1500
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			p, feeds, st := syncedDistrict(t, be.open, n)
			r := &scan.Runner{Engine: eng, Store: st}
			run := func(delta bool) *scan.Report {
				t.Helper()
				return scanAndSave(t, r, st, be.dialect, delta)
			}
			if rep := run(true); rep.Delta != nil || rep.Residents != n {
				t.Fatalf("delta without a saved scan: %+v, want a full scan", rep.Delta)
			}
			for _, i := range []int{3, 40, 41, 700} { // leave the roll (and the other feeds)
				if _, err := p.RecordChange(p.Data.Persons[i].ID, synth.OpDelete); err != nil {
					t.Fatal(err)
				}
			}
			must(t, hubsync.All(t.Context(), feeds, st, nil))
			touched := change(t, st, p.Data, 60)

			rep := run(true)
			if rep.Delta == nil || rep.Delta.Changed < len(touched)+4 || rep.Residents >= n/2 || rep.Residents < len(touched) {
				t.Fatalf("delta: %+v, %d residents evaluated; want the %d changed and their households", rep.Delta, rep.Residents, len(touched)+4)
			}
			got := savedFindings(t, st)
			run(false)
			want := savedFindings(t, st)
			if !slices.Equal(got, want) {
				for _, f := range want {
					if !slices.Contains(got, f) {
						t.Errorf("full scan only: %s", f)
					}
				}
				for _, f := range got {
					if !slices.Contains(want, f) {
						t.Errorf("delta only: %s", f)
					}
				}
				t.Fatalf("delta findings (%d) differ from the full scan's (%d)", len(got), len(want))
			}
			if again := run(true); again.Delta == nil || again.Residents != 0 || again.Delta.Changed != 0 {
				t.Fatalf("delta without changes: %+v, %d residents", again.Delta, again.Residents)
			}
		})
	}
}

// lateMarks is a store on which a sync lands (late, once) right after a delta scan has read
// the residents marked changed, before it reads their rows.
type lateMarks struct {
	store.Store
	late func()
}

func (l *lateMarks) ChangedSince(ctx context.Context, seq int64) ([]string, error) {
	ids, err := l.Store.ChangedSince(ctx, seq)
	if l.late != nil {
		l.late()
		l.late = nil
	}
	return ids, err
}

// TestDeltaScanWhileASyncLands: a delta scan evaluates exactly the residents it read as
// changed. Those a sync marks after that read (here deaths, moves and roll edits of 60 more
// residents, whose households become funeral-subsidy candidates) are neither evaluated nor
// saved by it, and its save succeeds; the next delta scan takes them, and the findings then
// equal a full scan's. Before, the scan also evaluated the residents marked meanwhile and its
// save refused their findings (not among the residents it replaced).
func TestDeltaScanWhileASyncLands(t *testing.T) {
	const n = 1500
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			p, _, st := syncedDistrict(t, be.open, n)
			ls := &lateMarks{Store: st}
			r := &scan.Runner{Engine: eng, Store: ls}
			run := func(delta bool) *scan.Report {
				t.Helper()
				return scanAndSave(t, r, st, be.dialect, delta)
			}
			run(false)
			first := change(t, st, p.Data, 30)
			before, err := st.ChangedSince(t.Context(), 0)
			must(t, err)
			var late []string
			ls.late = func() { late = change(t, st, p.Data, 90)[len(first):] }
			rep := run(true)
			if rep.Delta == nil || rep.Delta.Changed != len(before) {
				t.Fatalf("delta: %+v, want the %d residents marked before it read them", rep.Delta, len(before))
			}
			if len(late) == 0 {
				t.Fatal("no late changes")
			}
			next := run(true)
			if next.Delta == nil || next.Delta.Changed < len(late) {
				t.Fatalf("the next delta: %+v, want at least the %d residents changed late", next.Delta, len(late))
			}
			got := savedFindings(t, st)
			run(false)
			if want := savedFindings(t, st); !slices.Equal(got, want) {
				t.Fatalf("findings after the two deltas (%d) differ from the full scan's (%d)", len(got), len(want))
			}
		})
	}
}

// BenchmarkDeltaScan: a district of SANMIAN_BENCH_RESIDENTS residents (default 100,000)
// synced into SQLite, the scan baseline set, then 1,000 residents' facts changed through the
// feeds' store path; each iteration is one delta scan of every item with its save (the
// changes are marked again before each).
func BenchmarkDeltaScan(b *testing.B) {
	n := 100_000
	if s := os.Getenv("SANMIAN_BENCH_RESIDENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	p, feeds := synctest.Feeds(b, sim.Config{Residents: n, Seed: 5})
	st := backends[0].open(b)
	t0 := time.Now()
	must(b, hubsync.All(b.Context(), feeds, st, nil))
	b.Logf("synced %d residents in %s", n, time.Since(t0).Round(time.Millisecond))
	r := &scan.Runner{Engine: engine(b), Store: st}
	at := day("2026-12-06")
	for _, item := range []string{"", "elderly_allowance"} { // every item; one compiled to SQL
		name := "all_items"
		if item != "" {
			name = item
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				seq, err := st.BeginScanTracking(b.Context())
				must(b, err)
				must(b, st.SetScanBaseline(b.Context(), seq))
				touched := change(b, st, p.Data, 1000)
				cpu0 := cpuTime(b)
				b.StartTimer()
				rep, err := r.Run(b.Context(), scan.Options{Item: item, At: at, Dialect: "sqlite", Reasons: true, Delta: true})
				must(b, err)
				must(b, scan.Save(b.Context(), st, "", rep))
				b.StopTimer()
				b.ReportMetric(float64(rep.Residents), "residents/op")
				// The machine is shared: the process's CPU time is the steadier measure.
				b.ReportMetric(float64((cpuTime(b) - cpu0).Milliseconds()), "cpu-ms/op")
				if rep.Delta == nil || rep.Delta.Changed < len(touched) {
					b.Fatalf("delta %+v after %d changes", rep.Delta, len(touched))
				}
				b.StartTimer()
			}
		})
	}
}
