package scan_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/policy"
	"sanmian/hub/scan"
	"sanmian/hub/store"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
	"sanmian/policies"
)

// CandidateAge75 writes a candidate bundle into a new directory: the live bundle with the
// elderly allowance's minimum age (and its first tier) lowered from 80 to 75, a new revision,
// and the elderly tests that pin the age of 80 left out (a real candidate would change them).
func candidateAge75(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(policies.Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "elderly_test.rego" {
			return err
		}
		b, err := fs.ReadFile(policies.Bundle, path)
		if err != nil {
			return err
		}
		s := string(b)
		switch path {
		case "data.yaml":
			old := "        params:\n          min_age: 80\n"
			if strings.Count(s, old) != 1 {
				t.Fatalf("data.yaml: the elderly allowance's min_age: 80 is not where the test expects it")
			}
			s = strings.Replace(s, old, "        params:\n          min_age: 75\n", 1)
			s = strings.Replace(s, `{tier: "80-89", min_age: 80,`, `{tier: "75-89", min_age: 75,`, 1)
		case ".manifest":
			s = strings.Replace(s, `"revision": "`, `"revision": "candidate-75-`, 1)
		}
		return os.WriteFile(filepath.Join(dir, path), []byte(s), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// ageOn is the age in whole years on the date at (a person turns n on the n-th birthday).
func ageOn(birth string, at time.Time) (int, bool) {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return 0, false
	}
	y, m, d := at.Date()
	age := y - b.Year()
	if m < b.Month() || (m == b.Month() && d < b.Day()) {
		age--
	}
	return age, true
}

// TestWhatIfElderlyAge75 is the acceptance test of the what-if: on a synced generated
// district, a candidate that lowers the elderly allowance's age from 80 to 75 reports as
// gains exactly the residents aged 75-79 on the scan date who are alive, not enrolled and
// otherwise eligible (computed here from the synced rows), per village, and no losses;
// enrolled residents under 80 (alerts under the live policy) are reported cleared. The live
// engine's revision does not change: decisions taken during and after the run carry it.
// age75OnEachBackend runs fn on each backend with a generated district of 1,500 residents
// synced, the live engine and the candidate that lowers the elderly allowance's age to 75,
// and the scan date.
func age75OnEachBackend(t *testing.T, fn func(t *testing.T, dialect string, st store.Store, live, cand *policy.Engine, at time.Time)) {
	_, feeds := synctest.Feeds(t, sim.Config{Residents: 1500, Seed: 5})
	live := engine(t)
	cand, err := policy.New(t.Context(), policy.FromDir(candidateAge75(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			if err := hubsync.All(t.Context(), feeds, st, nil); err != nil {
				t.Fatal(err)
			}
			fn(t, be.dialect, st, live, cand, day("2026-12-06"))
		})
	}
}

func TestWhatIfElderlyAge75(t *testing.T) {
	age75OnEachBackend(t, func(t *testing.T, dialect string, st store.Store, live, cand *policy.Engine, at time.Time) {
		// The expected sets, from the synced rows: alive on both platforms, the province
		// record synced, a birth date; by age and enrolment.
		wantGain, wantLive, wantCleared := map[string]string{}, map[string]bool{}, map[string]bool{}
		var anyRow *store.ScanResident
		err := st.EachScanResident(t.Context(), "", func(r *store.ScanResident, enrolled []string) error {
			age, ok := ageOn(r.BirthDate, at.In(cst))
			if !ok || !r.ProvinceSynced || r.Deceased {
				return nil
			}
			on := slices.Contains(enrolled, "elderly_allowance")
			switch {
			case age >= 75 && age <= 79 && !on:
				wantGain[r.IDNumber] = r.Village
			case age >= 75 && age <= 79 && on:
				wantCleared[r.IDNumber] = true
			case age >= 80 && !on:
				wantLive[r.IDNumber] = true
			}
			if anyRow == nil {
				c := *r
				anyRow = &c
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(wantGain) == 0 || len(wantLive) == 0 {
			t.Fatalf("the generated district has %d residents aged 75-79 and %d aged 80+ to gain or keep; the test needs both", len(wantGain), len(wantLive))
		}

		r := &scan.Runner{Engine: live, Store: st}
		// Decisions during the run: the live engine keeps deciding on its own revision.
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		var during []string
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				d, err := live.Decide(ctx, "senior_card", decideEvidence(), at)
				if err != nil {
					if !errors.Is(err, context.Canceled) && ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				during = append(during, d.Revision)
				time.Sleep(5 * time.Millisecond)
			}
		}()
		rep, err := r.WhatIf(t.Context(), cand, scan.Options{At: at, Dialect: dialect})
		stop()
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if rep.LiveRevision != live.Revision() || rep.CandidateRevision != cand.Revision() || rep.LiveRevision == rep.CandidateRevision {
			t.Fatalf("revisions live %q candidate %q", rep.LiveRevision, rep.CandidateRevision)
		}
		gotGain, perVillage := map[string]string{}, map[string]int{}
		for _, ch := range rep.Changes {
			if ch.Item != "elderly_allowance" {
				t.Errorf("change on item %s: %+v; only the elderly allowance changed", ch.Item, ch)
				continue
			}
			if ch.ID != ident.MaskIDNumber(ch.IDNumber()) || strings.Contains(ch.ID, ch.IDNumber()) {
				t.Errorf("change shows %q, not the masked ID", ch.ID)
			}
			switch ch.Change {
			case scan.Gain:
				gotGain[ch.IDNumber()] = ch.Village
				perVillage[ch.Village]++
				if ch.Enrolled || !slices.Contains(ch.Reasons, "age_below_min") || ch.Rule == "" {
					t.Errorf("gain %s: enrolled %v reasons %v rule %q, want age_below_min with its rule", ch.ID, ch.Enrolled, ch.Reasons, ch.Rule)
				}
			case scan.Cleared:
				if !wantCleared[ch.IDNumber()] || !ch.Enrolled {
					t.Errorf("cleared %s: not an enrolled resident aged 75-79", ch.ID)
				}
			default:
				t.Errorf("%s %s: want no losses", ch.Change, ch.ID)
			}
		}
		for id, v := range wantGain {
			if gotGain[id] != v {
				t.Errorf("resident %s (village %s) aged 75-79 not reported as a gain", ident.MaskIDNumber(id), v)
			}
		}
		for id := range gotGain {
			if _, ok := wantGain[id]; !ok {
				t.Errorf("gain %s is not a resident aged 75-79, alive and not enrolled", ident.MaskIDNumber(id))
			}
		}
		wantVillage := map[string]int{}
		for _, v := range wantGain {
			wantVillage[v]++
		}
		for _, v := range rep.Villages {
			if v.Gains != wantVillage[v.Village] || v.Losses != 0 {
				t.Errorf("village %s: %d gains %d losses, want %d and 0", v.Village, v.Gains, v.Losses, wantVillage[v.Village])
			}
			delete(wantVillage, v.Village)
		}
		for v, k := range wantVillage {
			if k > 0 {
				t.Errorf("village %s with %d gains missing from the per-village table", v, k)
			}
		}
		if rep.Gains != len(wantGain) || rep.Losses != 0 {
			t.Errorf("totals: %d gains %d losses, want %d and 0", rep.Gains, rep.Losses, len(wantGain))
		}
		for _, it := range rep.Items {
			if it.Item == "elderly_allowance" && (it.LiveCandidates != len(wantLive) || it.CandidateCandidates != len(wantLive)+len(wantGain)) {
				t.Errorf("elderly allowance candidates live %d candidate %d, want %d and %d", it.LiveCandidates, it.CandidateCandidates, len(wantLive), len(wantLive)+len(wantGain))
			}
		}
		// After: the live engine still serves its revision.
		d, err := live.Decide(t.Context(), "senior_card", decideEvidence(), at)
		if err != nil {
			t.Fatal(err)
		}
		during = append(during, d.Revision)
		for _, rev := range during {
			if rev != rep.LiveRevision {
				t.Fatalf("a live decision carried revision %q, want %q", rev, rep.LiveRevision)
			}
		}
		t.Logf("%s: %d gains, %d cleared, %d villages, %d live decisions during the run, %d ms", dialect, rep.Gains, rep.Cleared, len(rep.Villages), len(during)-1, rep.ElapsedMS)
	})
}

// TestWhatIfOnePassMatchesDecisions: for a compiled item the what-if is one pass of the store
// with both policies' filters, the changes of residents not on the roll explained by the
// pass's values. Evaluated per resident in Go instead (no SQL dialect), every change explained
// by two decisions, it reports the same changes with the same reasons and rules: lowering the
// age (gains, and enrolled residents aged 75-79 cleared) and raising it back (losses).
func TestWhatIfOnePassMatchesDecisions(t *testing.T) {
	age75OnEachBackend(t, func(t *testing.T, dialect string, st store.Store, live, cand *policy.Engine, at time.Time) {
		for _, dir := range []struct {
			name     string
			from, to *policy.Engine
			kind     string
		}{{"lower", live, cand, scan.Gain}, {"raise", cand, live, scan.Loss}} {
			r := &scan.Runner{Engine: dir.from, Store: st}
			var log strings.Builder
			got, err := r.WhatIf(t.Context(), dir.to, scan.Options{At: at, Dialect: dialect, Item: "elderly_allowance", Progress: &log})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "and candidate") {
				t.Fatalf("%s: the what-if did not run as one pass:\n%s", dir.name, log.String())
			}
			want, err := r.WhatIf(t.Context(), dir.to, scan.Options{At: at, Item: "elderly_allowance"})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, ch := range got.Changes {
				kinds[ch.Change]++
			}
			if kinds[dir.kind] == 0 {
				t.Fatalf("%s: no %s to compare (%v)", dir.name, dir.kind, kinds)
			}
			if len(got.Changes) != len(want.Changes) || got.Gains != want.Gains || got.Losses != want.Losses || got.Cleared != want.Cleared {
				t.Fatalf("%s: one pass %d changes (%d/%d/%d), per resident %d (%d/%d/%d)", dir.name, len(got.Changes), got.Gains, got.Losses, got.Cleared,
					len(want.Changes), want.Gains, want.Losses, want.Cleared)
			}
			for k, g := range got.Changes {
				w := want.Changes[k]
				if g.IDNumber() != w.IDNumber() || g.Item != w.Item || g.Village != w.Village || g.Change != w.Change || g.Enrolled != w.Enrolled ||
					!slices.Equal(g.Reasons, w.Reasons) || g.Rule != w.Rule {
					t.Errorf("%s: change %d: one pass %+v, per resident %+v", dir.name, k, g, w)
				}
			}
			t.Logf("%s %s: %v", dialect, dir.name, kinds)
		}
	})
}

// TestWhatIfSameBundleNoChanges: the live bundle as its own candidate changes nothing.
func TestWhatIfSameBundleNoChanges(t *testing.T) {
	_, feeds := synctest.Feeds(t, sim.Config{Residents: 300, Seed: 9})
	st := backends[0].open(t)
	if err := hubsync.All(t.Context(), feeds, st, nil); err != nil {
		t.Fatal(err)
	}
	r := &scan.Runner{Engine: engine(t), Store: st}
	rep, err := r.WhatIf(t.Context(), engine(t), scan.Options{At: day("2026-12-06"), Dialect: "sqlite"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 0 || rep.Gains+rep.Losses+rep.Cleared != 0 || len(rep.Items) == 0 {
		t.Fatalf("same bundle: %d changes, %d items", len(rep.Changes), len(rep.Items))
	}
}

// decideEvidence is one resident's evidence for a live decision beside the what-if.
func decideEvidence() *evidence.Bundle {
	land := 0.0
	return &evidence.Bundle{
		Applicant: evidence.Person{IDNumber: turns80, Name: "甲", Sex: "M", BirthDate: "1946-12-06", Village: village, Licences: []evidence.Licence{},
			Rolls: &evidence.Rolls{Enrolled: []string{}, LandMu: &land}},
		Household: []evidence.Person{}, Children: []evidence.Child{}, Provenance: map[string]evidence.Provenance{},
		Conflicts: []evidence.Conflict{}, Missing: []string{},
	}
}
