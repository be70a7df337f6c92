// Package snapshot syncs the district platform's change feed into the hub's resident
// snapshot (the data the proactive scan runs on), and serves that snapshot back to the
// evidence assembler as a household index.
//
// Sync is resumable and idempotent: it starts from the cursor saved in the store, applies
// each page of changes together with the cursor after it in one store transaction
// (SnapshotStore.ApplySnapshot: upserts, and deletes of residents taken off the village roll),
// and so may be killed at any point and run again without losing or duplicating rows. The
// next page is fetched while the current one is written.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sanmian/connectors/district"
	"sanmian/connectors/internal/wire"
	"sanmian/hub/store"
)

// Feed is the name under which the district resident feed's cursor is saved.
const Feed = "district.residents"

// SnapshotStore is the part of the hub's store that Sync writes to. ApplySnapshot must apply
// rows in order (upsert, or delete when Deleted is set; deleting an absent resident is not an
// error) and save nextCursor in one transaction.
type SnapshotStore interface {
	SyncCursor(ctx context.Context, feed string) (string, error)
	ApplySnapshot(ctx context.Context, feed string, rows []store.Resident, nextCursor string) error
}

// ChangeFeed is the district platform's change feed (*district.Client).
type ChangeFeed interface {
	Changes(ctx context.Context, cursor string, limit int) (district.ChangePage, error)
}

var _ ChangeFeed = (*district.Client)(nil)

// Progress is reported after every applied page. Rows and Deletes count each resident once
// per page, by the last change to them in that page (an upsert followed by a delete counts
// as one delete); a delete of a resident not in the snapshot still counts.
type Progress struct {
	Pages         int           // pages applied in this run
	Rows          int64         // rows upserted in this run
	Deletes       int64         // residents deleted from the snapshot in this run
	LastSeq       int64         // sequence number of the last applied change
	Cursor        string        // cursor saved with the last page
	Elapsed       time.Duration // since Sync started
	RowsPerSecond float64       // Rows per second of Elapsed
	Done          bool          // the feed has no more changes
}

// Option tunes Sync.
type Option func(*options)

type options struct {
	limit int
	feed  string
}

// WithPageSize sets the number of changes asked per page (default and maximum 5000).
func WithPageSize(n int) Option { return func(o *options) { o.limit = n } }

// WithFeedName saves the cursor under name instead of Feed.
func WithFeedName(name string) Option { return func(o *options) { o.feed = name } }

// Sync applies the district change feed to st from the saved cursor until the feed has no
// more changes, calling progress (if not nil) after every page. It returns ctx's error when
// canceled; whatever was applied stays applied, with its cursor, and the next Sync resumes
// there. A delete change removes the resident and their enrolments from the snapshot (the
// proactive scan no longer sees them) until a later upsert brings them back.
func Sync(ctx context.Context, feed ChangeFeed, st SnapshotStore, progress func(Progress), opts ...Option) error {
	o := options{limit: district.MaxChangesLimit, feed: Feed}
	for _, opt := range opts {
		opt(&o)
	}
	if o.limit < 1 || o.limit > district.MaxChangesLimit {
		return fmt.Errorf("snapshot: page size must be 1-%d", district.MaxChangesLimit)
	}
	cursor, err := st.SyncCursor(ctx, o.feed)
	if err != nil {
		return fmt.Errorf("snapshot: read cursor: %w", err)
	}
	start := time.Now()
	var p Progress

	type fetched struct {
		page district.ChangePage
		err  error
	}
	fetch := func(cursor string) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			pg, err := feed.Changes(ctx, cursor, o.limit)
			ch <- fetched{pg, err}
		}()
		return ch
	}
	next := fetch(cursor)
	for {
		f := <-next
		if f.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("snapshot: fetch changes: %w", f.err)
		}
		if f.page.HasMore {
			next = fetch(f.page.NextCursor) // overlap the next fetch with this write
		}
		rows, upserts, deletes, last := convert(f.page.Changes)
		if err := st.ApplySnapshot(ctx, o.feed, rows, f.page.NextCursor); err != nil {
			if ctx.Err() != nil {
				drain(next, f.page.HasMore)
				return ctx.Err()
			}
			drain(next, f.page.HasMore)
			return fmt.Errorf("snapshot: apply page: %w", err)
		}
		p.Pages++
		p.Rows += upserts
		p.Deletes += deletes
		if last > 0 {
			p.LastSeq = last
		}
		p.Cursor = f.page.NextCursor
		p.Elapsed = time.Since(start)
		if s := p.Elapsed.Seconds(); s > 0 {
			p.RowsPerSecond = float64(p.Rows) / s
		}
		p.Done = !f.page.HasMore
		if progress != nil {
			progress(p)
		}
		if p.Done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			drain(next, true)
			return err
		}
	}
}

