package store

import "context"

// ScanDelta tracks which residents' scan facts changed, for delta scans.
//
// Tracking starts with the first BeginScanTracking; from then on every applied page of a feed
// (ApplySnapshot, ApplyProvinceFacts, ApplyCityEnrolments) takes the next change sequence
// number and marks, in the same transaction, every resident whose scan evidence it may
// change: the residents it touches (deleted ones included), the members of their households
// before and after the change (household aggregates), and the parents linked to them by a
// child link before and after (a parent's evidence holds the children). A resident's mark is
// the sequence of the last page that marked them.
type ScanDelta interface {
	// BeginScanTracking turns tracking on (idempotent) and returns the current change
	// sequence. A scan calls it before it reads the synced data: every change not visible to
	// that read is marked with a larger sequence.
	BeginScanTracking(ctx context.Context) (int64, error)
	// ScanBaseline returns the change sequence the saved findings are current to (set by
	// SetScanBaseline after a scan of every item over the district); ok is false when no such
	// scan was saved.
	ScanBaseline(ctx context.Context) (seq int64, ok bool, err error)
	// SetScanBaseline records seq as the change sequence the saved findings are current to.
	SetScanBaseline(ctx context.Context, seq int64) error
	// ChangedSince returns the ID numbers marked after seq, in ID-number order, including
	// residents no longer on the roll.
	ChangedSince(ctx context.Context, seq int64) ([]string, error)
	// FilterChangedScanResidents is FilterScanResidents restricted to the residents marked
	// after seq (the same filter with one more condition, ChangedAfterSQL).
	FilterChangedScanResidents(ctx context.Context, division, where string, seq int64) (ids, villages []string, err error)
	// ReplaceScanFindingsOf replaces, in one transaction, the findings of items in division
	// of the residents ids by findings (each must be of one of items, in division and of one
	// of ids, else ErrInvalid and nothing changes); every other finding stays. As in
	// ReplaceScanFindings, a finding equal to one it replaces but for the scan date keeps its
	// Seq.
	ReplaceScanFindingsOf(ctx context.Context, items []string, division string, ids []string, findings []ScanFinding) error
}

// ChangedAfterSQL is the condition, in either dialect with one ? parameter (the sequence),
// that restricts a filter over scan_residents to the residents marked after that sequence.
const ChangedAfterSQL = "scan_residents.id_number IN (SELECT id_number FROM scan_changes WHERE seq > ?)"

// BulkLoader is a store that loads a first sync faster with some work deferred.
type BulkLoader interface {
	// BeginBulkLoad prepares a sync: when the synced tables are empty (a first load) a store
	// may drop their secondary indexes and relax durability of its commits to the crash
	// safety of the file (not of the last commits on power loss) until EndBulkLoad. It
	// reports whether the caller ends the sync with EndBulkLoad: after a first load, and on a
	// store that gathers statistics there, after a sync following a first load that stopped
	// before its end.
	BeginBulkLoad(ctx context.Context) (bool, error)
	// EndBulkLoad recreates what BeginBulkLoad dropped and restores durability; a store also
	// does this when it opens after a load that did not end. A store whose planner keeps
	// statistics gathers them for the loaded tables here. Nothing to do is not an error.
	EndBulkLoad(ctx context.Context) error
}
