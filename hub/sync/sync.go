package sync

import (
	"context"
	"fmt"
	"time"
)

// Progress is reported after every applied page of a feed. Rows and Deletes count each
// resident once per page, by the last change to them in that page (an upsert followed by a
// delete counts as one delete); a delete of a resident not in the store still counts.
type Progress struct {
	Feed          string        // the feed's cursor name (store.Feed*)
	Pages         int           // pages applied in this run
	Rows          int64         // rows upserted in this run
	Deletes       int64         // rows deleted in this run
	LastSeq       int64         // sequence number of the last applied change
	Cursor        string        // cursor saved with the last page
	Elapsed       time.Duration // since the feed's sync started
	RowsPerSecond float64       // Rows per second of Elapsed
	Done          bool          // the feed has no more changes
}

// Option tunes a sync.
type Option func(*options)

type options struct {
	limit int
	feed  string
	batch int
}

// WithPageSize sets the number of changes asked per page (default and maximum 5000).
func WithPageSize(n int) Option { return func(o *options) { o.limit = n } }

// WithFeedName saves the cursor under name instead of the feed's default name.
func WithFeedName(name string) Option { return func(o *options) { o.feed = name } }

// WithBatchRows applies consecutive pages together, in one store transaction, until they hold
// at least n changes (default: every page on its own). A bulk load writes each B-tree page
// once per transaction: fewer, larger transactions write far less (the hub uses
// DefaultBatchRows). The cursor saved is the last page's, so a stopped sync resumes after the
// last applied batch; progress is reported per batch.
func WithBatchRows(n int) Option { return func(o *options) { o.batch = n } }

// MaxPageSize is the largest page every feed serves.
const MaxPageSize = 5000

// DefaultBatchRows is the batch the hub's syncs apply per transaction (WithBatchRows).
const DefaultBatchRows = 50_000

func applyOptions(feed string, opts []Option) (options, error) {
	o := options{limit: MaxPageSize, feed: feed}
	for _, opt := range opts {
		opt(&o)
	}
	if o.limit < 1 || o.limit > MaxPageSize {
		return o, fmt.Errorf("%w: page size must be 1-%d", ErrInvalidOption, MaxPageSize)
	}
	if o.feed == "" {
		return o, fmt.Errorf("%w: empty feed name", ErrInvalidOption)
	}
	if o.batch < 0 || o.batch > 1_000_000 {
		return o, fmt.Errorf("%w: batch must be 0-1000000 rows", ErrInvalidOption)
	}
	return o, nil
}

// page is one fetched page reduced to the store's rows.
type page[R any] struct {
	rows             []R
	upserts, deletes int64
	lastSeq          int64
	next             string
	more             bool
}

// pipeline runs one feed: read the cursor, then fetch page n+1 while page n is applied (with
// WithBatchRows: the batch after while a batch of pages is applied), until the feed has no
// more changes. It returns ctx's error when canceled; what was applied
// stays applied with its cursor.
func pipeline[R any](ctx context.Context, o options, cursor func(context.Context, string) (string, error),
	fetch func(ctx context.Context, cursor string, limit int) (page[R], error),
	apply func(ctx context.Context, feed string, rows []R, next string) error,
	progress func(Progress)) error {
	cur, err := cursor(ctx, o.feed)
	if err != nil {
		return fmt.Errorf("sync %s: read cursor: %w", o.feed, err)
	}
	start := time.Now()
	p := Progress{Feed: o.feed}
	type fetched struct {
		page page[R]
		err  error
	}
	get := func(c string) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			pg, err := fetch(ctx, c, o.limit)
			ch <- fetched{pg, err}
		}()
		return ch
	}
	next := get(cur)
	for {
		f := <-next
		pages := 1
		for f.err == nil && f.page.more && len(f.page.rows) < o.batch {
			g := <-get(f.page.next)
			if g.err != nil {
				f.err = g.err
				break
			}
			f.page.rows = append(f.page.rows, g.page.rows...)
			f.page.upserts, f.page.deletes = f.page.upserts+g.page.upserts, f.page.deletes+g.page.deletes
			if g.page.lastSeq > 0 {
				f.page.lastSeq = g.page.lastSeq
			}
			f.page.next, f.page.more = g.page.next, g.page.more
			pages++
		}
		if f.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("sync %s: fetch: %w", o.feed, f.err)
		}
		if f.page.more {
			next = get(f.page.next) // overlap the next fetch with this write
		}
		if err := apply(ctx, o.feed, f.page.rows, f.page.next); err != nil {
			drain(next, f.page.more)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("sync %s: apply page: %w", o.feed, err)
		}
		p.Pages += pages
		p.Rows += f.page.upserts
		p.Deletes += f.page.deletes
		if f.page.lastSeq > 0 {
			p.LastSeq = f.page.lastSeq
		}
		p.Cursor = f.page.next
		p.Elapsed = time.Since(start)
		if s := p.Elapsed.Seconds(); s > 0 {
			p.RowsPerSecond = float64(p.Rows) / s
		}
		p.Done = !f.page.more
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

// drain waits for an outstanding fetch so no goroutine outlives the sync.
func drain[T any](ch <-chan T, pending bool) {
	if pending {
		<-ch
	}
}

// reduce keeps each key's last row (in first-seen order) and counts upserts and deletes.
func reduce[R any](rows []R, key func(*R) string, deleted func(*R) bool) ([]R, int64, int64) {
	at := make(map[string]int, len(rows))
	out := rows[:0]
	for i := range rows {
		k := key(&rows[i])
		if j, ok := at[k]; ok {
			out[j] = rows[i]
			continue
		}
		at[k] = len(out)
		out = append(out, rows[i])
	}
	var dels int64
	for i := range out {
		if deleted(&out[i]) {
			dels++
		}
	}
	return out, int64(len(out)) - dels, dels
}
