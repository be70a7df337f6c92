package schema

import (
	"context"
	"fmt"
	"sync"

	"sanmian/hub/auth"
	"sanmian/hub/service"
)

// thunk is the resolver return type graphql-go v0.8.1 recognises as deferred: the executor
// resolves one level of the tree, then calls the level's thunks in order (breadth first).
type thunk = func() (any, error)

// group is the set of loaders of one request. Loads made while the executor resolves a level
// only register keys; the first thunk the executor calls flushes every pending batch of every
// loader, each on its own goroutine, so a level's fetches are batched per loader and run
// concurrently across loaders. One group per request; safe for concurrent use.
type group struct {
	ctx    context.Context
	errMap func(error) error // turns service errors into client errors
	// onCaller, when set, runs f on the goroutine that serves the HTTP request and returns
	// when f has returned (see handler.execute); nil runs f where it is called.
	onCaller func(f func())
	mu       sync.Mutex
	pending  []func(inline bool)
}

// enqueue registers a dispatch function to run at the next flush.
func (g *group) enqueue(dispatch func(inline bool)) {
	g.mu.Lock()
	g.pending = append(g.pending, dispatch)
	g.mu.Unlock()
}

// flush starts every pending batch. A lone batch runs on the calling goroutine (nothing to
// overlap it with, and a goroutine hand-off costs more than it saves); several run concurrently.
func (g *group) flush() {
	g.mu.Lock()
	p := g.pending
	g.pending = nil
	g.mu.Unlock()
	for _, dispatch := range p {
		dispatch(len(p) == 1)
	}
}

// call is the eventual result of one key.
type call[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// loader batches and memoises fetches of one kind for one request. fetch receives distinct
// keys and must return one result per key, in order.
type loader[K comparable, V any] struct {
	g     *group
	fetch func(ctx context.Context, keys []K) ([]V, []error)

	mu    sync.Mutex
	memo  map[K]*call[V]
	keys  []K
	calls []*call[V]
}

func newLoader[K comparable, V any](g *group, fetch func(ctx context.Context, keys []K) ([]V, []error)) *loader[K, V] {
	return &loader[K, V]{g: g, fetch: fetch, memo: make(map[K]*call[V])}
}

// load registers k (once per request) and returns its pending call.
func (l *loader[K, V]) load(k K) *call[V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.memo[k]; ok {
		return c
	}
	c := &call[V]{done: make(chan struct{})}
	l.memo[k] = c
	if len(l.keys) == 0 {
		l.g.enqueue(l.dispatch)
	}
	l.keys = append(l.keys, k)
	l.calls = append(l.calls, c)
	return c
}

// dispatch runs the current batch, on its own goroutine unless inline.
func (l *loader[K, V]) dispatch(inline bool) {
	l.mu.Lock()
	keys, calls := l.keys, l.calls
	l.keys, l.calls = nil, nil
	l.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	run := func() {
		vals, errs := l.safeFetch(keys)
		for i, c := range calls {
			switch {
			case len(errs) > i && errs[i] != nil:
				c.err = errs[i]
			case len(vals) > i:
				c.v = vals[i]
			default:
				c.err = fmt.Errorf("schema: loader: %d results for %d keys", len(vals), len(keys))
			}
			close(c.done)
		}
	}
	if inline {
		if l.g.onCaller != nil {
			l.g.onCaller(run)
			return
		}
		run()
		return
	}
	go run()
}

// safeFetch runs fetch, turning a panic into an error for every key: a bug in one fetch must
// fail its fields, not the process.
func (l *loader[K, V]) safeFetch(keys []K) (vals []V, errs []error) {
	defer func() {
		if r := recover(); r != nil {
			vals, errs = nil, make([]error, len(keys))
			for i := range errs {
				errs[i] = fmt.Errorf("schema: fetch panic: %v", r)
			}
		}
	}()
	return l.fetch(l.g.ctx, keys)
}

// wait blocks until c is done (flushing pending batches first) or the request ends.
func (l *loader[K, V]) wait(c *call[V]) (V, error) {
	l.g.flush()
	select {
	case <-c.done:
		return c.v, c.err
	case <-l.g.ctx.Done():
		var zero V
		return zero, l.g.ctx.Err()
	}
}

// thunk returns a graphql-go thunk for key k whose value is conv applied to the result.
func (l *loader[K, V]) thunk(k K, conv func(V) (any, error)) thunk {
	c := l.load(k)
	return func() (any, error) {
		v, err := l.wait(c)
		if err != nil {
			return nil, l.g.errMap(err)
		}
		return conv(v)
	}
}

// each adapts a single-key fetch into a batch fetch that runs the keys concurrently.
func each[K comparable, V any](one func(ctx context.Context, k K) (V, error)) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		vals := make([]V, len(keys))
		errs := make([]error, len(keys))
		if len(keys) == 1 {
			vals[0], errs[0] = one(ctx, keys[0])
			return vals, errs
		}
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Go(func() {
				defer func() {
					if r := recover(); r != nil {
						errs[i] = fmt.Errorf("schema: fetch panic: %v", r)
					}
				}()
				vals[i], errs[i] = one(ctx, k)
			})
		}
		wg.Wait()
		return vals, errs
	}
}

