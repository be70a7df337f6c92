package scan

import (
	"context"
	"errors"
	"time"

	"sanmian/hub/policy"
	"sanmian/hub/store"
)

// DeltaSummary describes a delta scan: the change sequence of the saved scan it started from
// and how many residents were marked changed since.
type DeltaSummary struct {
	Since   int64 `json:"since"`
	Changed int   `json:"changed"`
}

// scope is what one run reads: the whole division, or with Options.Delta the residents
// changed since the saved full scan (the store's change tracking, store.ScanDelta).
type scope struct {
	st      store.ScanBulkReader
	ds      store.ScanDelta // nil when the store does not track changes
	seq     int64           // change sequence read before the data
	delta   bool
	since   int64
	changed []string
	set     map[string]bool // changed, as a set (evaluates)
}

// scope turns change tracking on, reads the change sequence the scan starts at and, for a
// delta scan, the saved baseline and the residents changed since; without a saved full scan
// a delta scan is a full one.
func (r *Runner) scope(ctx context.Context, o Options) (*scope, error) {
	sc := &scope{st: r.Store}
	ds, ok := r.Store.(store.ScanDelta)
	if !ok {
		if o.Delta {
			return nil, errors.New("scan: this store does not track changes (no delta scan)")
		}
		return sc, nil
	}
	sc.ds = ds
	seq, err := ds.BeginScanTracking(ctx)
	if err != nil {
		return nil, err
	}
	sc.seq = seq
	if !o.Delta {
		return sc, nil
	}
	base, ok, err := ds.ScanBaseline(ctx)
	if err != nil || !ok {
		return sc, err
	}
	sc.delta, sc.since = true, base
	if sc.changed, err = ds.ChangedSince(ctx, base); err != nil {
		return nil, err
	}
	sc.set = make(map[string]bool, len(sc.changed))
	for _, id := range sc.changed {
		sc.set[id] = true
	}
	return sc, nil
}

// load loads the scope's data (data.n: the rows evaluated): a delta scan's are the residents
// it read as changed, no more (one marked since is the next delta scan's, and Save replaces
// the findings of those it read).
func (sc *scope) load(ctx context.Context, division string) (*data, error) {
	if !sc.delta {
		return load(ctx, sc.st, division)
	}
	return loadOf(ctx, sc.st, division, sc.changed)
}

// pass is the store.PassScope of the compiled pass over division on the scan date at, with
// the member predicates of the criteria: every resident, or with a delta the residents marked
// since the baseline.
func (sc *scope) pass(division string, at time.Time, members map[string]string) store.PassScope {
	return store.PassScope{Division: division, Delta: sc.delta, ChangedAfter: sc.since, At: policy.DecisionDate(at), HouseholdMembers: members}
}

// evaluates reports whether the scan evaluates resident id: always, or with a delta when it
// is among the residents read as changed (one marked after that read is the next delta's).
func (sc *scope) evaluates(id string) bool {
	return !sc.delta || sc.set[id]
}

// record notes in rep what Save needs to merge a delta and advance the baseline.
func (sc *scope) record(rep *Report, o Options) {
	rep.tracked, rep.seq = sc.ds != nil, sc.seq
	rep.whole = o.Item == "" && o.Division == ""
	if sc.delta {
		rep.Delta = &DeltaSummary{Since: sc.since, Changed: len(sc.changed)}
		rep.changed = sc.changed
	}
}
