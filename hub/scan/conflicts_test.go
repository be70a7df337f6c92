package scan_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/ident"
	"sanmian/hub/scan"
	"sanmian/hub/store"
	"sanmian/hub/sync/synctest"
)

const (
	conflictCode = "tekun_with_dibao"
	tekunItem    = "extreme_poverty_support"
	dibaoItem    = "minimum_living_allowance"
	farmland     = "farmland_protection_subsidy"
	funeral      = "funeral_subsidy"
)

func dateOf(d synth.Date) time.Time {
	return time.Date(d.Year(), time.Month(d.Month()), d.Day(), 12, 0, 0, 0, cst)
}

// settledPerson: registered in the household's village, death (if any) on the village roll.
func settledPerson(d *synth.District, i int32) bool {
	p := &d.Persons[i]
	return p.HukouVillage == d.Households[p.Household].Village && (p.Death == 0 || p.DeathOnVillageRoll)
}

// rollDistrict generates the district the roll tests arrange their errors in, and its
// reference day at noon in the district's zone.
func rollDistrict(t *testing.T) (*synth.District, time.Time) {
	t.Helper()
	d, err := synth.Generate(synth.Config{Residents: 3000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ref := synth.DefaultReference
	if !d.Config.Reference.IsZero() {
		ref = d.Config.Reference
	}
	return d, time.Date(ref.Year(), ref.Month(), ref.Day(), 12, 0, 0, 0, cst)
}

// arrangeRollErrors adds, on top of the roll errors the generator makes, one of each kind the
// cross checks look for: a 特困 person still on the 低保 roll, a head's spouse on the farmland
// roll with the head, and a living member of a household on the funeral subsidy roll while the
// household's one recent death is already paid. It returns the funeral double (living, deceased).
func arrangeRollErrors(t *testing.T, d *synth.District, ref time.Time) (int32, int32) {
	t.Helper()
	tk, dib := synth.ProgramIndex(tekunItem), synth.ProgramIndex(dibaoItem)
	fl, fu := synth.ProgramIndex(farmland), synth.ProgramIndex(funeral)
	conflict := false
	for i := range d.Persons {
		p := &d.Persons[i]
		if !conflict && p.Death == 0 && p.IsEnrolled(tk) && !p.IsEnrolled(dib) && settledPerson(d, int32(i)) {
			p.Enrolled |= 1 << dib
			conflict = true
		}
	}
	double := false
	for h := range d.Households {
		m := d.Households[h].Members
		if double || len(m) < 2 {
			continue
		}
		head := &d.Persons[m[0]]
		if head.Relation != synth.Head || head.Death != 0 || !head.IsEnrolled(fl) || head.Spouse < 0 {
			continue
		}
		sp := &d.Persons[head.Spouse]
		if sp.Household == head.Household && sp.Death == 0 && !sp.IsEnrolled(fl) && settledPerson(d, m[0]) && settledPerson(d, head.Spouse) {
			sp.Enrolled |= 1 << fl
			double = true
		}
	}
	for i := range d.Persons {
		p := &d.Persons[i]
		ago := ref.Sub(dateOf(p.Death)).Hours() / 24
		if p.Death == 0 || !p.IsEnrolled(fu) || !settledPerson(d, int32(i)) || ago < 40 || ago > 300 {
			continue
		}
		var living int32 = -1
		clean := true // no other death in the household within two years
		for _, m := range d.Households[p.Household].Members {
			mp := &d.Persons[m]
			switch {
			case m == int32(i):
			case mp.Death != 0 && ref.Sub(dateOf(mp.Death)).Hours()/24 < 730:
				clean = false
			case mp.Death == 0 && living < 0 && settledPerson(d, m) && !mp.IsEnrolled(fu):
				living = m
			}
		}
		if clean && living >= 0 {
			d.Persons[living].Enrolled |= 1 << fu
			if !conflict || !double {
				t.Fatal("the generated district has no 特困 person or no farmland couple to arrange")
			}
			return living, int32(i)
		}
	}
	t.Fatal("the generated district has no paid death to arrange a double payment on")
	return 0, 0
}

// TestScanCrossChecksOnSimulatedDistrict syncs a simulated district whose rolls hold the
// generator's roll errors plus one arranged error of each kind, and checks the supervision
// cross checks find exactly them, on SQLite and PostgreSQL: every 特困 person on the 低保 roll
// (conflict tekun_with_dibao under extreme_poverty_support), every household with two members
// on the farmland roll once (double_enrolment on the head, the policy's per-member
// household_enrolled reason gone), and the funeral subsidy paid to a living member for a death
// already paid (death_already_paid naming both roll entries). Each alert names the rule, the
// roll entries (masked) and the district as their source; Save keeps them for the alert view.
func TestScanCrossChecksOnSimulatedDistrict(t *testing.T) {
	d, ref := rollDistrict(t)
	claimant, paid := arrangeRollErrors(t, d, ref)

	// What the cross checks must find, from the generator's own account of the rolls.
	wantConflicts := map[string]bool{}
	for _, i := range d.Inconsistent(synth.InconsistencyConflictingRolls) {
		wantConflicts[ident.MaskIDNumber(d.Persons[i].ID)] = true
	}
	wantDoubles := map[int32][]string{} // household → masked IDs on the farmland roll
	for _, i := range d.Inconsistent(synth.InconsistencyHouseholdDoubleEnrolment) {
		h := d.Persons[i].Household
		wantDoubles[h] = append(wantDoubles[h], ident.MaskIDNumber(d.Persons[i].ID))
	}
	if len(wantConflicts) == 0 || len(wantDoubles) < 2 {
		t.Fatalf("%d conflicts, %d double households: too few to test", len(wantConflicts), len(wantDoubles))
	}

	_, feeds := synctest.Feeds(t, sim.Config{District: d})
	eng := engine(t)
	onEachBackend(t, feeds, eng, func(t *testing.T, dialect string, st store.Store, r *scan.Runner) {
		rep, err := r.Run(t.Context(), scan.Options{At: ref, Dialect: dialect})
		if err != nil {
			t.Fatal(err)
		}
		byItem := map[string]*scan.ItemResult{}
		for k := range rep.Items {
			byItem[rep.Items[k].Item] = &rep.Items[k]
			for _, a := range rep.Items[k].AlertList {
				if slices.Contains(a.Reasons, "household_enrolled") {
					t.Errorf("%s %s: the per-member household_enrolled reason was not replaced by the household's double", a.Item, a.ID)
				}
			}
		}

		// Conflicts: exactly the 特困 persons on the 低保 roll.
		got := map[string]bool{}
		for _, a := range byItem[tekunItem].AlertList {
			if !slices.Contains(a.Reasons, conflictCode) {
				continue
			}
			got[a.ID] = true
			if a.Rule != "《社会救助暂行办法》" || !slices.Equal(a.Evidence, []string{tekunItem + ":" + a.ID, dibaoItem + ":" + a.ID}) ||
				!slices.Equal(a.Sources, []string{"district", "district"}) {
				t.Errorf("conflict alert %+v: want the rule, both roll entries and the district", a)
			}
		}
		if !mapsEqual(got, wantConflicts) || byItem[tekunItem].Conflicts != len(wantConflicts) {
			t.Errorf("conflicts %v (count %d), want %v", got, byItem[tekunItem].Conflicts, wantConflicts)
		}

		// Household doubles: one alert per household, on the head, naming every entry.
		var doubles [][]string
		for _, a := range byItem[farmland].AlertList {
			if !slices.Contains(a.Reasons, scan.ReasonDoubleEnrolment) {
				continue
			}
			if a.Rule == "" || len(a.Evidence) < 3 || !strings.HasPrefix(a.Evidence[0], "household:") || len(a.Sources) != len(a.Evidence) {
				t.Errorf("double alert %+v: want the rule, the household and its roll entries", a)
				continue
			}
			var ids []string
			for _, e := range a.Evidence[1:] {
				ids = append(ids, strings.TrimPrefix(e, farmland+":"))
			}
			if !slices.Contains(ids, a.ID) {
				t.Errorf("double alert on %s does not name its own entry: %v", a.ID, a.Evidence)
			}
			slices.Sort(ids)
			doubles = append(doubles, ids)
		}
		var want [][]string
		for _, ids := range wantDoubles {
			s := slices.Clone(ids)
			slices.Sort(s)
			want = append(want, s)
		}
		cmp := func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) }
		slices.SortFunc(doubles, cmp)
		slices.SortFunc(want, cmp)
		if !slices.EqualFunc(doubles, want, slices.Equal) || byItem[farmland].Doubles != len(want) {
			t.Errorf("household doubles %v (count %d), want %v", doubles, byItem[farmland].Doubles, want)
		}

		// The death paid twice: the living member's entry and the deceased's.
		wantID := ident.MaskIDNumber(d.Persons[claimant].ID)
		i := slices.IndexFunc(byItem[funeral].AlertList, func(a scan.Entry) bool { return a.ID == wantID })
		if i < 0 {
			t.Fatalf("no funeral subsidy alert on the living member on the roll; alerts %+v", byItem[funeral].AlertList)
		}
		a := byItem[funeral].AlertList[i]
		if !slices.Contains(a.Reasons, "death_already_paid") || !slices.Contains(a.Evidence, funeral+":"+wantID) ||
			!slices.Contains(a.Evidence, funeral+":"+ident.MaskIDNumber(d.Persons[paid].ID)) || byItem[funeral].Doubles < 1 {
			t.Errorf("funeral double %+v (doubles %d): want death_already_paid naming both roll entries", a, byItem[funeral].Doubles)
		}

		// Saved: the alert view reads them with full ID numbers for the data-use record.
		if err := scan.Save(t.Context(), st, "", rep); err != nil {
			t.Fatal(err)
		}
		saved, _, err := st.ListScanFindings(t.Context(), store.FindingFilter{Kind: store.FindingAlert, Item: tekunItem}, store.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range saved {
			if slices.Contains(f.Reasons, conflictCode) {
				n++
				if !wantConflicts[ident.MaskIDNumber(f.IDNumber)] || f.Rule == "" || len(f.Evidence) != 2 {
					t.Errorf("saved conflict %+v", f)
				}
			}
		}
		if n != len(wantConflicts) {
			t.Errorf("%d conflict alerts saved, want %d", n, len(wantConflicts))
		}
	})
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestScanVillageRolls: a resident whose old village never took them off its roll is on one
// item's roll in two villages. On a generated district with a few such residents arranged on
// top of the generator's own, a full scan on SQLite and PostgreSQL reports exactly the
// residents and items the generator lists (InconsistencyRollInTwoVillages), each once, in the
// resident's own village, naming both villages' entries. A later feed change that leaves one
// of them on the old village's roll only is found by a delta scan as roll_of_other_village.
func TestScanVillageRolls(t *testing.T) {
	d, ref := rollDistrict(t)
	const elderly = "elderly_allowance"
	ea := synth.ProgramIndex(elderly)
	var arranged []int32
	for i := range d.Persons {
		p := &d.Persons[i]
		if len(arranged) == 3 || p.Death != 0 || !p.IsEnrolled(ea) || !settledPerson(d, int32(i)) {
			continue
		}
		home := d.Households[p.Household].Village
		p.HukouVillage = d.Households[(int(p.Household)+len(d.Households)/2)%len(d.Households)].Village
		if p.HukouVillage == home || len(d.OtherRolls(int32(i))) == 0 {
			p.HukouVillage = home // the generator keeps this one on its new village's roll only
			continue
		}
		arranged = append(arranged, int32(i))
	}
	if len(arranged) < 3 {
		t.Fatalf("arranged %d residents on two villages' rolls, want 3", len(arranged))
	}
	want := map[string]int32{} // item|masked ID → person
	for _, i := range d.Inconsistent(synth.InconsistencyRollInTwoVillages) {
		for _, o := range d.OtherRolls(i) {
			want[synth.Programs[o.Program].Code+"|"+ident.MaskIDNumber(d.Persons[i].ID)] = i
		}
	}

	_, feeds := synctest.Feeds(t, sim.Config{District: d})
	eng := engine(t)
	onEachBackend(t, feeds, eng, func(t *testing.T, dialect string, st store.Store, r *scan.Runner) {
		rep, err := r.Run(t.Context(), scan.Options{At: ref, Dialect: dialect})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, res := range rep.Items {
			for _, a := range res.AlertList {
				if !slices.Contains(a.Reasons, scan.ReasonRollInTwoVillages) {
					continue
				}
				key := a.Item + "|" + a.ID
				if got[key] {
					t.Errorf("%s reported twice", key)
				}
				got[key] = true
				i, ok := want[key]
				if !ok {
					t.Errorf("alert %+v: the generator lists no such double", a)
					continue
				}
				p := &d.Persons[i]
				home, old := d.Village(p).Code, d.HukouVillage(p).Code
				entry := a.Item + ":" + a.ID + "@"
				if a.Village != home || !slices.Equal(a.Evidence, []string{entry + home, entry + old}) ||
					!slices.Equal(a.Sources, []string{"district", "district"}) || a.Rule == "" || len(a.Reasons) != 1 {
					t.Errorf("alert %+v: want one in village %s naming %s and %s, sources district, with a rule", a, home, entry+home, entry+old)
				}
			}
		}
		for key := range want {
			if item, _, _ := strings.Cut(key, "|"); !got[key] && slices.ContainsFunc(rep.Items, func(r scan.ItemResult) bool { return r.Item == item }) {
				t.Errorf("%s: on two villages' rolls, not reported", key)
			}
		}
		for _, i := range arranged {
			if !got[elderly+"|"+ident.MaskIDNumber(d.Persons[i].ID)] {
				t.Errorf("arranged resident %d not reported", i)
			}
		}
		if err := scan.Save(t.Context(), st, "", rep); err != nil {
			t.Fatal(err)
		}

		// The home village takes the first one off its roll; the old village does not.
		p := &d.Persons[arranged[0]]
		row, err := st.GetResident(t.Context(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		row.Enrolled = slices.DeleteFunc(row.Enrolled, func(s string) bool { return s == elderly })
		row.OtherRolls = []store.RollEntry{{Item: elderly, Village: d.HukouVillage(p).Code}}
		row.UpdatedSeq++
		cursor, err := st.SyncCursor(t.Context(), store.FeedDistrictResidents)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ApplySnapshot(t.Context(), store.FeedDistrictResidents, []store.Resident{row}, cursor); err != nil {
			t.Fatal(err)
		}
		drep, err := r.Run(t.Context(), scan.Options{At: ref, Dialect: dialect, Delta: true})
		if err != nil {
			t.Fatal(err)
		}
		var found []scan.Entry
		for _, res := range drep.Items {
			for _, a := range res.AlertList {
				if slices.Contains(a.Reasons, scan.ReasonRollInTwoVillages) || slices.Contains(a.Reasons, scan.ReasonRollOfOtherVillage) {
					found = append(found, a)
				}
			}
		}
		masked := ident.MaskIDNumber(p.ID)
		if drep.Delta == nil || len(found) != 1 || found[0].ID != masked || found[0].Item != elderly ||
			!slices.Equal(found[0].Reasons, []string{scan.ReasonRollOfOtherVillage}) ||
			!slices.Equal(found[0].Evidence, []string{elderly + ":" + masked + "@" + d.HukouVillage(p).Code}) {
			t.Fatalf("delta scan (%+v) village-roll alerts %+v; want one roll_of_other_village on %s naming the old village's entry", drep.Delta, found, masked)
		}
	})
}
