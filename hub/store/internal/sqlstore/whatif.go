package sqlstore

import (
	"context"
	"fmt"

	"sanmian/hub/store"
)

// SaveWhatIf implements store.WhatIfJobs.
func (db *DB) SaveWhatIf(ctx context.Context, r *store.WhatIfRecord) error {
	if r.ID == "" || r.Owner == "" || r.Status == "" || len(r.Job) == 0 {
		return fmt.Errorf("%w: a what-if record needs an ID, an owner, a status and the job", store.ErrInvalid)
	}
	r.Updated = store.Now()
	return db.do(ctx, func(w *writer) error {
		_, err := w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO whatif_jobs (id, owner, status, job, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, status = excluded.status, job = excluded.job, updated_at = excluded.updated_at`),
			r.ID, r.Owner, r.Status, string(r.Job), r.Updated)
		if err != nil {
			return wrap("save what-if", err)
		}
		_, err = w.q.ExecContext(ctx, w.d.SQL(`DELETE FROM whatif_jobs WHERE status <> 'running' AND id NOT IN
			(SELECT id FROM whatif_jobs ORDER BY updated_at DESC, id DESC LIMIT ?)`), store.WhatIfKept)
		return wrap("prune what-ifs", err)
	})
}

// GetWhatIf implements store.WhatIfJobs.
func (r reader) GetWhatIf(ctx context.Context, id string) (store.WhatIfRecord, error) {
	var rec store.WhatIfRecord
	var job string
	err := r.q.QueryRowContext(ctx, r.d.SQL(`SELECT id, owner, status, job, updated_at FROM whatif_jobs WHERE id = ?`), id).
		Scan(&rec.ID, &rec.Owner, &rec.Status, &job, &rec.Updated)
	if err != nil {
		return rec, wrap("read what-if", err)
	}
	rec.Job, rec.Updated = []byte(job), store.NormTime(rec.Updated)
	return rec, nil
}
