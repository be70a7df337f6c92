package scan

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"sanmian/hub/policy"
	"sanmian/hub/store"
)

// Kinds of change a what-if reports for one resident and item.
const (
	// Gain: a resident not on the item's roll whom the live policy does not find eligible and
	// the candidate does (they would join the proactive worklist).
	Gain = "gain"
	// Loss: a resident the live policy finds eligible and the candidate does not: off the
	// worklist if not enrolled; on the roll, a new supervision alert.
	Loss = "loss"
	// Cleared: a resident on the item's roll whom the live policy no longer finds eligible
	// (a supervision alert) and the candidate does: the alert would be cleared.
	Cleared = "cleared"
)

// Change is one resident whose outcome for one item differs between the live policy and the
// candidate. ID is masked. Reasons are the reason codes that changed: for a gain or a clear,
// the live decision's reasons the candidate no longer gives; for a loss, the candidate's
// reasons the live decision does not give. Rule is the legal basis the first of them cites.
type Change struct {
	Item     string   `json:"item"`
	Village  string   `json:"village"`
	ID       string   `json:"id_number"`
	Change   string   `json:"change"`
	Enrolled bool     `json:"enrolled"`
	Reasons  []string `json:"reasons"`
	Rule     string   `json:"rule,omitempty"`

	full string
}

// ItemDiff is one item's counts under both policies and the changes between them.
type ItemDiff struct {
	Item string `json:"item"`
	// Candidates and alerts of the district scan under the live policy and the candidate.
	LiveCandidates      int    `json:"live_candidates"`
	CandidateCandidates int    `json:"candidate_candidates"`
	LiveAlerts          int    `json:"live_alerts"`
	CandidateAlerts     int    `json:"candidate_alerts"`
	Gains               int    `json:"gains"`
	Losses              int    `json:"losses"`
	Cleared             int    `json:"cleared"`
	LiveEvaluated       string `json:"live_evaluated"`
	CandidateEvaluated  string `json:"candidate_evaluated"`
}

// VillageDiff is one village's changes for one item.
type VillageDiff struct {
	Village string `json:"village"`
	Item    string `json:"item"`
	Gains   int    `json:"gains"`
	Losses  int    `json:"losses"`
	Cleared int    `json:"cleared"`
}

// WhatIfReport compares the district scan under the live policy with the same scan under a
// candidate bundle, at the same pinned time over the same synced data.
type WhatIfReport struct {
	At                string        `json:"at"`
	Division          string        `json:"division,omitempty"`
	LiveRevision      string        `json:"live_revision"`
	CandidateRevision string        `json:"candidate_revision"`
	Residents         int           `json:"residents"`
	Gains             int           `json:"gains"`
	Losses            int           `json:"losses"`
	Cleared           int           `json:"cleared"`
	ElapsedMS         int64         `json:"elapsed_ms"`
	Items             []ItemDiff    `json:"items"`
	Villages          []VillageDiff `json:"villages"`
	Changes           []Change      `json:"changes"`
}

