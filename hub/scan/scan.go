// Package scan runs the district scans over the synced scan data: proactive worklists (for
// every proactive item, the residents the policy finds eligible who are not enrolled, per
// village) and supervision alerts (residents on an item's roll the policy no longer finds
// eligible). An item whose criteria rest on the applicant alone (or on a fact the store derives
// from other rows: another member of the household on the item's roll, the number of members
// for whom a member criterion holds) is compiled by OPA partial evaluation from those criteria
// themselves (policies/criteria.rego, the same functions the live decision calls) into one SQL
// filter the store runs, for the worklist (eligible and not
// on the roll) and for supervision (on the roll and not eligible: only those enrolments are
// decided, for their reasons); an item whose criteria iterate the household or the children is
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
	"sync"
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
	// SQLCache, when set, keeps the items' compiled SQL for the next scan of the same bundle,
	// dialect and date in another process (the store's; nil: the engine's memory only).
	SQLCache policy.SQLCache
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
	var progressMu sync.Mutex // the rows are read, and supervised, while the pass runs
	progress := func(format string, a ...any) {
		if o.Progress != nil {
			progressMu.Lock()
			fmt.Fprintf(o.Progress, format+"\n", a...)
			progressMu.Unlock()
		}
	}
	rep := &Report{At: policy.DecisionDate(o.At)}
	sc, err := r.scope(ctx, o)
	if err != nil {
		return nil, err
	}
	sc.record(rep, o)

	// Proactive worklists and supervision: the items with criteria over the applicant's facts
	// compiled to SQL and run by the store in one pass, the others in one bulk pass below.
	var goItems []string
	why := map[string]string{}
	tc := time.Now()
	cp, err := r.compileAll(ctx, items, o, why)
	if err != nil {
		return nil, err
	}
	if len(cp.filters)+len(cp.screens) > 0 {
		progress("compiled %d items and %d screens to SQL (%s)", len(cp.filters), len(cp.screens), time.Since(tc).Round(time.Millisecond))
	}
	// The compiled items whose eligible decisions give reasons that do not read the evidence:
	// their worklist entries take those, with no decision each.
	constReasons := map[string][]string{}
	for _, it := range items {
		if why[it.Code] != "sql" {
			goItems = append(goItems, it.Code)
		} else if codes, ok := r.Engine.EligibleReasons(ctx, it.Code, o.At); o.Reasons && ok && len(codes) > 0 {
			constReasons[it.Code] = slices.Clip(codes)
		}
	}
	worklists := map[string][]Entry{}
	alerts := map[string][]Entry{}
	var und undecided
	screened := map[string]map[string]bool{} // screened item → ID → cleared the screen, not on the roll
	for _, s := range cp.screens {
		screened[s.item] = map[string]bool{}
	}
	// The synced rows in memory (for the items evaluated per resident, cross checks,
	// verification and a delta's own rows) need nothing from the pass, nor does the
	// supervision of the per-resident items' enrolments: both run on other connections and
	// goroutines while the store runs the pass, which leaves the cores idle at times (waits on
	// the database, the rows handed over one by one). On the whole district this took a
	// tenth off the scan and a quarter off a delta's (BENCHMARKS.md).
	var bg chan background // nil once joined
	if len(goItems) > 0 || o.Verify || r.crossChecks(items) || sc.delta {
		ch := make(chan background, 1)
		bg = ch
		bctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() { ch <- r.background(bctx, sc, o, goItems, progress) }()
		defer func() {
			if bg != nil { // returning on an error before the join: stop the reads and wait for them
				cancel()
				<-bg
			}
		}()
	}
	if len(cp.filters)+len(cp.screens) > 0 {
		t := time.Now()
		err := r.Store.ScanPass(ctx, sc.pass(o.Division, o.At, cp.members), cp.passFilters(), cp.exprs, func(sr *store.ScanResident, enrolled []string, vals []bool) error {
			if !sc.evaluates(sr.IDNumber) {
				return nil // marked after this scan began: the next delta scan takes it
			}
			for _, s := range cp.screens {
				if vals[s.expr] && !slices.Contains(enrolled, s.item) {
					screened[s.item][sr.IDNumber] = true
				}
			}
			und.add(sr, enrolled, cp.classify(sr, enrolled, vals, worklists, alerts))
			return nil
		})
		if err != nil {
			return nil, err
		}
		progress("%d items compiled to SQL and %d screens of per-resident items, one pass: %d enrolments on uncertain evidence to decide (%s)", len(cp.filters), len(cp.screens), len(und.rows), time.Since(t).Round(time.Millisecond))
	}
	if err := und.decide(ctx, r, o.Division, o.At, alerts); err != nil {
		return nil, err
	}

	// The synced rows in memory: for the items evaluated per resident, cross checks and
	// verification; for the reasons alone, only the worklists' residents and their context.
	var d *data
	var supervised map[string][]Entry // per-resident item → its alerts, from background
	if bg != nil {
		b := <-bg
		bg = nil
		if b.err != nil {
			return nil, b.err
		}
		d, supervised = b.d, b.alerts
		rep.Residents = d.n
	} else {
		if rep.Residents, err = r.Store.CountScanResidents(ctx, o.Division); err != nil {
			return nil, err
		}
		if o.Reasons {
			var ids []string
			for code, w := range worklists {
				if constReasons[code] != nil {
					continue // the item's own reasons, below
				}
				for _, e := range w {
					ids = append(ids, e.full)
				}
			}
			if d, err = loadOf(ctx, r.Store, o.Division, ids); err != nil {
				return nil, err
			}
		}
	}

	eligible := map[string]map[string][]string{} // go item → ID → reasons of an eligible verdict (before the enrolment check)
	if len(goItems) > 0 {
		t := time.Now()
		var err error
		if eligible, err = r.perResident(ctx, d, o.At, goItems, screened, progress); err != nil {
			return nil, err
		}
		progress("%d items evaluated per resident (%s)", len(goItems), time.Since(t).Round(time.Millisecond))
	}
	var reasoned int // worklist entries given their reasons by a decision, and the time it took
	var reasonTime time.Duration
	for _, it := range items {
		res := ItemResult{Item: it.Code, Evaluated: why[it.Code]}
		if why[it.Code] == "sql" {
			res.Worklist = worklists[it.Code]
			if codes := constReasons[it.Code]; codes != nil {
				for k := range res.Worklist {
					res.Worklist[k].Reasons = codes
				}
			}
		} else {
			for i := range d.rows[:d.n] {
				row := &d.rows[i]
				if rs, ok := eligible[it.Code][row.IDNumber]; ok && !slices.Contains(row.enrolled, it.Code) {
					e := Entry{ID: ident.MaskIDNumber(row.IDNumber), Village: row.Village, Item: it.Code, full: row.IDNumber}
					if o.Reasons && len(rs) > 0 {
						e.Reasons = rs // the evaluation's own: no second decision
					}
					res.Worklist = append(res.Worklist, e)
				}
			}
		}
		res.Candidates = len(res.Worklist)
		if o.Reasons {
			t := time.Now()
			for _, e := range res.Worklist {
				if len(e.Reasons) == 0 {
					reasoned++
				}
			}
			if err := r.fillReasons(ctx, d, o.At, &res); err != nil {
				return nil, err
			}
			reasonTime += time.Since(t)
		}
		rep.Items = append(rep.Items, res)
	}
	if reasoned > 0 {
		progress("reasons of %d worklist entries decided (%s; the per-resident items' entries have theirs from the evaluation, and those of items whose eligible reasons do not read the evidence are the item's)", reasoned, reasonTime.Round(time.Millisecond))
	}

	// The alerts of the compiled items come from the pass, those of the items evaluated per
	// resident from their supervision (background).
	for k := range rep.Items {
		if code := rep.Items[k].Item; why[code] == "sql" {
			rep.Items[k].AlertList = alerts[code]
		} else {
			rep.Items[k].AlertList = supervised[code]
		}
	}

	// Verification compares what the policy decides (worklists and alerts per resident); the
	// cross checks below (conflicts between items, doubles on one subject) are not decisions
	// of one resident, so they come after it.
	var verr error
	if o.Verify {
		verr = r.verify(ctx, o, d, rep, progress)
	}
	if r.crossChecks(items) {
		r.crossCheck(d, rep)
	}
	tv := time.Now()
	if n, err := r.villageRolls(ctx, o.Division, sc.evaluates, items, rep); err != nil {
		return nil, err
	} else if n > 0 {
		progress("other villages' rolls: %d entries compared (%s)", n, time.Since(tv).Round(time.Millisecond))
	}
	for k := range rep.Items {
		sort.SliceStable(rep.Items[k].AlertList, func(i, j int) bool { return rep.Items[k].AlertList[i].full < rep.Items[k].AlertList[j].full })
		rep.Items[k].Alerts = len(rep.Items[k].AlertList)
	}
	if verr != nil {
		rep.ElapsedMS = time.Since(start).Milliseconds()
		return rep, verr
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// undecided are the enrolled residents a compiled filter flags without deciding (uncertain
// evidence), with the items to decide for each.
type undecided struct {
	rows  []row
	items [][]string
}

func (u *undecided) add(sr *store.ScanResident, enrolled, items []string) {
	if len(items) > 0 {
		u.rows = append(u.rows, row{ScanResident: *sr, enrolled: slices.Clone(enrolled)})
		u.items = append(u.items, items)
	}
}

// decide decides the enrolments one by one with r's policy, on each resident's evidence with
// its household and children (a compiled item's criteria may read facts the store derives from
// them, such as another member on the roll), and adds the alerts. A resident gone from the
// store since the pass has no enrolment left to decide.
func (u *undecided) decide(ctx context.Context, r *Runner, division string, at time.Time, alerts map[string][]Entry) error {
	if len(u.rows) == 0 {
		return nil
	}
	ids := make([]string, len(u.rows))
	for i := range u.rows {
		ids[i] = u.rows[i].IDNumber
	}
	ud, err := loadOf(ctx, r.Store, division, ids)
	if err != nil {
		return err
	}
	for k := range u.rows {
		i, ok := ud.index[u.rows[k].IDNumber]
		if !ok || i >= ud.n {
			continue
		}
		for _, code := range u.items[k] {
			a, err := r.alert(ctx, ud, i, code, at)
			if err != nil {
				return err
			}
			if a != nil {
				alerts[code] = append(alerts[code], *a)
			}
		}
	}
	return nil
}

// classify adds a row of the pass to the compiled items' worklists (not on the roll,
// eligible) and alerts (on the roll, not kept, on certain evidence) and returns the items
// whose enrolment it holds on uncertain evidence, to be decided one by one.
func (c *compiled) classify(sr *store.ScanResident, enrolled []string, vals []bool, worklists, alerts map[string][]Entry) (pending []string) {
	for k := range c.items {
		ci := &c.items[k]
		on := slices.Contains(enrolled, ci.code)
		switch {
		case !on && ci.eligible(vals):
			worklists[ci.code] = append(worklists[ci.code], Entry{ID: ident.MaskIDNumber(sr.IDNumber), Village: sr.Village, Item: ci.code, full: sr.IDNumber})
		case on && !ci.keeps(vals):
			if a := c.alert(ci, sr, vals); a != nil {
				alerts[ci.code] = append(alerts[ci.code], *a)
			} else if !vals[ci.decidable] {
				pending = append(pending, ci.code)
			}
		}
	}
	return pending
}

// compiledItem is one compiled item's place in a scan pass: the indexes of its expressions
// (the generic conditions and each criterion's clearance).
type compiledItem struct {
	code      string
	rule      string
	item      policy.Item
	decidable int
	criteria  []string
	clears    []int
}

// eligible and keeps are the item's filters on a selected row, from the values of their
// parts (the pass selects rows with the whole filters and returns the parts only).
func (ci *compiledItem) eligible(vals []bool) bool { return ci.holds(vals, true) }

func (ci *compiledItem) keeps(vals []bool) bool { return ci.holds(vals, false) }

func (ci *compiledItem) holds(vals []bool, ownRecord bool) bool {
	if !vals[ci.decidable] {
		return false
	}
	for k, cr := range ci.criteria {
		if !vals[ci.clears[k]] && (ownRecord || !ci.item.OwnRecord(cr)) {
			return false
		}
	}
	return true
}

// compiled is the scan pass of the compiled items, with the screens of the items evaluated
// per resident.
type compiled struct {
	filters []store.ItemFilter
	items   []compiledItem
	exprs   []string
	screens []screen
	members map[string]string // member predicate name → SQL (store.PassScope.HouseholdMembers)
	// unmembered: the member predicates that did not compile, with why.
	unmembered map[string]error
}

// readsUncompiled returns the error of a member predicate that the SQL x reads and that did
// not compile.
func (c *compiled) readsUncompiled(x string) error {
	for name, err := range c.unmembered {
		if strings.Contains(x, "scan_residents."+store.HouseholdMembersPrefix+name) {
			return fmt.Errorf("member predicate %s: %w", name, err)
		}
	}
	return nil
}

// screen is a per-resident item's criteria over the applicant's facts (and the facts the
// store derives from other rows, store.HouseholdLastDeath and the others), compiled with the
// generic conditions into one filter (expression expr of the pass): a resident who does not
// clear it is not eligible, whatever else the household or the children hold, so only those
// who do are evaluated per resident for the item's worklist. (Supervision decides every
// enrolment.)
type screen struct {
	item   string
	expr   int
	filter string
}

// passFilters is what the store's pass selects: the compiled items' filters, and for each
// screen the residents who clear it and are not on the roll (no Keeps: no supervision rows).
func (c *compiled) passFilters() []store.ItemFilter {
	out := slices.Clone(c.filters)
	for _, s := range c.screens {
		out = append(out, store.ItemFilter{Item: s.item, Eligible: s.filter})
	}
	return out
}

// expr returns the index of the SQL expression x in the pass (identical expressions, such as
// the generic conditions most items share, are evaluated once).
func (c *compiled) expr(x string) int {
	if k := slices.Index(c.exprs, x); k >= 0 {
		return k
	}
	c.exprs = append(c.exprs, x)
	return len(c.exprs) - 1
}

// compileAll compiles, for every item in items that the criteria package states criteria for
// and does not evaluate per resident, the SQL of: the generic conditions of a decision on the
// row's evidence (data.sanmian.scan.decidable), each criterion clears.<item>.<code>, the
// conjunction of both (eligibility, the roll aside), and the conjunction without the criteria
// that refuse the item's own record (*already_enrolled and the catalogue's entry_only codes:
// conditions to join, not to stay), which is what keeps an enrolment from
// an alert, as Runner.alert drops those reasons. why records "sql" or "go: <why>" per item.
func (r *Runner) compileAll(ctx context.Context, items []policy.Item, o Options, why map[string]string) (*compiled, error) {
	perResident := r.Engine.PerResident()
	c := &compiled{members: map[string]string{}, unmembered: map[string]error{}}
	if o.Dialect == "" {
		for _, it := range items {
			why[it.Code] = "go: no SQL dialect"
		}
		return c, nil
	}
	sql := func(q string) (string, error) {
		return r.Engine.CompileSQL(ctx, q, scanUnknowns, o.Dialect, o.At)
	}
	// Every query below first, compiled on all cores; the loops then read the results in
	// order.
	members := r.Engine.RuleNames(policy.CriteriaPackage, "member")
	crits := make([][]string, len(items))
	qs := make([]itemQueries, len(items))
	var all []string
	for _, name := range members {
		all = append(all, memberQuery(name))
	}
	for i, it := range items {
		crits[i] = r.Engine.Criteria(it.Code)
		if len(crits[i]) == 0 {
			continue
		}
		qs[i] = queriesOf(it, crits[i])
		if perResident[it.Code] != "" {
			all = append(all, qs[i].eligible)
		} else {
			all = append(append(all, qs[i].eligible, qs[i].keeps, qs[i].decidable), qs[i].parts...)
		}
	}
	slices.Sort(all)
	if err := r.Engine.PrecompileSQL(ctx, r.SQLCache, slices.Compact(all), scanUnknowns, o.Dialect, o.At); err != nil {
		return nil, err
	}

	// The member predicates (criteria member.<name>), whose counts per household the store
	// derives for the criteria that read them; one that does not compile leaves the items
	// reading it to the per-resident evaluation.
	for _, name := range members {
		x, err := sql(memberQuery(name))
		if err != nil {
			c.unmembered[name] = err
			continue
		}
		c.members[name] = x
	}
	for i, it := range items {
		code, crit, q := it.Code, crits[i], qs[i]
		switch {
		case perResident[code] != "":
			why[code] = "go: " + perResident[code]
			if len(crit) > 0 {
				// The item's criteria (over the applicant, and facts the store derives) screen the residents to evaluate.
				if err := c.screen(sql, code, q.eligible); err != nil {
					why[code] += "; no screen: " + shortWhy(err)
				} else {
					why[code] += fmt.Sprintf("; screened in SQL by %d criteria (%s)", len(crit), strings.Join(crit, ", "))
				}
			}
			continue
		case len(crit) == 0:
			why[code] = "go: no criteria stated over the applicant's facts in data." + policy.CriteriaPackage
			continue
		}
		ci := compiledItem{code: code, rule: it.Basis.Cite, item: it, criteria: crit}
		eligible, err := sql(q.eligible)
		if err == nil {
			err = c.readsUncompiled(eligible)
		}
		if err == nil {
			var keeps, d string
			if keeps, err = sql(q.keeps); err == nil {
				if d, err = sql(q.decidable); err == nil {
					ci.decidable = c.expr(d)
					c.filters = append(c.filters, store.ItemFilter{Item: code, Eligible: eligible, Keeps: keeps})
				}
			}
		}
		for _, p := range q.parts {
			if err != nil {
				break
			}
			var x string
			if x, err = sql(p); err == nil {
				ci.clears = append(ci.clears, c.expr(x))
			}
		}
		if err != nil {
			if len(c.filters) > 0 && c.filters[len(c.filters)-1].Item == code {
				c.filters = c.filters[:len(c.filters)-1]
			}
			why[code] = "go: " + shortWhy(err)
			continue
		}
		c.items = append(c.items, ci)
		why[code] = "sql"
	}
	return c, nil
}

// scanUnknowns are the compiled queries' unknowns: the rows of the store's scan table.
var scanUnknowns = []string{"input.scan_residents"}

func memberQuery(name string) string {
	return fmt.Sprintf("data.%s.member.%s(input.scan_residents)", policy.CriteriaPackage, name)
}

// itemQueries are the Rego queries of an item with criteria: each criterion (parts), their
// conjunction with the generic conditions of a decision on the row's evidence (eligible, the
// roll aside), the same without the criteria that refuse the item's own record (keeps), and
// the generic conditions alone (decidable).
type itemQueries struct {
	parts                      []string
	eligible, keeps, decidable string
}

// queriesOf states item it's queries over criteria crit. The item's criteria come first, the
// generic conditions last: the criteria are the selective part, so the store rejects most
// rows on their first comparison.
func queriesOf(it policy.Item, crit []string) itemQueries {
	dec := fmt.Sprintf("data.sanmian.scan.decidable(%q, input.scan_residents)", it.Code)
	var all, keep, parts []string
	for _, cr := range crit {
		q := fmt.Sprintf("data.%s.clears.%s.%s(input.scan_residents)", policy.CriteriaPackage, it.Code, cr)
		all = append(all, q)
		if !it.OwnRecord(cr) {
			keep = append(keep, q)
		}
		parts = append(parts, q)
	}
	return itemQueries{parts: parts, eligible: strings.Join(append(all, dec), "; "), keeps: strings.Join(append(keep, dec), "; "), decidable: dec}
}

// screen compiles per-resident item code's criteria over the applicant with the generic
// conditions (query) into a screen of the pass.
func (c *compiled) screen(sql func(string) (string, error), code, query string) error {
	x, err := sql(query)
	if err == nil {
		err = c.readsUncompiled(x)
	}
	if err != nil {
		return err
	}
	c.screens = append(c.screens, screen{item: code, expr: c.expr(x), filter: x})
	return nil
}

// alert is the supervision alert of a compiled item on a row the pass selected for it (on
// the roll, not kept), when the row's evidence is certain (decidable): the decision would
// refuse with every criterion the row does not clear, sorted, as the policy orders its
// reasons. It returns nil for a row on uncertain evidence, which is decided instead, except a
// death the province records, which refuses every item with that reason alone.
func (c *compiled) alert(ci *compiledItem, sr *store.ScanResident, vals []bool) *Entry {
	a := &Entry{ID: ident.MaskIDNumber(sr.IDNumber), Village: sr.Village, Item: ci.code, Rule: ci.rule, full: sr.IDNumber}
	rw := &row{ScanResident: *sr}
	switch {
	case sr.DeceasedSource == "province" || sr.DeceasedSource == "both":
		a.Reasons = []string{"deceased"}
	case vals[ci.decidable]:
		for k, cr := range ci.criteria {
			if !vals[ci.clears[k]] && !ci.item.OwnRecord(cr) {
				a.Reasons = append(a.Reasons, cr)
			}
		}
	default:
		return nil
	}
	for _, re := range a.Reasons {
		f, src := evidenceOf(re, rw)
		a.Evidence, a.Sources = append(a.Evidence, f), append(a.Sources, src)
	}
	return a
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
	var it policy.Item
	for _, x := range r.Engine.Items() {
		if x.Code == code {
			it = x
			break
		}
	}
	a := Entry{ID: ident.MaskIDNumber(row.IDNumber), Village: row.Village, Item: code, full: row.IDNumber}
	for _, re := range dec.Reasons {
		if it.OwnRecord(re.Code) {
			continue // the enrolment itself or a condition to join (entry_only), not a lost eligibility
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
	ids := make([]string, len(res.Worklist))
	for k, e := range res.Worklist {
		ids[k] = e.full
	}
	d, err := loadOf(ctx, s, division, ids)
	if err != nil {
		return err
	}
	return r.fillReasons(ctx, d, at, res)
}

// fillReasons decides each worklist entry of res without reasons (an item evaluated per
// resident has them from its evaluation) and gives it its decision's reason codes.
func (r *Runner) fillReasons(ctx context.Context, d *data, at time.Time, res *ItemResult) error {
	// On every processor: each entry is decided and written by one worker.
	return forEach(ctx, len(res.Worklist), func(ctx context.Context, _, k int) error {
		i, ok := d.index[res.Worklist[k].full]
		if !ok || len(res.Worklist[k].Reasons) > 0 {
			return nil
		}
		dec, err := r.Engine.Decide(ctx, res.Item, d.bundle(i), at)
		if err != nil {
			return err
		}
		res.Worklist[k].Reasons = res.Worklist[k].Reasons[:0]
		for _, re := range dec.Reasons {
			res.Worklist[k].Reasons = append(res.Worklist[k].Reasons, re.Code)
		}
		return nil
	})
}

func (r *Runner) verify(ctx context.Context, o Options, d *data, rep *Report, progress func(string, ...any)) error {
	t := time.Now()
	for k := range rep.Items {
		res := &rep.Items[k]
		got := map[string]bool{}
		for _, e := range res.Worklist {
			got[e.full] = true
		}
		alerted := map[string]bool{}
		for _, e := range res.AlertList {
			alerted[e.full] = true
		}
		// Every resident decided on every processor; the differences in row order.
		diffs := make([][]Difference, d.n)
		err := forEach(ctx, d.n, func(ctx context.Context, _, i int) error {
			row := &d.rows[i]
			dec, err := r.Engine.Decide(ctx, res.Item, d.bundle(i), o.At)
			if err != nil {
				return err
			}
			on := slices.Contains(row.enrolled, res.Item)
			want := dec.Eligible != nil && *dec.Eligible && !on
			if want != got[row.IDNumber] {
				diffs[i] = append(diffs[i], Difference{Item: res.Item, ID: ident.MaskIDNumber(row.IDNumber),
					Scan: yesNo(got[row.IDNumber]), Decision: verdict(dec.Eligible)})
			}
			if !on {
				if alerted[row.IDNumber] { // supervision is of enrolments only
					diffs[i] = append(diffs[i], Difference{Item: res.Item + " (supervision)", ID: ident.MaskIDNumber(row.IDNumber),
						Scan: "alert", Decision: "not on the roll"})
				}
				return nil
			}
			a, err := r.alert(ctx, d, i, res.Item, o.At)
			if err != nil {
				return err
			}
			if (a != nil) != alerted[row.IDNumber] {
				diffs[i] = append(diffs[i], Difference{Item: res.Item + " (supervision)", ID: ident.MaskIDNumber(row.IDNumber),
					Scan: alertOrNot(alerted[row.IDNumber]), Decision: alertOrNot(a != nil)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, ds := range diffs {
			rep.Differences = append(rep.Differences, ds...)
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