// drain waits for an outstanding fetch so no goroutine outlives Sync.
func drain[T any](ch <-chan T, pending bool) {
	if pending {
		<-ch
	}
}

// convert maps changes to snapshot rows, deletes included (the last change of an ID in the
// page wins), and returns how many rows are upserts and deletes and the last change's seq.
func convert(changes []district.Change) (rows []store.Resident, upserts, deletes, last int64) {
	rows = make([]store.Resident, 0, len(changes))
	at := make(map[string]int, len(changes))
	for _, c := range changes {
		last = c.Seq
		var r store.Resident
		if c.Op == "delete" {
			r = store.Resident{IDNumber: c.IDNumber, UpdatedSeq: c.Seq, Deleted: true}
		} else {
			r = Row(c)
		}
		if i, ok := at[r.IDNumber]; ok {
			rows[i] = r
			continue
		}
		at[r.IDNumber] = len(rows)
		rows = append(rows, r)
	}
	for _, r := range rows {
		if r.Deleted {
			deletes++
		}
	}
	return rows, int64(len(rows)) - deletes, deletes, last
}

// Row maps one upsert change to a snapshot row (Sync turns a delete change into a row with
// only the ID number, the seq and Deleted set). Sex and birth date come from the ID number;
// hukou type and land come from the feed when it carries them (the resident record does
// not), otherwise they stay empty/zero.
func Row(c district.Change) store.Resident {
	r := c.Resident
	row := store.Resident{
		IDNumber: c.IDNumber, Sex: wire.SexOf(c.IDNumber), BirthDate: wire.BirthOf(c.IDNumber),
		HukouType: c.HukouType, UpdatedSeq: c.Seq,
	}
	if c.LandMu != nil {
		row.LandMu = *c.LandMu
	}
	if r == nil {
		return row
	}
	row.Name, row.Village, row.HouseholdID = r.Name, r.Village, r.HouseholdID
	row.Relation = r.Relation
	if row.Relation == "parent" {
		row.Relation = map[string]string{"M": "father", "F": "mother"}[row.Sex]
	}
	row.Deceased, row.Dibao, row.Tekun = r.Rolls.Deceased, r.Rolls.Dibao, r.Rolls.Tekun
	row.DisabilityCategory, row.DisabilityGrade = r.DisabilityCategory, r.DisabilityGrade
	row.Veteran = r.Rolls.Veteran
	row.Enrolled = append([]string(nil), r.Rolls.Enrolled...)
	return row
}

// ResidentReader is the part of the hub's store the household index reads.
type ResidentReader interface {
	GetResident(ctx context.Context, idNumber string) (store.Resident, error)
	ScanResidents(ctx context.Context, q store.ResidentQuery) ([]store.Resident, string, error)
}

// Index serves household membership from the synced snapshot; it implements
// evidence.HouseholdIndex.
type Index struct{ R ResidentReader }

// HouseholdMembers returns the household number and members of id's household per the
// snapshot; ok is false when id is not in the snapshot.
func (ix Index) HouseholdMembers(ctx context.Context, id string) (string, []string, bool, error) {
	r, err := ix.R.GetResident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	if r.HouseholdID == "" {
		return "", []string{id}, true, nil
	}
	rows, _, err := ix.R.ScanResidents(ctx, store.ResidentQuery{Where: "residents.household_id = ?", Args: []any{r.HouseholdID}, Limit: 200})
	if err != nil {
		return "", nil, false, err
	}
	ids := make([]string, 0, len(rows))
	for _, m := range rows {
		ids = append(ids, m.IDNumber)
	}
	return r.HouseholdID, ids, true, nil
}
