package scan

import (
	"context"
	"slices"

	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/policy"
)

// Reason codes of the supervision cross checks (texts in policies/data.yaml: reasons for
// double_enrolment, conflicts for each declared conflict's code).
const (
	ReasonDoubleEnrolment  = "double_enrolment"        // one household, several enrolments on a household item's roll
	reasonHouseholdOnRoll  = "household_enrolled"      // the policy's per-member form of the same double
	reasonDeathAlreadyPaid = "death_already_paid"      // the funeral subsidy's: every recent death it could pay is paid
	sourceDistrictRoll     = string(evidence.District) // the rolls are the district's
	// ReasonRollInTwoVillages: one person on one item's roll in two or more villages.
	ReasonRollInTwoVillages = "roll_in_two_villages"
	// ReasonRollOfOtherVillage: on the item's roll of a village that is not the person's,
	// and not on their own village's.
	ReasonRollOfOtherVillage = "roll_of_other_village"
)

// crossCheck adds the supervision alerts that compare enrolments instead of deciding one, to
// the items of rep (alerts under an item the scan does not cover are not made):
//
//   - a resident on the rolls of two or more items of one conflict the catalogue declares
//     (Engine.Conflicts), under the conflict's first item, reason = the conflict's code, rule =
//     its citation;
//   - a household with more than one member on the roll of a household-subject item: one
//     alert per household, on the head if enrolled (else the member with the lowest ID number),
//     reason double_enrolment, rule = the item's citation; it replaces the policy's
//     household_enrolled reason on each member's own alert (the same double, once per member);
//   - for a deceased-subject item (the funeral subsidy, whose roll names the deceased: the
//     district roll holds one entry per person and item, so one death cannot be on it twice),
//     the policy's death_already_paid alert on a living resident who is on the roll while
//     every recent death of the household is already paid: its evidence names the entries.
//
// Evidence of these alerts names district roll entries as "<item>:<masked ID number>" and the
// household as "household:<household number>"; every source is the district.
// crossChecks reports whether a scan of items runs cross checks (a declared conflict led by one
// of them, or an item paid for a household or a death), which need the synced rows in memory.
func (r *Runner) crossChecks(items []policy.Item) bool {
	for _, it := range items {
		if it.BenefitSubject == policy.SubjectHousehold || it.BenefitSubject == policy.SubjectDeceased {
			return true
		}
		for _, c := range r.Engine.Conflicts() {
			if c.Items[0] == it.Code {
				return true
			}
		}
	}
	return false
}

func (r *Runner) crossCheck(d *data, rep *Report) {
	idx := make(map[string]int, len(rep.Items))
	for k, it := range rep.Items {
		idx[it.Item] = k
	}
	for _, c := range r.Engine.Conflicts() {
		k, ok := idx[c.Items[0]]
		if !ok {
			continue
		}
		res := &rep.Items[k]
		for i := range d.rows[:d.n] {
			row := &d.rows[i]
			var held []string
			for _, ic := range c.Items {
				if slices.Contains(row.enrolled, ic) {
					held = append(held, ic)
				}
			}
			if len(held) < 2 {
				continue
			}
			a := Entry{ID: ident.MaskIDNumber(row.IDNumber), Village: row.Village, Item: res.Item,
				Reasons: []string{c.Code}, Rule: c.Basis.Cite, full: row.IDNumber}
			for _, ic := range held {
				a.Evidence, a.Sources = append(a.Evidence, onRoll(ic, row.IDNumber)), append(a.Sources, sourceDistrictRoll)
			}
			res.AlertList = append(res.AlertList, a)
			res.Conflicts++
		}
	}
	for _, it := range r.Engine.Items() {
		k, ok := idx[it.Code]
		if !ok {
			continue
		}
		switch it.BenefitSubject {
		case policy.SubjectHousehold:
			householdDoubles(d, &rep.Items[k], it.Basis.Cite)
		case policy.SubjectDeceased:
			paidDeaths(d, &rep.Items[k])
		}
	}
}

// householdDoubles reports each household with several members on res.Item's roll once, and
// drops the per-member household_enrolled reasons it stands for.
func householdDoubles(d *data, res *ItemResult, cite string) {
	kept := res.AlertList[:0]
	for _, a := range res.AlertList {
		var rs, ev, src []string
		for p, code := range a.Reasons {
			if code == reasonHouseholdOnRoll {
				continue
			}
			rs = append(rs, code)
			if p < len(a.Evidence) && p < len(a.Sources) { // the policy's alerts: one fact per reason
				ev, src = append(ev, a.Evidence[p]), append(src, a.Sources[p])
			}
		}
		if len(rs) == 0 {
			continue
		}
		a.Reasons, a.Evidence, a.Sources = rs, ev, src
		kept = append(kept, a)
	}
	res.AlertList = kept
	for i := range d.rows[:d.n] {
		h := d.rows[i].HouseholdID
		if h == "" || !slices.Contains(d.rows[i].enrolled, res.Item) {
			continue
		}
		var on []int // members on the roll, in ID order (rows are)
		for _, j := range d.households[h] {
			if slices.Contains(d.rows[j].enrolled, res.Item) {
				on = append(on, j)
			}
		}
		if len(on) < 2 || on[0] != i {
			continue // single, or reported at the household's first member on the roll
		}
		slices.SortFunc(on, func(a, b int) int {
			ha, hb := d.rows[a].Relation == "head", d.rows[b].Relation == "head"
			switch {
			case ha && !hb:
				return -1
			case hb && !ha:
				return 1
			}
			return a - b
		})
		if on[0] >= d.n {
			continue // a delta scan's context row: reported when that member is scanned
		}
		o := &d.rows[on[0]]
		a := Entry{ID: ident.MaskIDNumber(o.IDNumber), Village: o.Village, Item: res.Item,
			Reasons: []string{ReasonDoubleEnrolment}, Rule: cite, full: o.IDNumber,
			Evidence: []string{"household:" + h}, Sources: []string{sourceDistrictRoll}}
		for _, j := range on {
			a.Evidence, a.Sources = append(a.Evidence, onRoll(res.Item, d.rows[j].IDNumber)), append(a.Sources, sourceDistrictRoll)
		}
		res.AlertList = append(res.AlertList, a)
		res.Doubles++
	}
}

