// Package scan runs the district scans over the synced scan data: proactive worklists (for
// every proactive item, the residents the policy finds eligible who are not enrolled, per
// village) and supervision alerts (residents on an item's roll the policy no longer finds
// eligible). Each proactive item's rule is compiled by OPA partial evaluation into a SQL filter
// the store runs (policies/scan_sql.rego); an item without a compiled form is evaluated per
// resident with the same eligibility rules (one scan evaluation per resident for all such
// items) on evidence rebuilt from the synced rows. Verify compares every item with
// per-resident decisions on the same facts.
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
	// Delta evaluates only the residents whose facts changed since the last saved scan of
	// every item over the district (store.ScanDelta); Save merges the results into the saved
	// findings. Without such a scan it is a full scan.
	Delta bool
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

	// Conflicts and Doubles count the alerts of the supervision cross checks among Alerts:
	// residents on the rolls of items a declared conflict forbids together (reported under
	// the conflict's first item), and one benefit subject enrolled more than once.
	Conflicts int `json:"conflicts"`
	Doubles   int `json:"doubles"`
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
	// Delta is set for a delta scan (delta.go).
	Delta *DeltaSummary `json:"delta,omitempty"`

	tracked bool     // the store tracks changes: Save may advance the baseline
	seq     int64    // change sequence read before the data
	whole   bool     // every item, the whole district
	changed []string // delta: the residents whose findings Save replaces
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
	sc, err := r.scope(ctx, o)
	if err != nil {
		return nil, err
	}
	d, err := sc.load(ctx, o.Division)
	if err != nil {
		return nil, err
	}
	progress("loaded %d residents, %d child links (%s)", len(d.rows), d.links, time.Since(start).Round(time.Millisecond))
	rep := &Report{At: policy.DecisionDate(o.At), Residents: d.n}
	sc.record(rep, o)

	// Proactive worklists: compiled items by the store, the others in one bulk pass.
	eligible := map[string]map[string]bool{} // item → ID → eligible (before the enrolment check)
	var goItems []string
	why := map[string]string{}
	for _, it := range items {
		if o.Dialect == "" {
			why[it.Code], goItems = "go: no SQL dialect", append(goItems, it.Code)
			continue
		}
		where, err := r.Engine.CompileSQL(ctx, "data.sanmian.scansql.candidate."+it.Code, []string{"input.scan_residents"}, o.Dialect, o.At)
		if err == nil && !r.stated(it.Code) {
			err = errors.New("no compiled criteria in data.sanmian.scansql")
		}
		if err != nil {
			why[it.Code], goItems = "go: "+shortWhy(err), append(goItems, it.Code)
			continue
		}
		t := time.Now()
		ids, _, err := sc.filter(ctx, o.Division, where)
		if err != nil {
			return nil, err
		}
		set := make(map[string]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		eligible[it.Code], why[it.Code] = set, "sql"
		progress("%s: sql, %d eligible (%s)", it.Code, len(ids), time.Since(t).Round(time.Millisecond))
	}
	if len(goItems) > 0 {
		t := time.Now()
		for _, c := range goItems {
			eligible[c] = map[string]bool{}
		}
		for i := range d.rows[:d.n] {
			if i%20000 == 0 && i > 0 {
				progress("per-resident evaluation: %d/%d residents", i, d.n)
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
		for i := range d.rows[:d.n] {
			row := &d.rows[i]
			if eligible[it.Code][row.IDNumber] && !slices.Contains(row.enrolled, it.Code) {
				res.Worklist = append(res.Worklist, Entry{ID: ident.MaskIDNumber(row.IDNumber), Village: row.Village, Item: it.Code, full: row.IDNumber})
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

	// Supervision: every enrolment of an item in scope, decided as if the resident applied
	// afresh (without the enrolment itself, which the rules refuse as already_enrolled).
	idx := map[string]int{}
	for k, it := range rep.Items {
		idx[it.Item] = k
	}
	for i := range d.rows[:d.n] {
		row := &d.rows[i]
		for _, code := range row.enrolled {
			k, ok := idx[code]
			if !ok {
				continue
			}
			ev := d.bundle(i)
			ev.Applicant.Rolls.Enrolled = slices.DeleteFunc(slices.Clone(ev.Applicant.Rolls.Enrolled), func(s string) bool { return s == code })
			dec, err := r.Engine.Decide(ctx, code, ev, o.At)
			if err != nil {
				return nil, err
			}
			if dec.Eligible == nil || *dec.Eligible {
				continue
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
			if len(a.Reasons) > 0 {
				rep.Items[k].AlertList = append(rep.Items[k].AlertList, a)
			}
		}
	}
	r.crossCheck(d, rep)
	for k := range rep.Items {
		rep.Items[k].Alerts = len(rep.Items[k].AlertList)
	}
	progress("supervision: %d enrolments decided", d.enrolments)

	if o.Verify {
		if err := r.verify(ctx, o, d, rep, progress); err != nil {
			rep.ElapsedMS = time.Since(start).Milliseconds()
			return rep, err
		}
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// stated reports whether the compiled scan package states criteria for code (an item it does
// not state would compile to "never" and silently empty the worklist).
func (r *Runner) stated(code string) bool {
	for _, c := range r.Engine.RuleNames("sanmian.scansql", "candidate") {
		if c == code {
			return true
		}
	}
	return false
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
		for i := range d.rows[:d.n] {
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
		progress("verify %s: %d residents decided", res.Item, d.n)
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
