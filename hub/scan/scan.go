// Package scan runs the district scans over the synced scan data: proactive worklists (for
// every proactive item, the residents the policy finds eligible who are not enrolled, per
// village) and supervision alerts (residents on an item's roll the policy no longer finds
// eligible). An item whose criteria rest on the applicant alone is compiled by OPA partial
// evaluation from those criteria themselves (policies/criteria.rego, the same functions the
// live decision calls) into one SQL filter the store runs, for the worklist (eligible and not
// on the roll) and for supervision (on the roll and not eligible: only those enrolments are
// decided, for their reasons); an item whose criteria read the household or the children is
// evaluated per resident with the same eligibility rules (one scan evaluation per resident for
// all such items) on evidence rebuilt from the synced rows, and the report says why. Verify
// compares every item, worklist and alerts, with per-resident decisions on the same facts.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/policy"
	"sanmian/hub/store"
)

// ErrUnknownItem is returned for an --item that is not a proactive item of the catalogue.
var ErrUnknownItem = errors.New("scan: unknown or non-proactive item")

// ErrDifferences is returned by Run with Verify when compiled and per-resident results differ.
var ErrDifferences = errors.New("scan: verification found differences")

// Options select and pin a scan.
type Options struct {
	Item     string    // one item code, "" for all proactive items
	Division string    // division code prefix (town, village), "" for the district
	At       time.Time // scan time (the decision date is taken in China Standard Time)
	Verify   bool      // compare each item with per-resident decisions
	Dialect  string    // "sqlite" or "postgresql"; "" evaluates every item per resident
	Progress io.Writer // progress lines; nil for none
	// Reasons fills the reason codes of every worklist candidate (one decision each, as
	// Runner.Reasons), as the persisted worklists show them.
	Reasons bool
}

// Entry is one worklist candidate or one alert. ID is masked.
type Entry struct {
	ID      string   `json:"id_number"`
	Village string   `json:"village"`
	Item    string   `json:"item"`
	Reasons []string `json:"reasons,omitempty"` // reason codes of the decision
	Rule    string   `json:"rule,omitempty"`    // the item's legal basis (alerts)
	// Evidence and Sources (alerts): the facts the failing criteria rest on and the platform
	// each came from.
	Evidence []string `json:"evidence,omitempty"`
	Sources  []string `json:"sources,omitempty"`

	full string // unmasked ID, for reasons and verification
}

// ItemResult is one item's worklist and alerts.
type ItemResult struct {
	Item       string  `json:"item"`
	Candidates int     `json:"candidates"`
	Alerts     int     `json:"alerts"`
	Evaluated  string  `json:"evaluated"` // "sql" or "go: <why>"
	Worklist   []Entry `json:"-"`
	AlertList  []Entry `json:"-"`
}

// Difference is one resident on whom the scan and the per-resident decision disagree.
type Difference struct {
	Item, ID, Scan, Decision string
}

// Report is the outcome of a scan.
type Report struct {
	At          string       `json:"at"`
	Residents   int          `json:"residents"`
	ElapsedMS   int64        `json:"elapsed_ms"`
	Items       []ItemResult `json:"items"`
	Verified    bool         `json:"verified,omitempty"`
	Differences []Difference `json:"-"`
}

// Runner runs scans with one policy engine over one store.
type Runner struct {
	Engine *policy.Engine
	Store  store.ScanBulkReader
}

