package store

import (
	"context"
	"time"
)

// WhatIfRecord is a policy what-if job as the store keeps it, so that its result outlives
// the hub process that ran it and any replica on the same database can serve it.
type WhatIfRecord struct {
	ID     string
	Owner  string // who started it (issuer and subject); only they may read it
	Status string // the service's job status (running, done, failed)
	// Job is the job as the service shows it, as JSON, its report included (ID numbers
	// masked: full ID numbers are never kept here).
	Job     []byte
	Updated time.Time // set by the store at each save
}

// WhatIfKept is how many what-if jobs the store keeps: saving one removes the oldest
// finished jobs beyond it (a report of the whole district is several megabytes).
const WhatIfKept = 50

// WhatIfJobs keeps policy what-if jobs.
type WhatIfJobs interface {
	// SaveWhatIf inserts the record or replaces the one with its ID, sets Updated to the
	// store's time, and removes the oldest records that are not running beyond WhatIfKept. A
	// record without ID, owner, status or job is ErrInvalid.
	SaveWhatIf(ctx context.Context, r *WhatIfRecord) error
	// GetWhatIf returns the record with id, or ErrNotFound.
	GetWhatIf(ctx context.Context, id string) (WhatIfRecord, error)
}