// paidDeaths names, on each death_already_paid alert of res.Item on a living resident, the
// roll entries the double rests on: the resident's own and those of the household's deceased
// members on the roll. Such an alert counts as a double.
func paidDeaths(d *data, res *ItemResult) {
	for n := range res.AlertList {
		a := &res.AlertList[n]
		p := slices.Index(a.Reasons, reasonDeathAlreadyPaid)
		if p < 0 {
			continue
		}
		i, ok := d.index[a.full]
		if !ok || d.rows[i].Deceased {
			continue // a deceased resident's own entry pays their own death, not another's
		}
		ev := []string{onRoll(res.Item, a.full)}
		for _, j := range d.households[d.rows[i].HouseholdID] {
			if r := &d.rows[j]; j != i && r.Deceased && slices.Contains(r.enrolled, res.Item) {
				ev = append(ev, onRoll(res.Item, r.IDNumber))
			}
		}
		src := make([]string, len(ev))
		for s := range src {
			src[s] = sourceDistrictRoll
		}
		if p < len(a.Evidence) && a.Evidence[p] == "" {
			a.Evidence = slices.Delete(a.Evidence, p, p+1)
			a.Sources = slices.Delete(a.Sources, p, p+1)
		}
		a.Evidence, a.Sources = slices.Insert(a.Evidence, min(p, len(a.Evidence)), ev...), slices.Insert(a.Sources, min(p, len(a.Sources)), src...)
		res.Doubles++
	}
}

// onRoll names one enrolment on the district roll: the item and the enrolled resident's
// masked ID number.
func onRoll(item, idNumber string) string { return item + ":" + ident.MaskIDNumber(idNumber) }

// villageRolls adds, under each item of rep, one alert per resident whose entries on the
// item's rolls are not their own village's alone. The district roll gives each resident's own
// village's enrolments (the scan rows' rolls) and the entries of other villages' rolls that
// still name them (store.ScanBulkReader.OtherRolls: a village the household moved away from
// that never took them off):
//
//   - on the roll of two or more villages: reason roll_in_two_villages (one allowance paid
//     twice);
//   - on another village's roll only: reason roll_of_other_village (paid by a village that
//     is not theirs).
//
// The alert is the resident's, in their own village; rule = the item's citation, evidence
// every village's entry as "<item>:<masked ID number>@<village>", source the district. Only
// the residents the scan evaluates are reported (a delta scan's: their findings are the ones
// Save replaces).
// It returns how many entries it read.
func (r *Runner) villageRolls(ctx context.Context, division string, evaluates func(id string) bool, items []policy.Item, rep *Report) (int, error) {
	entries, err := r.Store.OtherRolls(ctx, division)
	if err != nil || len(entries) == 0 {
		return len(entries), err
	}
	cite := make(map[string]string, len(items))
	for _, it := range items {
		cite[it.Code] = it.Basis.Cite
	}
	idx := make(map[string]int, len(rep.Items))
	for k, it := range rep.Items {
		idx[it.Item] = k
	}
	for n := 0; n < len(entries); {
		e := entries[n]
		end := n + 1 // entries are ordered by ID number and item: one group per (resident, item)
		for end < len(entries) && entries[end].IDNumber == e.IDNumber && entries[end].Item == e.Item {
			end++
		}
		group := entries[n:end]
		n = end
		k, ok := idx[e.Item]
		if !ok || !evaluates(e.IDNumber) {
			continue
		}
		a := Entry{ID: ident.MaskIDNumber(e.IDNumber), Village: e.HomeVillage, Item: e.Item, Rule: cite[e.Item], full: e.IDNumber}
		if e.HomeEnrolled {
			a.Reasons = []string{ReasonRollInTwoVillages}
			a.Evidence = append(a.Evidence, onVillageRoll(e.Item, e.IDNumber, e.HomeVillage))
		} else if len(group) > 1 {
			a.Reasons = []string{ReasonRollInTwoVillages}
		} else {
			a.Reasons = []string{ReasonRollOfOtherVillage}
		}
		for _, g := range group {
			a.Evidence = append(a.Evidence, onVillageRoll(g.Item, g.IDNumber, g.Village))
		}
		a.Sources = make([]string, len(a.Evidence))
		for s := range a.Sources {
			a.Sources[s] = sourceDistrictRoll
		}
		rep.Items[k].AlertList = append(rep.Items[k].AlertList, a)
		rep.Items[k].Doubles++
	}
	return len(entries), nil
}

// onVillageRoll names one entry of a village's roll: the item, the enrolled resident's masked
// ID number and the village.
func onVillageRoll(item, idNumber, village string) string {
	return onRoll(item, idNumber) + "@" + village
}
