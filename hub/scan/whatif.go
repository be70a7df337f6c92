package scan

import (
	"context"
	"fmt"
	"maps"
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
	live, cand, why, err := r.onePass(ctx, candidate, o, progress)
	if err != nil {
		return nil, err
	}
	if live == nil {
		progress("live policy %s", liveRev)
		if live, err = r.Run(ctx, o); err != nil {
			return nil, err
		}
		progress("candidate policy %s", candRev)
		if cand, err = (&Runner{Engine: candidate, Store: r.Store}).Run(ctx, o); err != nil {
			return nil, err
		}
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
	// The changes the pass explained take its reasons; the others are decided again.
	var todo []*Change
	for k := range rep.Changes {
		ch := &rep.Changes[k]
		if w, ok := why[changeKey{ch.Item, ch.full, ch.Change}]; ok {
			ch.Reasons, ch.Rule = w.reasons, w.rule
		} else {
			todo = append(todo, ch)
		}
	}
	if err := r.explain(ctx, candidate, o, todo); err != nil {
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
// changes need are read: the changed residents, their households and their children.
func (r *Runner) explain(ctx context.Context, candidate *policy.Engine, o Options, changes []*Change) error {
	if len(changes) == 0 {
		return nil
	}
	t := time.Now()
	ids := make([]string, 0, len(changes))
	for _, ch := range changes {
		ids = append(ids, ch.full)
	}
	d, err := loadOf(ctx, r.Store, o.Division, ids)
	if err != nil {
		return err
	}
	// Each change is explained on its own (two decisions), on every processor.
	err = forEach(ctx, len(changes), func(ctx context.Context, _, k int) error {
		ch := changes[k]
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

// changeKey names one change: item, resident (full ID number), kind.
type changeKey struct{ item, id, kind string }

// explanation is the reasons and rule of one change.
type explanation struct {
	reasons []string
	rule    string
}

// onePass runs the live and the candidate scans as one pass of the store when every item
// compiles to SQL under both policies and neither needs the synced rows in memory (cross
// checks): both policies' filters and expressions side by side, each row classified by both.
// It also explains the changes of residents not on the roll from the same values: the
// criteria the refusing policy's filter does not clear (a decision on certain evidence
// refuses with exactly those, sorted). It returns nil reports when the pass does not apply.
func (r *Runner) onePass(ctx context.Context, candidate *policy.Engine, o Options, progress func(string, ...any)) (live, cand *Report, why map[changeKey]explanation, err error) {
	if o.Dialect == "" || o.Delta {
		return nil, nil, nil, nil
	}
	cr := &Runner{Engine: candidate, Store: r.Store}
	items, err := r.items(o.Item)
	if err != nil {
		return nil, nil, nil, err
	}
	citems, err := cr.items(o.Item)
	if err != nil || len(citems) != len(items) || r.crossChecks(items) || cr.crossChecks(citems) {
		return nil, nil, nil, nil
	}
	for k := range items {
		if items[k].Code != citems[k].Code {
			return nil, nil, nil, nil
		}
	}
	t := time.Now()
	lwhy, cwhy := map[string]string{}, map[string]string{}
	lp, err := r.compileAll(ctx, items, o, lwhy)
	if err != nil {
		return nil, nil, nil, err
	}
	cp, err := cr.compileAll(ctx, citems, o, cwhy)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(lp.items) != len(items) || len(cp.items) != len(items) {
		return nil, nil, nil, nil // an item evaluated per resident under one of them
	}
	members := maps.Clone(lp.members)
	for name, x := range cp.members {
		if y, ok := members[name]; ok && y != x {
			return nil, nil, nil, nil // the policies count different household members under one name
		}
		members[name] = x
	}
	// The candidate's expressions follow the live ones in the pass.
	off := len(lp.exprs)
	for k := range cp.items {
		ci := &cp.items[k]
		ci.decidable += off
		ci.clears = slices.Clone(ci.clears)
		for j := range ci.clears {
			ci.clears[j] += off
		}
	}
	filters := append(slices.Clone(lp.filters), cp.filters...)
	exprs := append(slices.Clone(lp.exprs), cp.exprs...)
	progress("live policy %s and candidate policy %s: %d items compiled to SQL, one pass (%s)", r.Engine.Revision(), candidate.Revision(), len(items), time.Since(t).Round(time.Millisecond))

	type side struct {
		cp               *compiled
		worklists, alert map[string][]Entry
		und              undecided
	}
	sides := [2]*side{{cp: lp, worklists: map[string][]Entry{}, alert: map[string][]Entry{}}, {cp: cp, worklists: map[string][]Entry{}, alert: map[string][]Entry{}}}
	why = map[changeKey]explanation{}
	t = time.Now()
	err = r.Store.ScanPass(ctx, store.PassScope{Division: o.Division, At: policy.DecisionDate(o.At), HouseholdMembers: members}, filters, exprs, func(sr *store.ScanResident, enrolled []string, vals []bool) error {
		for _, sd := range sides {
			sd.und.add(sr, enrolled, sd.cp.classify(sr, enrolled, vals, sd.worklists, sd.alert))
		}
		for k := range lp.items {
			l, c := &lp.items[k], &cp.items[k]
			le, ce := l.eligible(vals), c.eligible(vals)
			if le == ce || slices.Contains(enrolled, l.code) || !vals[l.decidable] || !vals[c.decidable] {
				continue // no change, or one the pass does not explain (on the roll, uncertain evidence)
			}
			kind, from := Gain, l
			if le {
				kind, from = Loss, c
			}
			var ex explanation
			for j, code := range from.criteria {
				if !vals[from.clears[j]] && code != "already_enrolled" { // as changed leaves it out
					ex.reasons = append(ex.reasons, code)
				}
			}
			if len(ex.reasons) > 0 {
				ex.rule = from.rule
				why[changeKey{l.code, sr.IDNumber, kind}] = ex
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	n, err := r.Store.CountScanResidents(ctx, o.Division)
	if err != nil {
		return nil, nil, nil, err
	}
	reps := [2]*Report{}
	for s, sd := range sides {
		if err := sd.und.decide(ctx, []*Runner{r, cr}[s], o.Division, o.At, sd.alert); err != nil {
			return nil, nil, nil, err
		}
		rep := &Report{At: policy.DecisionDate(o.At), Residents: n}
		for _, it := range items {
			res := ItemResult{Item: it.Code, Evaluated: "sql", Worklist: sd.worklists[it.Code], AlertList: sd.alert[it.Code]}
			sort.SliceStable(res.AlertList, func(i, j int) bool { return res.AlertList[i].full < res.AlertList[j].full })
			res.Candidates, res.Alerts = len(res.Worklist), len(res.AlertList)
			rep.Items = append(rep.Items, res)
		}
		reps[s] = rep
	}
	progress("one pass over %d residents, both policies' worklists and alerts; %d changes explained by its values (%s)", n, len(why), time.Since(t).Round(time.Millisecond))
	return reps[0], reps[1], why, nil
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