// personKey identifies one authorised person lookup: the same resident under another purpose
// is another lookup (and another data-use record).
type personKey struct{ id, purpose string }

type householdKey struct{ id, purpose string }

type eligibilityKey struct{ id, item, purpose string }

// loaders are the per-request batchers, all bound to one caller.
type loaders struct {
	g           *group
	people      *loader[personKey, *service.PersonView]
	households  *loader[householdKey, *service.HouseholdView]
	eligibility *loader[eligibilityKey, *service.DecisionDetail]
	divisions   *loader[string, *service.DivisionView]
	apps        *loader[string, *service.ApplicationDetail]
	permits     *loader[string, *service.PermitView]
	decisions   *loader[string, *service.DecisionDetail]
	replays     *loader[string, *service.DecisionReplay]
	items       *loader[struct{}, map[string]*service.Item]
	itemList    *loader[struct{}, []service.Item]
}

func newLoaders(ctx context.Context, svc Service, c auth.Caller, errMap func(error) error) *loaders {
	g := &group{ctx: ctx, errMap: errMap}
	l := &loaders{g: g}
	l.people = newLoader(g, func(ctx context.Context, keys []personKey) ([]*service.PersonView, []error) {
		return fetchPeople(ctx, svc, c, keys)
	})
	l.households = newLoader(g, each(func(ctx context.Context, k householdKey) (*service.HouseholdView, error) {
		return svc.Household(ctx, c, k.id, k.purpose)
	}))
	l.eligibility = newLoader(g, each(func(ctx context.Context, k eligibilityKey) (*service.DecisionDetail, error) {
		return ptr(svc.Eligibility(ctx, c, k.id, k.item, k.purpose))
	}))
	l.divisions = newLoader(g, each(func(ctx context.Context, code string) (*service.DivisionView, error) {
		return ptr(svc.Division(ctx, code))
	}))
	l.apps = newLoader(g, each(func(ctx context.Context, id string) (*service.ApplicationDetail, error) {
		return ptr(svc.ApplicationDetail(ctx, c, id))
	}))
	l.permits = newLoader(g, each(func(ctx context.Context, id string) (*service.PermitView, error) {
		return ptr(svc.GetPermit(ctx, c, id))
	}))
	l.decisions = newLoader(g, each(func(ctx context.Context, id string) (*service.DecisionDetail, error) {
		return ptr(svc.GetDecision(ctx, c, id))
	}))
	l.replays = newLoader(g, each(func(ctx context.Context, id string) (*service.DecisionReplay, error) {
		return ptr(svc.ReplayDecision(ctx, c, id))
	}))
	l.itemList = newLoader(g, each(func(ctx context.Context, _ struct{}) ([]service.Item, error) {
		return svc.Items(ctx)
	}))
	l.items = newLoader(g, each(func(ctx context.Context, _ struct{}) (map[string]*service.Item, error) {
		c := l.itemList.load(struct{}{})
		list, err := l.itemList.wait(c)
		if err != nil {
			return nil, err
		}
		m := make(map[string]*service.Item, len(list))
		for i := range list {
			m[list[i].Code] = &list[i]
		}
		return m, nil
	}))
	return l
}

// fetchPeople makes one People call per distinct purpose in the batch (normally one), the
// calls running concurrently.
func fetchPeople(ctx context.Context, svc Service, c auth.Caller, keys []personKey) ([]*service.PersonView, []error) {
	vals := make([]*service.PersonView, len(keys))
	errs := make([]error, len(keys))
	byPurpose := map[string][]int{}
	var order []string
	for i, k := range keys {
		if _, ok := byPurpose[k.purpose]; !ok {
			order = append(order, k.purpose)
		}
		byPurpose[k.purpose] = append(byPurpose[k.purpose], i)
	}
	run := func(purpose string) {
		idx := byPurpose[purpose]
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].id
		}
		res, err := svc.People(ctx, c, ids, purpose)
		for j, i := range idx {
			switch {
			case err != nil:
				errs[i] = err
			case j >= len(res):
				errs[i] = fmt.Errorf("schema: People returned %d results for %d ids", len(res), len(ids))
			case res[j].Err != nil:
				errs[i] = res[j].Err
			case res[j].Person == nil:
				errs[i] = ErrNotFound
			default:
				vals[i] = res[j].Person
			}
		}
	}
	if len(order) == 1 {
		run(order[0])
		return vals, errs
	}
	var wg sync.WaitGroup
	for _, p := range order {
		wg.Go(func() { run(p) })
	}
	wg.Wait()
	return vals, errs
}

// ptr returns &v, or the error alone: the loaders hold pointers to what the service returns.
func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}
