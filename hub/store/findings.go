package store

import "context"

// Kinds of scan finding.
const (
	FindingCandidate = "candidate" // proactive worklist: eligible and not enrolled
	FindingAlert     = "alert"     // supervision: enrolled and no longer eligible
)

// ScanFinding is one persisted result of a district scan: a worklist candidate or an alert.
type ScanFinding struct {
	Seq      int64  // assigned by the store; the paging cursor
	Kind     string // FindingCandidate or FindingAlert
	Item     string
	IDNumber string // full ID number (the scan data holds it too); mask before showing
	Village  string // 12-digit village code
	Reasons  []string
	Rule     string   // legal basis (alerts)
	Evidence []string // facts the failing criteria rest on (alerts)
	Sources  []string // platform of each evidence fact (alerts)
	At       string   // scan date YYYY-MM-DD
	// Contact is the latest entry of the candidate's contact log (candidates; nil when none).
	Contact *Contact
	// Resolution is the alert's resolution (alerts; nil while open).
	Resolution *AlertResolution
}

// FindingFilter selects scan findings. Kind is required; Item "" means every item; the
// division is DivisionPrefix (village codes starting with it, "" for all) and, when set,
// Villages (one of these villages). Resolution (alerts only) is ResolutionAny, ResolutionOpen
// or ResolutionResolved.
type FindingFilter struct {
	Kind           string
	Item           string
	DivisionPrefix string
	Villages       []string
	Resolution     string
}

// ScanResults keeps the latest scan results, which the worklist and alert views read.
type ScanResults interface {
	// ReplaceScanFindings replaces, in one transaction, every finding of item whose village
	// starts with division ("" for the district) by findings (both kinds; each must have
	// this item and a village in the division, else ErrInvalid and nothing changes). Findings
	// of other items and of villages outside the division stay. A finding equal to one it
	// replaces but for the scan date (At) keeps that finding's Seq, with the new date: a
	// candidate's or an alert's id, a worklist's order and a page token stay put across
	// rescans. The other findings get new Seqs, in order.
	ReplaceScanFindings(ctx context.Context, item, division string, findings []ScanFinding) error
	// ListScanFindings returns the findings matching f in Seq order, a page at a time: the
	// next cursor is "" on the last page (limit default 50, at most 1000), each with its
	// latest contact (candidates) or resolution (alerts). An invalid filter (no kind,
	// non-digit prefix, a resolution filter other than the three, or one on candidates) or
	// cursor is ErrInvalid.
	ListScanFindings(ctx context.Context, f FindingFilter, p Page) ([]ScanFinding, string, error)
}