// WhatIf runs the district scan (Run: worklists and supervision, with o's item, division,
// pinned time and dialect) once with the runner's engine (the live policy) and once with
// candidate, on the same store, and reports who would gain and who would lose eligibility.
// Nothing is saved and candidate is never activated; o.Verify and o.Reasons are ignored.
// The changed residents' decisions are then taken with both engines to name the reasons that
// changed.
func (r *Runner) WhatIf(ctx context.Context, candidate *policy.Engine, o Options) (*WhatIfReport, error) {
	start := time.Now()
	o.Verify, o.Reasons = false, false
	progress := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", a...)
		}
	}
	liveRev, candRev := r.Engine.Revision(), candidate.Revision()
	progress("live policy %s", liveRev)
	live, err := r.Run(ctx, o)
	if err != nil {
		return nil, err
	}
	progress("candidate policy %s", candRev)
	cand, err := (&Runner{Engine: candidate, Store: r.Store}).Run(ctx, o)
	if err != nil {
		return nil, err
	}
	rep := &WhatIfReport{At: live.At, Division: o.Division, LiveRevision: liveRev, CandidateRevision: candRev, Residents: live.Residents}

	byItem := map[string]*ItemDiff{}
	var codes []string
	item := func(code string) *ItemDiff {
		d, ok := byItem[code]
		if !ok {
			d = &ItemDiff{Item: code}
			byItem[code] = d
			codes = append(codes, code)
		}
		return d
	}
	type side struct{ worklist, alerts map[string]Entry }
	sides := func(rep *Report, set func(*ItemDiff, ItemResult)) map[string]side {
		out := map[string]side{}
		for _, it := range rep.Items {
			set(item(it.Item), it)
			s := side{worklist: map[string]Entry{}, alerts: map[string]Entry{}}
			for _, e := range it.Worklist {
				s.worklist[e.full] = e
			}
			for _, e := range it.AlertList {
				s.alerts[e.full] = e
			}
			out[it.Item] = s
		}
		return out
	}
	ls := sides(live, func(d *ItemDiff, it ItemResult) {
		d.LiveCandidates, d.LiveAlerts, d.LiveEvaluated = it.Candidates, it.Alerts, it.Evaluated
	})
	cs := sides(cand, func(d *ItemDiff, it ItemResult) {
		d.CandidateCandidates, d.CandidateAlerts, d.CandidateEvaluated = it.Candidates, it.Alerts, it.Evaluated
	})
	sort.Strings(codes)
	for _, code := range codes {
		l, c := ls[code], cs[code]
		add := func(e Entry, kind string, enrolled bool) {
			rep.Changes = append(rep.Changes, Change{Item: code, Village: e.Village, ID: e.ID, Change: kind, Enrolled: enrolled, full: e.full})
		}
		for _, id := range sortedKeys(c.worklist) {
			if _, ok := l.worklist[id]; !ok {
				add(c.worklist[id], Gain, false)
			}
		}
		for _, id := range sortedKeys(l.worklist) {
			if _, ok := c.worklist[id]; !ok {
				add(l.worklist[id], Loss, false)
			}
		}
		for _, id := range sortedKeys(c.alerts) {
			if _, ok := l.alerts[id]; !ok {
				add(c.alerts[id], Loss, true)
			}
		}
		for _, id := range sortedKeys(l.alerts) {
			if _, ok := c.alerts[id]; !ok {
				add(l.alerts[id], Cleared, true)
			}
		}
	}
	if err := r.explain(ctx, candidate, o, rep.Changes); err != nil {
		return nil, err
	}

	villages := map[[2]string]*VillageDiff{}
	for _, ch := range rep.Changes {
		d := byItem[ch.Item]
		k := [2]string{ch.Village, ch.Item}
		v, ok := villages[k]
		if !ok {
			v = &VillageDiff{Village: ch.Village, Item: ch.Item}
			villages[k] = v
		}
		switch ch.Change {
		case Gain:
			d.Gains, v.Gains, rep.Gains = d.Gains+1, v.Gains+1, rep.Gains+1
		case Loss:
			d.Losses, v.Losses, rep.Losses = d.Losses+1, v.Losses+1, rep.Losses+1
		case Cleared:
			d.Cleared, v.Cleared, rep.Cleared = d.Cleared+1, v.Cleared+1, rep.Cleared+1
		}
	}
	for _, code := range codes {
		rep.Items = append(rep.Items, *byItem[code])
	}
	for _, v := range villages {
		rep.Villages = append(rep.Villages, *v)
	}
	sort.Slice(rep.Villages, func(i, j int) bool {
		a, b := rep.Villages[i], rep.Villages[j]
		return a.Village < b.Village || (a.Village == b.Village && a.Item < b.Item)
	})
	sort.SliceStable(rep.Changes, func(i, j int) bool {
		a, b := rep.Changes[i], rep.Changes[j]
		if a.Item != b.Item {
			return a.Item < b.Item
		}
		if a.Village != b.Village {
			return a.Village < b.Village
		}
		return a.full < b.full
	})
	if rep.Changes == nil {
		rep.Changes = []Change{}
	}
	if rep.Items == nil {
		rep.Items = []ItemDiff{}
	}
	if rep.Villages == nil {
		rep.Villages = []VillageDiff{}
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	progress("what-if: %d gains, %d losses, %d alerts cleared (%s)", rep.Gains, rep.Losses, rep.Cleared, time.Since(start).Round(time.Millisecond))
	return rep, nil
}

