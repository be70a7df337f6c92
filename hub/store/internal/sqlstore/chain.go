package sqlstore

import (
	"context"
	"fmt"
	"sync"

	"sanmian/hub/store"
)

// chainBatch is the most queued audit entries one chaining transaction takes.
const chainBatch = 1000

// queuedEntry is an audit entry a transaction wrote to audit_queue.
type queuedEntry struct {
	id int64
	e  *store.AuditEntry
}

// chainPos is where a queued entry landed in the chain.
type chainPos struct {
	seq        int64
	prev, hash string
}

// chainQueued moves every committed entry of audit_queue into the chain, oldest queue id
// first, and fills the Seq, PrevHash and Hash of mine (entries the caller queued and
// committed). The chaining runs in rounds shared by every caller of this process (see
// chainer); each round is one short transaction per chainBatch entries: lock the chain head,
// read the queue, insert the chained entries, delete their queue rows, advance the head,
// commit. So the head lock is held for a few statements and one commit, shared by every
// entry queued meanwhile, and is never held across a business transaction.
func (db *DB) chainQueued(ctx context.Context, mine []queuedEntry) error {
	got, err := db.chainer.wait(func() (map[int64]chainPos, error) {
		all := map[int64]chainPos{}
		for {
			n, err := db.chainOnce(ctx, all)
			if err != nil || n < chainBatch {
				return all, err
			}
		}
	})
	if err != nil {
		return err
	}
	// Entries this round did not chain were chained by another process (or an earlier
	// round): read their place in the chain.
	byID := map[int64]*store.AuditEntry{}
	var missing []any
	for _, q := range mine {
		if p, ok := got[q.id]; ok {
			q.e.Seq, q.e.PrevHash, q.e.Hash = p.seq, p.prev, p.hash
			continue
		}
		byID[q.id] = q.e
		missing = append(missing, q.id)
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := db.w.QueryContext(ctx, db.d.SQL(`SELECT queue_id, seq, prev_hash, hash FROM audit_entries WHERE queue_id IN `+placeholders(len(missing))), missing...)
	if err != nil {
		return wrap("read chained audit entries", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p chainPos
		if err := rows.Scan(&id, &p.seq, &p.prev, &p.hash); err != nil {
			return wrap("read chained audit entries", err)
		}
		if e := byID[id]; e != nil {
			e.Seq, e.PrevHash, e.Hash = p.seq, p.prev, p.hash
		}
	}
	return wrap("read chained audit entries", rows.Err())
}

// chainer coalesces the chaining requests of one process into rounds, so that callers do
// not queue one after another for the chain-head lock: a caller that arrives while a round
// runs joins the next round, which starts when the running one ends (its first caller leads
// it) and therefore sees every entry its callers committed. Across processes the rounds
// serialise on the head row lock.
type chainer struct {
	mu   sync.Mutex
	cur  *chainRound // the running round, nil if none
	next *chainRound // the round forming, started when cur ends
}

type chainRound struct {
	done    chan struct{}
	chained map[int64]chainPos
	err     error
}

// wait runs or joins a round that starts after the call and returns its outcome.
func (c *chainer) wait(run func() (map[int64]chainPos, error)) (map[int64]chainPos, error) {
	c.mu.Lock()
	if r := c.next; r != nil {
		c.mu.Unlock()
		<-r.done
		return r.chained, r.err
	}
	r := &chainRound{done: make(chan struct{})}
	prev := c.cur
	if prev == nil {
		c.cur = r
	} else {
		c.next = r
	}
	c.mu.Unlock()
	if prev != nil {
		<-prev.done
		c.mu.Lock()
		c.cur, c.next = r, nil // later callers form a new round
		c.mu.Unlock()
	}
	r.chained, r.err = run()
	c.mu.Lock()
	if c.cur == r {
		c.cur = nil
	}
	c.mu.Unlock()
	close(r.done)
	return r.chained, r.err
}

// chainOnce chains up to chainBatch queued entries in one transaction, records where each
// landed in chained, and returns how many.
func (db *DB) chainOnce(ctx context.Context, chained map[int64]chainPos) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	w := &writer{reader: reader{q: tx, d: db.d, key: db.subjectKey}}
	seq, prev, err := w.head(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT id, at, actor_sub, actor_role, action, subject, item, purpose, application_id, details
		FROM audit_queue ORDER BY id LIMIT %d`, chainBatch))
	if err != nil {
		return 0, wrap("read audit queue", err)
	}
	var entries []*store.AuditEntry
	var ids []int64
	for rows.Next() {
		var id int64
		var action string
		var details []byte
		e := &store.AuditEntry{}
		if err := rows.Scan(&id, &e.At, &e.ActorSub, &e.ActorRole, &action, &e.Subject, &e.Item, &e.Purpose, &e.ApplicationID, &details); err != nil {
			rows.Close()
			return 0, wrap("read audit queue", err)
		}
		e.Action, e.At, e.Details = store.AuditAction(action), e.At.UTC(), details
		entries, ids = append(entries, e), append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("read audit queue", err)
	}
	if len(entries) == 0 {
		return 0, wrap("commit", tx.Commit())
	}
	if err := w.chain(ctx, seq, prev, entries, ids); err != nil {
		return 0, err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if _, err := tx.ExecContext(ctx, db.d.SQL(`DELETE FROM audit_queue WHERE id IN `+placeholders(len(ids))), args...); err != nil {
		return 0, wrap("dequeue audit entries", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit audit chain: %w", err)
	}
	for i, id := range ids {
		chained[id] = chainPos{seq: entries[i].Seq, prev: entries[i].PrevHash, hash: entries[i].Hash}
	}
	return len(entries), nil
}
