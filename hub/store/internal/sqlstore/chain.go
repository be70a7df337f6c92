package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
// chainer); each round is one short transaction per chainBatch entries (Dialect.ChainRound):
// lock the chain head, take the entries out of the queue, insert them chained, advance the
// head, commit. So the head lock is held for a few statements and one commit, shared by every
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

// Queued is an entry taken out of audit_queue, with its queue id.
type Queued struct {
	ID    int64
	Entry *store.AuditEntry
}

// DequeueSQL takes up to limit of the oldest entries out of audit_queue and returns them
// (columns id, at, actor_sub, actor_role, action, subject, item, purpose, application_id,
// details; any order). Run it holding the chain-head lock, as a statement of its own.
func DequeueSQL(limit int) string {
	return fmt.Sprintf(`DELETE FROM audit_queue WHERE id IN (SELECT id FROM audit_queue ORDER BY id LIMIT %d)
		RETURNING id, at, actor_sub, actor_role, action, subject, item, purpose, application_id, details`, limit)
}

// HeadForUpdateSQL reads and locks the chain head (seq, hash).
const HeadForUpdateSQL = `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`

// ChainFunc orders dequeued entries, chains them after the head (seq, prev) and returns the
// statements that store them and advance the head.
type ChainFunc func(seq int64, prev string, q []Queued) []Stmt

// chainFunc returns the ChainFunc of db: entries in queue order, chained by chainStatements.
func (db *DB) chainFunc() ChainFunc {
	return func(seq int64, prev string, q []Queued) []Stmt {
		slices.SortFunc(q, func(a, b Queued) int { return cmp.Compare(a.ID, b.ID) })
		entries, ids := make([]*store.AuditEntry, len(q)), make([]int64, len(q))
		for i, x := range q {
			entries[i], ids[i] = x.Entry, x.ID
		}
		return chainStatements(db.d, seq, prev, entries, ids)
	}
}

// chainOnce chains up to chainBatch queued entries in one transaction, records where each
// landed in chained, and returns how many.
func (db *DB) chainOnce(ctx context.Context, chained map[int64]chainPos) (int, error) {
	q, err := db.d.ChainRound(ctx, db.w, chainBatch, db.chainFunc())
	if err != nil {
		return 0, err
	}
	for _, x := range q {
		chained[x.ID] = chainPos{seq: x.Entry.Seq, prev: x.Entry.PrevHash, hash: x.Entry.Hash}
	}
	return len(q), nil
}

// ScanQueued scans one row of DequeueSQL.
func ScanQueued(s interface{ Scan(dest ...any) error }) (Queued, error) {
	var id int64
	var action string
	var details []byte
	e := &store.AuditEntry{}
	if err := s.Scan(&id, &e.At, &e.ActorSub, &e.ActorRole, &action, &e.Subject, &e.Item, &e.Purpose, &e.ApplicationID, &details); err != nil {
		return Queued{}, wrap("dequeue audit entries", err)
	}
	e.Action, e.At, e.Details = store.AuditAction(action), e.At.UTC(), details
	return Queued{ID: id, Entry: e}, nil
}