// explain decides each changed resident's item with both engines, on evidence rebuilt from
// the synced rows as the scan does, and keeps the reasons that changed. Only the rows the
// changes need are kept in memory: the changed residents' villages (their households) and
// their children wherever they live.
func (r *Runner) explain(ctx context.Context, candidate *policy.Engine, o Options, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	t := time.Now()
	villages, parents := map[string]bool{}, map[string]bool{}
	for _, ch := range changes {
		villages[ch.Village], parents[ch.full] = true, true
	}
	links, err := r.Store.AllChildLinks(ctx)
	if err != nil {
		return err
	}
	children := map[string]bool{}
	for _, l := range links {
		if parents[l.ParentID] {
			children[l.ChildID] = true
		}
	}
	d := &data{index: map[string]int{}, households: map[string][]int{}, children: map[string][]store.ChildLink{}}
	err = r.Store.EachScanResident(ctx, o.Division, func(row0 *store.ScanResident, enrolled []string) error {
		if !villages[row0.Village] && !children[row0.IDNumber] {
			return nil
		}
		d.index[row0.IDNumber] = len(d.rows)
		if row0.HouseholdID != "" {
			d.households[row0.HouseholdID] = append(d.households[row0.HouseholdID], len(d.rows))
		}
		d.rows = append(d.rows, row{ScanResident: *row0, enrolled: slices.Clone(enrolled)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, l := range links {
		if _, ok := d.index[l.ParentID]; ok {
			d.children[l.ParentID] = append(d.children[l.ParentID], l)
		}
	}
	// Each change is explained on its own (two decisions), on every processor.
	err = forEach(ctx, len(changes), func(ctx context.Context, _, k int) error {
		ch := &changes[k]
		i, ok := d.index[ch.full]
		if !ok {
			return nil
		}
		decide := func(e *policy.Engine) (*policy.Decision, error) {
			ev := d.bundle(i)
			if ch.Enrolled { // as supervision decides: afresh, without the enrolment itself
				ev.Applicant.Rolls.Enrolled = slices.DeleteFunc(slices.Clone(ev.Applicant.Rolls.Enrolled), func(s string) bool { return s == ch.Item })
			}
			return e.Decide(ctx, ch.Item, ev, o.At)
		}
		ld, err := decide(r.Engine)
		if err != nil {
			return err
		}
		cd, err := decide(candidate)
		if err != nil {
			return err
		}
		from, to := ld, cd // a gain or a clear: what the live decision said that the candidate no longer says
		if ch.Change == Loss {
			from, to = cd, ld
		}
		for _, re := range changed(from.Reasons, to.Reasons) {
			ch.Reasons = append(ch.Reasons, re.Code)
			if ch.Rule == "" {
				ch.Rule = re.Rule
			}
		}
		if ch.Reasons == nil {
			ch.Reasons = []string{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "explained %d changes on %d rows (%s)\n", len(changes), len(d.rows), time.Since(t).Round(time.Millisecond))
	}
	return nil
}

// changed returns the reasons of from that to does not give (by code, the already_enrolled
// reason left out as supervision does); when every code is shared, all of from's.
func changed(from, to []policy.Reason) []policy.Reason {
	var out []policy.Reason
	for _, re := range from {
		if slices.ContainsFunc(to, func(x policy.Reason) bool { return x.Code == re.Code }) || re.Code == "already_enrolled" {
			continue
		}
		out = append(out, re)
	}
	if len(out) == 0 {
		return from
	}
	return out
}

func sortedKeys(m map[string]Entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IDNumber is the resident's full ID number, for the data-use record of whoever is shown
// the change; never for display.
func (c *Change) IDNumber() string { return c.full }