// Run scans. With Verify it returns the report and ErrDifferences when any item differs.
func (r *Runner) Run(ctx context.Context, o Options) (*Report, error) {
	start := time.Now()
	if o.At.IsZero() {
		return nil, policy.ErrNoClock
	}
	items, err := r.items(o.Item)
	if err != nil {
		return nil, err
	}
	progress := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", a...)
		}
	}
	rep := &Report{At: policy.DecisionDate(o.At)}

	// Proactive worklists: the items with criteria over the applicant's facts compiled to
	// SQL and run by the store (eligible and not on the roll), the others in one bulk pass.
	compiled := map[string]string{} // item → SQL filter of eligibility (enrolment aside)
	worklists := map[string][]Entry{}
	suspects := map[string][]string{} // item → enrolled residents the filter does not hold for
	var goItems []string
	why := map[string]string{}
	perResident := r.Engine.PerResident()
	for _, it := range items {
		where, err := r.compile(ctx, it.Code, o, perResident)
		if err != nil {
			why[it.Code], goItems = "go: "+shortWhy(err), append(goItems, it.Code)
			continue
		}
		t := time.Now()
		ids, villages, err := r.Store.FilterScanEnrolment(ctx, o.Division, it.Code, where, false)
		if err != nil {
			return nil, err
		}
		wl := make([]Entry, len(ids))
		for k, id := range ids {
			wl[k] = Entry{ID: ident.MaskIDNumber(id), Village: villages[k], Item: it.Code, full: id}
		}
		ids, _, err = r.Store.FilterScanEnrolment(ctx, o.Division, it.Code, where, true)
		if err != nil {
			return nil, err
		}
		compiled[it.Code], worklists[it.Code], suspects[it.Code], why[it.Code] = where, wl, ids, "sql"
		progress("%s: sql, %d candidates, %d enrolments to check (%s)", it.Code, len(wl), len(ids), time.Since(t).Round(time.Millisecond))
	}

	// The synced rows in memory: for the items evaluated per resident, for the decisions on
	// the enrolments the compiled filters single out (their reasons), and for reasons and
	// verification.
	needRows := len(goItems) > 0 || o.Reasons || o.Verify
	for _, ids := range suspects {
		needRows = needRows || len(ids) > 0
	}
	var d *data
	if needRows {
		if d, err = load(ctx, r.Store, o.Division); err != nil {
			return nil, err
		}
		rep.Residents = len(d.rows)
		progress("loaded %d residents, %d child links (%s)", len(d.rows), d.links, time.Since(start).Round(time.Millisecond))
	} else if rep.Residents, err = r.Store.CountScanResidents(ctx, o.Division); err != nil {
		return nil, err
	}

	eligible := map[string]map[string]bool{} // go item → ID → eligible (before the enrolment check)
	if len(goItems) > 0 {
		t := time.Now()
		for _, c := range goItems {
			eligible[c] = map[string]bool{}
		}
		for i := range d.rows {
			if i%20000 == 0 && i > 0 {
				progress("per-resident evaluation: %d/%d residents", i, len(d.rows))
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			sr, err := r.Engine.Scan(ctx, d.bundle(i), o.At)
			if err != nil {
				return nil, err
			}
			for _, c := range sr.Eligible {
				if set, ok := eligible[c]; ok {
					set[d.rows[i].IDNumber] = true
				}
			}
		}
		progress("%d items evaluated per resident (%s)", len(goItems), time.Since(t).Round(time.Millisecond))
	}
	for _, it := range items {
		res := ItemResult{Item: it.Code, Evaluated: why[it.Code]}
		if _, ok := compiled[it.Code]; ok {
			res.Worklist = worklists[it.Code]
		} else {
			for i := range d.rows {
				row := &d.rows[i]
				if eligible[it.Code][row.IDNumber] && !slices.Contains(row.enrolled, it.Code) {
					res.Worklist = append(res.Worklist, Entry{ID: ident.MaskIDNumber(row.IDNumber), Village: row.Village, Item: it.Code, full: row.IDNumber})
				}
			}
		}
		res.Candidates = len(res.Worklist)
		if o.Reasons {
			if err := r.fillReasons(ctx, d, o.At, &res); err != nil {
				return nil, err
			}
		}
		rep.Items = append(rep.Items, res)
	}

	// Supervision: every enrolment of an item in scope (of a compiled item, those its filter
	// does not hold for), decided as if the resident applied afresh (without the enrolment
	// itself, which the rules refuse as already_enrolled).
	decided := 0
	for k := range rep.Items {
		code := rep.Items[k].Item
		var rows []int
		if _, ok := compiled[code]; ok {
			for _, id := range suspects[code] {
				if i, ok := d.index[id]; ok {
					rows = append(rows, i)
				}
			}
		} else if d != nil {
			for i := range d.rows {
				if slices.Contains(d.rows[i].enrolled, code) {
					rows = append(rows, i)
				}
			}
		}
		for _, i := range rows {
			a, err := r.alert(ctx, d, i, code, o.At)
			if err != nil {
				return nil, err
			}
			if a != nil {
				rep.Items[k].AlertList = append(rep.Items[k].AlertList, *a)
			}
		}
		decided += len(rows)
		rep.Items[k].Alerts = len(rep.Items[k].AlertList)
	}
	progress("supervision: %d enrolments decided", decided)

	if o.Verify {
		if err := r.verify(ctx, o, d, rep, progress); err != nil {
			rep.ElapsedMS = time.Since(start).Milliseconds()
			return rep, err
		}
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// compile returns the SQL filter of item code's eligibility on a row of scan_residents, the
// enrolment aside: the generic conditions of a decision on the row's evidence
// (data.sanmian.scan.decidable) and every criterion the criteria package states for the item,
// compiled by OPA partial evaluation. It fails, saying why, for an item the criteria package
// evaluates per resident or states no criteria for.
func (r *Runner) compile(ctx context.Context, code string, o Options, perResident map[string]string) (string, error) {
	if o.Dialect == "" {
		return "", errors.New("no SQL dialect")
	}
	if why, ok := perResident[code]; ok {
		return "", errors.New(why)
	}
	crit := r.Engine.Criteria(code)
	if len(crit) == 0 {
		return "", fmt.Errorf("no criteria stated over the applicant's facts in data.%s", policy.CriteriaPackage)
	}
	q := fmt.Sprintf("data.sanmian.scan.decidable(%q, input.scan_residents)", code)
	for _, c := range crit {
		q += fmt.Sprintf("; data.%s.clears.%s.%s(input.scan_residents)", policy.CriteriaPackage, code, c)
	}
	return r.Engine.CompileSQL(ctx, q, []string{"input.scan_residents"}, o.Dialect, o.At)
}

// alert decides resident i's enrolment in code as if they applied afresh and returns the
// alert when the decision is a definite refusal, nil otherwise.
func (r *Runner) alert(ctx context.Context, d *data, i int, code string, at time.Time) (*Entry, error) {
	row := &d.rows[i]
	ev := d.bundle(i)
	ev.Applicant.Rolls.Enrolled = slices.DeleteFunc(slices.Clone(ev.Applicant.Rolls.Enrolled), func(s string) bool { return s == code })
	dec, err := r.Engine.Decide(ctx, code, ev, at)
	if err != nil {
		return nil, err
	}
	if dec.Eligible == nil || *dec.Eligible {
		return nil, nil
	}
	a := Entry{ID: ident.MaskIDNumber(row.IDNumber), Village: row.Village, Item: code, full: row.IDNumber}
	for _, re := range dec.Reasons {
		if strings.HasSuffix(re.Code, "already_enrolled") {
			continue // the enrolment itself (an insurance item's own record), not a lost eligibility
		}
		a.Reasons = append(a.Reasons, re.Code)
		a.Rule = re.Rule
		f, src := evidenceOf(re.Code, row)
		a.Evidence, a.Sources = append(a.Evidence, f), append(a.Sources, src)
	}
	if len(a.Reasons) == 0 {
		return nil, nil
	}
	return &a, nil
}

func (r *Runner) items(code string) ([]policy.Item, error) {
	var out []policy.Item
	for _, it := range r.Engine.Items() {
		if it.Proactive && (code == "" || it.Code == code) {
			out = append(out, it)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownItem, code)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// Reasons fills the reason codes of the worklist entries of item res (one decision each: the
// reasons are the policy's, as at the counter).
func (r *Runner) Reasons(ctx context.Context, s store.ScanBulkReader, division string, at time.Time, res *ItemResult) error {
	if len(res.Worklist) == 0 {
		return nil
	}
	d, err := load(ctx, s, division)
	if err != nil {
		return err
	}
	return r.fillReasons(ctx, d, at, res)
}

func (r *Runner) fillReasons(ctx context.Context, d *data, at time.Time, res *ItemResult) error {
	for k := range res.Worklist {
		i, ok := d.index[res.Worklist[k].full]
		if !ok {
			continue
		}
		dec, err := r.Engine.Decide(ctx, res.Item, d.bundle(i), at)
		if err != nil {
			return err
		}
		res.Worklist[k].Reasons = res.Worklist[k].Reasons[:0]
		for _, re := range dec.Reasons {
			res.Worklist[k].Reasons = append(res.Worklist[k].Reasons, re.Code)
		}
	}
	return nil
}

func (r *Runner) verify(ctx context.Context, o Options, d *data, rep *Report, progress func(string, ...any)) error {
	t := time.Now()
	for k := range rep.Items {
		res := &rep.Items[k]
		got := map[string]bool{}
		for _, e := range res.Worklist {
			got[e.full] = true
		}
		for i := range d.rows {
			row := &d.rows[i]
			dec, err := r.Engine.Decide(ctx, res.Item, d.bundle(i), o.At)
			if err != nil {
				return err
			}
			want := dec.Eligible != nil && *dec.Eligible && !slices.Contains(row.enrolled, res.Item)
			if want != got[row.IDNumber] {
				rep.Differences = append(rep.Differences, Difference{Item: res.Item, ID: ident.MaskIDNumber(row.IDNumber),
					Scan: yesNo(got[row.IDNumber]), Decision: verdict(dec.Eligible)})
			}
		}
		alerted := map[string]bool{}
		for _, e := range res.AlertList {
			alerted[e.full] = true
		}
		for i := range d.rows {
			row := &d.rows[i]
			if !slices.Contains(row.enrolled, res.Item) {
				continue
			}
			a, err := r.alert(ctx, d, i, res.Item, o.At)
			if err != nil {
				return err
			}
			if (a != nil) != alerted[row.IDNumber] {
				rep.Differences = append(rep.Differences, Difference{Item: res.Item + " (supervision)", ID: ident.MaskIDNumber(row.IDNumber),
					Scan: alertOrNot(alerted[row.IDNumber]), Decision: alertOrNot(a != nil)})
			}
		}
		progress("verify %s: %d residents decided", res.Item, len(d.rows))
	}
	progress("verify: %d differences (%s)", len(rep.Differences), time.Since(t).Round(time.Millisecond))
	rep.Verified = len(rep.Differences) == 0
	if !rep.Verified {
		return fmt.Errorf("%w: %d", ErrDifferences, len(rep.Differences))
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "candidate"
	}
	return "not a candidate"
}

func alertOrNot(b bool) string {
	if b {
		return "alert"
	}
	return "no alert"
}

func verdict(e *bool) string {
	switch {
	case e == nil:
		return "undetermined"
	case *e:
		return "eligible"
	}
	return "not eligible"
}

func shortWhy(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// evidenceOf names the fact a failure code rests on and the platform it came from, from the
// synced row (the platform is the field's authority, evidence.Authority; a death says which
// platform recorded it).
func evidenceOf(code string, row *row) (string, string) {
	switch code {
	case "deceased":
		src := row.DeceasedSource
		if src == "both" {
			src = "province"
		}
		return "applicant.deceased", src
	case "age_below_min", "age_above_max":
		return "applicant.birth_date", string(evidence.Authority["birth_date"])
	}
	switch {
	case len(code) >= 10 && code[:10] == "disability":
		return "applicant.licences.disability", string(evidence.Authority["licences"])
	case len(code) >= 7 && code[:7] == "village", code == "not_in_district", code == "moved_out":
		return "applicant.village", string(evidence.Authority["village"])
	}
	return "", ""
}
