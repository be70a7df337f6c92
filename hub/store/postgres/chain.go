package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"sanmian/hub/store/internal/sqlstore"
)

// chainRound implements sqlstore.Dialect.ChainRound in two pipelined round trips (pgx
// batches) on one connection: BEGIN, lock the chain head and dequeue the oldest entries;
// then insert them chained, advance the head and COMMIT. The head lock is thus held for one
// round trip and the commit. The dequeue is a statement of its own after the lock, so it sees
// everything committed before the lock was granted.
func chainRound(ctx context.Context, db *sql.DB, limit int, chain sqlstore.ChainFunc) ([]sqlstore.Queued, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: chain audit: %w", err)
	}
	defer conn.Close()
	var out []sqlstore.Queued
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: chain audit: driver connection is %T", dc)
		}
		pc := sc.Conn()
		seq, prev, q, err := lockAndDequeue(ctx, pc, limit)
		if err == nil && len(q) > 0 {
			err = writeChain(ctx, pc, chain(seq, prev, q))
		} else if err == nil {
			_, err = pc.Exec(ctx, "COMMIT")
		}
		if err != nil {
			if !pc.PgConn().IsClosed() {
				_, rerr := pc.Exec(context.WithoutCancel(ctx), "ROLLBACK")
				err = errors.Join(err, rerr)
			}
			return err
		}
		out = q
		return nil
	})
	return out, err
}

// lockAndDequeue begins the transaction, locks the head and takes the queued entries.
func lockAndDequeue(ctx context.Context, pc *pgx.Conn, limit int) (seq int64, prev string, q []sqlstore.Queued, err error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(sqlstore.HeadForUpdateSQL)
	b.Queue(sqlstore.DequeueSQL(limit))
	br := pc.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return 0, "", nil, fmt.Errorf("store: chain audit: begin: %w", err)
	}
	if err := br.QueryRow().Scan(&seq, &prev); err != nil {
		return 0, "", nil, fmt.Errorf("store: chain audit: lock head: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return 0, "", nil, fmt.Errorf("store: chain audit: dequeue: %w", err)
	}
	for rows.Next() {
		x, err := sqlstore.ScanQueued(rows)
		if err != nil {
			rows.Close()
			return 0, "", nil, err
		}
		q = append(q, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, "", nil, fmt.Errorf("store: chain audit: dequeue: %w", err)
	}
	return seq, prev, q, br.Close()
}

// writeChain runs the chaining statements and commits.
func writeChain(ctx context.Context, pc *pgx.Conn, stmts []sqlstore.Stmt) error {
	b := &pgx.Batch{}
	for _, st := range stmts {
		b.Queue(st.SQL, st.Args...)
	}
	b.Queue("COMMIT")
	br := pc.SendBatch(ctx, b)
	defer br.Close()
	for range b.Len() {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("store: chain audit: %w", err)
		}
	}
	return br.Close()
}
