package sync

import (
	"context"
	"errors"
	"fmt"

	"sanmian/connectors/city"
	"sanmian/hub/store"
)

// EnrolmentFeed is the city's enrolment change feed (*city.Client).
type EnrolmentFeed interface {
	Changes(ctx context.Context, cursor string, size int) (city.ChangePage, error)
}

var _ EnrolmentFeed = (*city.Client)(nil)

// City applies the city's enrolment change feed to st from the saved cursor
// (store.FeedCityEnrolments unless WithFeedName) until it has no more changes.
func City(ctx context.Context, feed EnrolmentFeed, st store.EnrolmentStore, progress func(Progress), opts ...Option) error {
	o, err := applyOptions(store.FeedCityEnrolments, opts)
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context, cursor string, limit int) (page[store.CityEnrolment], error) {
		pg, err := feed.Changes(ctx, cursor, limit)
		if err != nil {
			return page[store.CityEnrolment]{}, err
		}
		out := page[store.CityEnrolment]{next: pg.NextCursor, more: pg.HasMore, rows: make([]store.CityEnrolment, 0, len(pg.Changes))}
		for _, c := range pg.Changes {
			out.lastSeq = c.Seq
			out.rows = append(out.rows, CityRow(c))
		}
		out.rows, out.upserts, out.deletes = reduce(out.rows, func(r *store.CityEnrolment) string { return r.IDNumber },
			func(r *store.CityEnrolment) bool { return r.Deleted })
		return out, nil
	}
	return pipeline(ctx, o, st.SyncCursor, fetch, st.ApplyCityEnrolments, progress)
}

// CityRow maps one enrolment change to the resident's city record.
func CityRow(c city.Change) store.CityEnrolment {
	row := store.CityEnrolment{IDNumber: c.IDNumber, UpdatedSeq: c.Seq}
	if c.Op == city.OpDelete || c.Record == nil {
		row.Deleted = c.Op == city.OpDelete
		return row
	}
	in := c.Record.Insurance
	row.Pension, row.PensionSince, row.PensionMonthly = in.Pension, in.PensionSince, in.PensionMonthly
	row.Medical, row.MedicalYear = in.Medical, in.MedicalYear
	row.Employment, row.UnemployedSince, row.EmploymentDifficulty = in.Employment, in.UnemployedSince, in.EmploymentDifficulty
	return row
}

// Feeds are the three platforms' feeds; a nil feed is skipped.
type Feeds struct {
	District DistrictFeed
	Province BackflowFeed
	City     EnrolmentFeed
}

// Store is the part of the hub's store that All writes to.
type Store interface {
	store.ResidentFeedStore
	store.BackflowStore
	store.EnrolmentStore
}

// All syncs the three feeds concurrently, each under its default cursor name (pass
// WithPageSize, not WithFeedName; fetching and decoding overlap; the store serialises
// the writes as it must), and returns the first error, after every feed has stopped. progress
// may be called from several goroutines at once, one feed's calls in order.
//
// When st is a store.BulkLoader, a first load runs in its bulk mode (secondary indexes built
// once at the end); the indexes are rebuilt before All returns, also on an error.
func All(ctx context.Context, f Feeds, st Store, progress func(Progress), opts ...Option) (err error) {
	if bl, ok := st.(store.BulkLoader); ok {
		bulk, berr := bl.BeginBulkLoad(ctx)
		if berr != nil {
			return fmt.Errorf("sync: begin bulk load: %w", berr)
		}
		if bulk {
			defer func() {
				if e := bl.EndBulkLoad(context.WithoutCancel(ctx)); e != nil && err == nil {
					err = fmt.Errorf("sync: end bulk load: %w", e)
				}
			}()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job func() error
	var jobs []job
	if f.District != nil {
		jobs = append(jobs, func() error { return District(ctx, f.District, st, progress, opts...) })
	}
	if f.Province != nil {
		jobs = append(jobs, func() error { return Province(ctx, f.Province, st, progress, opts...) })
	}
	if f.City != nil {
		jobs = append(jobs, func() error { return City(ctx, f.City, st, progress, opts...) })
	}
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() {
			err := j()
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	var first error
	for range jobs {
		err := <-errs
		// Prefer the error that stopped the others over their cancellation.
		if err != nil && (first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled))) {
			first = err
		}
	}
	return first
}
