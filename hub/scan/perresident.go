package scan

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// forEach calls fn for i in [0, n) on workers() goroutines (worker w takes i = w,
// w+workers, ...), and returns the first error; the others stop at their next call once the
// context is cancelled.
func forEach(ctx context.Context, n int, fn func(ctx context.Context, worker, i int) error) error {
	workers := workers()
	g, gctx := errgroup.WithContext(ctx)
	for w := range workers {
		g.Go(func() error {
			for i := w; i < n; i += workers {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := fn(gctx, w, i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// workers is the number of forEach's workers: one per processor the process may use.
func workers() int { return runtime.GOMAXPROCS(0) }

// perResident evaluates the items goItems per resident over d.rows[:d.n], on every processor:
// a resident for every item without a screen, and for an item with one (screened, from the
// store's pass) only when the resident cleared it, not on the roll; a resident with nothing
// to evaluate is skipped. It returns item → ID → the reason codes of each eligible verdict, as
// the item's decision gives them (an ID is present exactly when eligible).
func (r *Runner) perResident(ctx context.Context, d *data, at time.Time, goItems []string, screened map[string]map[string]bool, progress func(string, ...any)) (map[string]map[string][]string, error) {
	eligible := make(map[string]map[string][]string, len(goItems))
	index := make(map[string]int, len(goItems))
	var always []string
	for k, c := range goItems {
		eligible[c], index[c] = map[string][]string{}, k
		if _, ok := screened[c]; !ok {
			always = append(always, c)
		}
	}
	itemsOf := func(i int, buf []string) []string {
		buf = append(buf[:0], always...)
		for _, c := range goItems {
			if set, ok := screened[c]; ok && set[d.rows[i].IDNumber] {
				buf = append(buf, c)
			}
		}
		return buf
	}
	total := d.n
	if len(always) == 0 {
		total = 0
		for i := range d.rows[:d.n] {
			if len(itemsOf(i, nil)) > 0 {
				total++
			}
		}
	}
	progress("per-resident evaluation of %d items: %d of %d residents to evaluate (%d items unscreened)", len(goItems), total, d.n, len(always))

	type verdict struct {
		row, item int
		reasons   []string
	}
	found := make([][]verdict, workers()) // per worker: every eligible verdict
	bufs := make([][]string, workers())
	var done atomic.Int64
	var mu sync.Mutex // progress lines from the workers
	err := forEach(ctx, d.n, func(ctx context.Context, w, i int) error {
		bufs[w] = itemsOf(i, bufs[w])
		if len(bufs[w]) == 0 {
			return nil
		}
		sr, err := r.Engine.ScanItems(ctx, d.bundle(i), at, bufs[w])
		if err != nil {
			return err
		}
		for _, c := range sr.Eligible {
			if k, ok := index[c]; ok {
				found[w] = append(found[w], verdict{i, k, sr.Reasons[c]})
			}
		}
		if n := done.Add(1); n%20000 == 0 {
			mu.Lock()
			progress("per-resident evaluation: %d/%d residents", n, total)
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range found {
		for _, x := range f {
			eligible[goItems[x.item]][d.rows[x.row].IDNumber] = x.reasons
		}
	}
	return eligible, nil
}

// enrolment is resident row's enrolment in item.
type enrolment struct {
	item string
	row  int
}

// supervise decides every enrolment (Runner.alert) on every processor and returns the alerts
// per item, in the order of enrolments.
func (r *Runner) supervise(ctx context.Context, d *data, at time.Time, enrolments []enrolment) (map[string][]Entry, error) {
	out := make([]*Entry, len(enrolments))
	err := forEach(ctx, len(enrolments), func(ctx context.Context, _, k int) error {
		e := enrolments[k]
		a, err := r.alert(ctx, d, e.row, e.item, at)
		out[k] = a
		return err
	})
	if err != nil {
		return nil, err
	}
	found := map[string][]Entry{}
	for k, a := range out {
		if a != nil {
			found[enrolments[k].item] = append(found[enrolments[k].item], *a)
		}
	}
	return found, nil
}

// background is what a scan reads and decides while the store runs its compiled pass: the
// synced rows in memory and the alerts of the enrolments in the items evaluated per resident
// (decided as if the resident applied afresh, without the enrolment itself, which the rules
// refuse as already_enrolled).
type background struct {
	d      *data
	alerts map[string][]Entry // item → alerts
	err    error
}

func (r *Runner) background(ctx context.Context, sc *scope, o Options, goItems []string, progress func(string, ...any)) background {
	t := time.Now()
	d, err := sc.load(ctx, o.Division)
	if err != nil {
		return background{err: err}
	}
	progress("loaded %d residents, %d child links (%s)", len(d.rows), d.links, time.Since(t).Round(time.Millisecond))
	var enrolments []enrolment
	for _, code := range goItems {
		for i := range d.rows[:d.n] {
			if slices.Contains(d.rows[i].enrolled, code) {
				enrolments = append(enrolments, enrolment{item: code, row: i})
			}
		}
	}
	if len(enrolments) == 0 {
		return background{d: d}
	}
	t = time.Now()
	alerts, err := r.supervise(ctx, d, o.At, enrolments)
	if err != nil {
		return background{err: err}
	}
	progress("supervision: %d enrolments of per-resident items decided (%s)", len(enrolments), time.Since(t).Round(time.Millisecond))
	return background{d: d, alerts: alerts}
}
