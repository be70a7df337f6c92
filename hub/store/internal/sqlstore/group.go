package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"sanmian/hub/store"
)

// maxGroup is the most Tx calls one group commit carries.
const maxGroup = 256

// Group commit (Dialect.GroupCommit). With a single writer connection every transaction
// waits for the previous one's commit, and with synchronous=FULL each commit is an fsync.
// Instead, Tx calls that arrive while a commit is in progress queue up; the next leader (the
// first of them) runs all of them in one database transaction, each fn inside its own
// SAVEPOINT, and commits once. A fn that fails (or panics) is rolled back to its savepoint
// alone and its caller gets its error; the others are unaffected. Nobody's Tx returns before
// the shared COMMIT has returned, so a nil error still means "durable" and a caller never
// acknowledges a write that could be lost. If the shared transaction itself fails (begin,
// savepoint bookkeeping, commit) every caller in it gets an error and nothing of it is
// kept. The fns of one group run one after another on the writer connection and each sees
// the writes of those before it, exactly as if they had been serialised transactions, so the
// store's invariants (idempotency reservation, the audit chain, one permit per application)
// hold unchanged.
type groupCommitter struct {
	mu    sync.Mutex
	queue []*groupReq
	busy  bool // a leader is running a group
}

type groupReq struct {
	ctx      context.Context
	fn       func(tx store.Txn) error
	err      error
	panicked bool
	panicVal any
	wake     chan bool // true: lead the next group; false: done, result set
}

// groupTx is Tx with group commit.
func (db *DB) groupTx(ctx context.Context, fn func(tx store.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	r := &groupReq{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !lead {
		lead = <-r.wake
	}
	if lead {
		db.leadGroup()
	}
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

// leadGroup takes the queued requests (its own first), runs them as one transaction, hands
// the lead to the first request queued meanwhile and wakes the members of its group.
func (db *DB) leadGroup() {
	g := &db.group
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = append([]*groupReq(nil), g.queue[n:]...)
	g.mu.Unlock()

	db.runGroup(batch)

	g.mu.Lock()
	var next *groupReq
	if len(g.queue) > 0 {
		next = g.queue[0]
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	if next != nil {
		next.wake <- true
	}
	for _, r := range batch[1:] {
		r.wake <- false
	}
}

// runGroup runs batch in one transaction and sets every request's outcome.
func (db *DB) runGroup(batch []*groupReq) {
	// The shared transaction must not end with any one caller's context: statements run
	// without cancellation (they are short; a canceled caller is skipped before its fn
	// starts). An interrupted statement could otherwise roll back the whole group.
	ctx := context.Background()
	if len(batch) == 1 {
		// Alone: a plain transaction, as without group commit.
		r := batch[0]
		r.panicked, r.panicVal, r.err = db.singleTx(r.ctx, r.fn)
		return
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	q := &groupQ{tx: tx}
	// One audit queue for the group, chained in order before the commit; a fn rolled back to
	// its savepoint also drops the entries it queued.
	w := &writer{reader: reader{q: q, d: db.d, key: db.subjectKey}, ah: &auditHead{}}
	ok := 0 // requests whose fn succeeded: they need the commit
	fail := func(i int, err error) {
		_ = tx.Rollback()
		for _, r := range batch[:i] {
			if r.err == nil && !r.panicked {
				r.err = err
			}
		}
		for _, r := range batch[i:] {
			r.err, r.panicked = err, false
		}
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("store: begin: %w", err)
			continue
		}
		if _, err := q.ExecContext(ctx, "SAVEPOINT grp"); err != nil {
			fail(i, fmt.Errorf("store: group commit: savepoint: %w", err))
			return
		}
		saved := *w.ah
		r.panicked, r.panicVal, r.err = call(r.fn, w)
		if r.err != nil || r.panicked {
			*w.ah = saved
			if _, err := q.ExecContext(ctx, "ROLLBACK TO grp"); err != nil {
				fail(i+1, fmt.Errorf("store: group commit: rollback to savepoint: %w", errors.Join(r.err, err)))
				return
			}
		} else {
			ok++
		}
		if _, err := q.ExecContext(ctx, "RELEASE grp"); err != nil {
			fail(i+1, fmt.Errorf("store: group commit: release savepoint: %w", err))
			return
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		return
	}
	if err := w.finishAudit(ctx); err != nil {
		fail(len(batch), err)
		return
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			if r.err == nil && !r.panicked {
				r.err = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
}

// call runs fn, turning a panic into a value to re-raise in the caller's goroutine.
func call(fn func(tx store.Txn) error, w *writer) (panicked bool, val any, err error) {
	defer func() {
		if v := recover(); v != nil {
			panicked, val, err = true, v, nil
		}
	}()
	return false, nil, fn(w)
}

// singleTx runs fn in its own transaction, reporting a panic instead of raising it.
func (db *DB) singleTx(ctx context.Context, fn func(tx store.Txn) error) (panicked bool, val any, err error) {
	defer func() {
		if v := recover(); v != nil {
			panicked, val, err = true, v, nil
		}
	}()
	return false, nil, db.plainTx(ctx, fn)
}

// groupQ is the queryer of a shared transaction. Statements run without the caller's
// cancellation (values such as deadlines for logging stay), and each distinct statement is
// prepared once per group: SQLite compiles a statement on every call otherwise, which costs
// about as much as running these small inserts.
type groupQ struct {
	tx    *sql.Tx
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxCachedQuery is the longest statement text groupQ prepares and keeps (the generated
// multi-row statements are longer and vary in size).
const maxCachedQuery = 4096

func (g *groupQ) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if len(query) > maxCachedQuery {
		return nil, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.stmts[query]; ok {
		return s, nil
	}
	s, err := g.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if g.stmts == nil {
		g.stmts = map[string]*sql.Stmt{}
	}
	g.stmts[query] = s
	return s, nil
}

func (g *groupQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	s, err := g.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return g.tx.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

func (g *groupQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	s, err := g.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return g.tx.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (g *groupQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	s, err := g.stmt(ctx, query)
	if err != nil || s == nil {
		// A failed prepare is reported by the unprepared call, through the Row.
		return g.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}
