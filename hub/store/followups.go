package store

import (
	"context"
	"time"
)

// Audit actions of the follow-up of scan findings.
const (
	AuditContact         AuditAction = "contact"          // a cadre logged a contact with a worklist candidate
	AuditAlertResolution AuditAction = "alert_resolution" // an auditor resolved a supervision alert
)

// Contact statuses of the worklist contact log.
const (
	ContactContacted   = "contacted"   // reached; informed of the item
	ContactUnreachable = "unreachable" // could not be reached
	ContactDeclined    = "declined"    // reached; does not want to apply
	ContactApplied     = "applied"     // an application was made
)

// ContactStatuses lists the contact statuses in the order the contact log shows them.
var ContactStatuses = []string{ContactContacted, ContactUnreachable, ContactDeclined, ContactApplied}

// Contact is one entry of the contact log of a worklist candidate: the cadre's contact with
// the resident about an item. The log belongs to (Item, IDNumber) and outlives the scans: a
// candidate found again by a later scan keeps its log.
type Contact struct {
	Seq       int64 // assigned by the store
	Item      string
	IDNumber  string // full ID number (like the scan findings); mask before showing
	Village   string // the candidate's village when the entry was made
	Status    string // one of ContactStatuses
	Note      string // free text, redacted by the service before it is stored
	ActorSub  string
	ActorRole string
	At        time.Time // set by the store if zero
}

// AlertResolution is an auditor's resolution of a supervision alert, with a note. It belongs
// to (Item, IDNumber, Village), so the same alert found again by a later scan stays resolved.
type AlertResolution struct {
	Item      string
	IDNumber  string // full ID number; mask before showing
	Village   string
	Note      string // free text, redacted by the service before it is stored
	ActorSub  string
	ActorRole string
	At        time.Time // set by the store if zero
}

// Resolution filters of FindingFilter (alerts).
const (
	ResolutionAny      = ""         // every alert
	ResolutionOpen     = "open"     // alerts nobody has resolved
	ResolutionResolved = "resolved" // resolved alerts
)

// FollowUpReader reads what was done about scan findings.
type FollowUpReader interface {
	// GetScanFinding returns the finding with this Seq, with its latest contact (candidates)
	// or its resolution (alerts), or ErrNotFound (also after a rescan replaced it).
	GetScanFinding(ctx context.Context, seq int64) (ScanFinding, error)
	// ListContacts returns the contact log of (item, idNumber), newest first (empty when
	// there is none).
	ListContacts(ctx context.Context, item, idNumber string) ([]Contact, error)
}

// FollowUpWriter records what was done about scan findings. Inside Store.Tx the entries
// commit with the transaction and its audit entries.
type FollowUpWriter interface {
	// AddContact appends c to the contact log (sets Seq, and At if zero). ErrInvalid for an
	// empty item, ID number or village, or a status not in ContactStatuses.
	AddContact(ctx context.Context, c *Contact) error
	// ResolveAlert stores r (sets At if zero). ErrConflict if the alert of (r.Item,
	// r.IDNumber, r.Village) is already resolved; ErrInvalid for an empty item, ID number or
	// village.
	ResolveAlert(ctx context.Context, r *AlertResolution) error
}

// ProactiveStat counts one (village, item, month)'s worklist follow-up (proactive coverage in
// the monthly statistics), from the contact log: the candidates reached that month (an entry
// contacted, declined or applied), those an application was made for (applied), and of those
// the ones whose application for the item is approved (enrolled). Each counts residents once
// per group; the month is the entry's, in China Standard Time.
type ProactiveStat struct {
	Village, Item, Month         string
	Contacted, Applied, Enrolled int64
}

// FollowUpStats computes proactive coverage for the monthly statistics.
type FollowUpStats interface {
	// ProactiveStats returns one row per (village, item, month) with contact-log entries made
	// in [q.From, q.To) inside the division q selects (as StatsReader's methods do). Rows come
	// in no particular order; ErrInvalid for a query StatsReader refuses.
	ProactiveStats(ctx context.Context, q StatsQuery) ([]ProactiveStat, error)
}
