// Package sqlstore is the one implementation of store.Store over database/sql shared by the
// SQLite and PostgreSQL backends. The backends differ only in a Dialect (placeholders, row
// locking, the status-index sequence, constraint-error decoding, isolation for snapshots) and
// their migration files; every query is written once, in the SQL both dialects accept
// (INSERT ... ON CONFLICT, RETURNING, TRUE/FALSE), with ? placeholders rebound per dialect.
// One implementation means both backends run the same code paths under the conformance suite.
package sqlstore

import (
	"context"
	"crypto"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"sanmian/hub/store"
)

// Dialect describes what differs between the SQL backends.
type Dialect struct {
	// Name is the backend name returned by Store.Backend.
	Name string
	// Goose is the goose dialect for migrations; Migrations the migration files at their root.
	Goose      goose.Dialect
	Migrations fs.FS
	// SessionLocker, if set, serialises migrations across processes.
	SessionLocker lock.SessionLocker
	// Dollar rebinds ? placeholders to $1, $2, ...
	Dollar bool
	// ForUpdate is appended to a SELECT that must lock its rows until commit ("" if the
	// backend serialises writers anyway).
	ForUpdate string
	// SkipLocked is appended to the SELECT that picks deliveries to claim, so concurrent
	// claimers pass over each other's rows ("" if the backend serialises writers anyway).
	SkipLocked string
	// NextStatusIndex returns a fresh status-list index; MaxStatusIndex the highest one issued.
	NextStatusIndex string
	MaxStatusIndex  string
	// ArrayBind: the driver binds Go slices as SQL arrays (pgx), so bulk writes pass one
	// array per column to unnest instead of a multi-row VALUES list.
	ArrayBind bool
	// ScanTable: scan_residents is a table the feeds keep current (each page rebuilds the rows
	// of the residents it touches from the view scan_source), not a view.
	ScanTable bool
	// MaxParams is the most bind parameters one statement may carry.
	MaxParams int
	// UniqueViolation reports whether err is a unique-constraint violation and returns text
	// naming the constraint or columns.
	UniqueViolation func(err error) (string, bool)
	// Snapshot is the isolation level of a consistent read-only snapshot.
	Snapshot sql.IsolationLevel
	// CacheStatements keeps the reader pool's statements prepared (a driver without a
	// statement cache of its own compiles each query on every call otherwise).
	CacheStatements bool
	// ChainRound, if set, makes a transaction queue its audit entries in audit_queue and chain
	// them after its commit, in a short transaction of its own shared with the other callers
	// (chain.go): for a backend with concurrent writers, where the chain-head lock would
	// otherwise be held across each transaction's commit and serialise them all. It runs one
	// chaining round on a connection of db: lock the head with HeadForUpdateSQL, dequeue with
	// DequeueSQL as a statement of its own, run the statements chain returns, commit; and
	// returns the entries it chained.
	ChainRound func(ctx context.Context, db *sql.DB, limit int, chain ChainFunc) ([]Queued, error)
	// GroupCommit runs concurrent Tx calls in one database transaction, each in its own
	// savepoint, committed once (group.go): for a backend whose writes are serialised on one
	// connection anyway, where each commit costs an fsync.
	GroupCommit bool

	rebound sync.Map // query with ? → rebound query
}

// SQL returns q with placeholders in the dialect's form.
func (d *Dialect) SQL(q string) string {
	if !d.Dollar {
		return q
	}
	if v, ok := d.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	s := b.String()
	if len(q) < 4096 { // do not cache the generated multi-row statements of every size
		d.rebound.Store(q, s)
	}
	return s
}

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB implements store.Store. W is the writer pool (a single connection for SQLite), R the
// reader pool (the same pool for PostgreSQL).
type DB struct {
	reader
	w, r       *sql.DB
	d          *Dialect
	subjectKey []byte
	log        *slog.Logger
	group      groupCommitter
	chainer    chainer
	stmts      *stmtCache // nil unless Dialect.CacheStatements
}

var _ store.Store = (*DB)(nil)

// New migrates the database through w and returns the store.
func New(ctx context.Context, d *Dialect, w, r *sql.DB, o store.Options) (*DB, error) {
	opts := []goose.ProviderOption{goose.WithSlog(o.Logger)}
	if d.SessionLocker != nil {
		opts = append(opts, goose.WithSessionLocker(d.SessionLocker))
	}
	p, err := goose.NewProvider(d.Goose, w, d.Migrations, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	// Without a session locker (SQLite) another process may have applied the same migration
	// between our version check and our transaction: check again, as long as someone else
	// moves the version on (with several openers, one may collide on more than one version).
	var errs []error
	for attempt := 0; ; attempt++ {
		before, _ := p.GetDBVersion(ctx)
		_, err := p.Up(ctx)
		if err == nil {
			break
		}
		errs = append(errs, err)
		after, verr := p.GetDBVersion(ctx)
		if d.SessionLocker != nil || verr != nil || after <= before || attempt >= 32 {
			return nil, fmt.Errorf("store: migrate: %w", errors.Join(errs...))
		}
	}
	db := &DB{w: w, r: r, d: d, subjectKey: o.SubjectKey, log: o.Logger}
	db.reader = reader{q: r, d: d, key: o.SubjectKey}
	if d.CacheStatements {
		db.stmts = &stmtCache{db: r}
		db.reader.q = db.stmts
	}
	if d.GroupCommit {
		// A bulk load that did not end (the process stopped) left its indexes dropped.
		if err := db.restoreIndexes(ctx); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// Backend implements store.Store.
func (db *DB) Backend() string { return db.d.Name }

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return err
	}
	return db.r.PingContext(ctx)
}

// Close implements store.Store.
func (db *DB) Close() error {
	var err error
	if db.stmts != nil {
		err = db.stmts.Close()
	}
	err = errors.Join(err, db.w.Close())
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// SubjectDigest implements store.Store.
func (db *DB) SubjectDigest(idNumber string) string {
	return store.SubjectDigest(db.subjectKey, idNumber)
}

// Tx implements store.Store. When ctx carries a recording span, the transaction is traced
// ("store.tx", with the backend and whether it was group-committed).
func (db *DB) Tx(ctx context.Context, fn func(tx store.Txn) error) (err error) {
	if parent := trace.SpanFromContext(ctx); parent.IsRecording() {
		var span trace.Span
		ctx, span = parent.TracerProvider().Tracer(TracerName).Start(ctx, "store.tx",
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system.name", db.d.Name), attribute.Bool("sanmian.group_commit", db.d.GroupCommit)))
		defer func() {
			if err != nil {
				span.SetStatus(codes.Error, "transaction failed")
			}
			span.End()
		}()
	}
	if db.d.GroupCommit {
		return db.groupTx(ctx, fn)
	}
	return db.plainTx(ctx, fn)
}

// TracerName is the instrumentation scope of the transaction spans.
const TracerName = "sanmian/hub/store"

// plainTx runs fn in a transaction of its own.
func (db *DB) plainTx(ctx context.Context, fn func(tx store.Txn) error) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	w := &writer{reader: reader{q: tx, d: db.d, key: db.subjectKey}, ah: &auditHead{}}
	if err := fn(w); err != nil {
		return err
	}
	if err := w.finishAudit(ctx); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if len(w.ah.queued) > 0 {
		// Committed: the entries are safe in the queue. Chain them before returning, so a
		// caller sees its entries in the chain; if that fails, the next chaining (any append
		// or checkpoint, in any process) takes them.
		if err := db.chainQueued(context.WithoutCancel(ctx), w.ah.queued); err != nil {
			db.log.Warn("store: audit entries committed but not chained yet", "error", err)
		}
	}
	return nil
}

// snapshot runs fn in a read-only transaction that sees one consistent state.
func (db *DB) snapshot(ctx context.Context, fn func(q queryer) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{Isolation: db.d.Snapshot, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: begin snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

// Checkpoint implements store.Store.
func (db *DB) Checkpoint(ctx context.Context, signer crypto.Signer, kid string) (store.Checkpoint, error) {
	var c store.Checkpoint
	if db.d.ChainRound != nil {
		if err := db.chainQueued(ctx, nil); err != nil {
			return c, err
		}
	}
	err := db.Tx(ctx, func(t store.Txn) error {
		w := t.(*writer)
		seq, hash, err := w.head(ctx)
		if err != nil {
			return err
		}
		c = store.Checkpoint{Seq: seq, HeadHash: hash, At: store.Now(), KID: kid}
		if err := store.SignCheckpoint(&c, signer); err != nil {
			return err
		}
		_, err = w.q.ExecContext(ctx, db.d.SQL(`INSERT INTO audit_checkpoints (seq, head_hash, at, kid, signature) VALUES (?, ?, ?, ?, ?)`),
			c.Seq, c.HeadHash, c.At, c.KID, c.Signature)
		return wrap("insert checkpoint", err)
	})
	return c, err
}

// VerifyAudit implements store.Store.
func (db *DB) VerifyAudit(ctx context.Context, pub map[string]crypto.PublicKey) (store.AuditReport, error) {
	var rep store.AuditReport
	err := db.snapshot(ctx, func(q queryer) error {
		r := reader{q: q, d: db.d}
		cps, err := r.checkpoints(ctx)
		if err != nil {
			return err
		}
		var headSeq int64
		var headHash string
		if err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
			return wrap("read audit head", err)
		}
		v := store.NewChainVerifier(cps, pub)
		rows, err := q.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_entries ORDER BY seq`)
		if err != nil {
			return wrap("read audit", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				return err
			}
			if !v.Entry(e) {
				break
			}
		}
		if err := rows.Err(); err != nil {
			return wrap("read audit", err)
		}
		rep, err = v.Finish(headSeq, headHash)
		return err
	})
	return rep, err
}

// wrap annotates a database error; nil stays nil and sql.ErrNoRows becomes store.ErrNotFound.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// placeholders returns "(?, ?, ...)" with n marks.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// SQLDB returns the writer pool, for tooling and for the conformance suite's tamper tests.
// Writing through it bypasses every invariant the store keeps (the audit chain above all).
func (db *DB) SQLDB() *sql.DB { return db.w }

// PurgeIdempotency implements store.Store.
func (db *DB) PurgeIdempotency(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := affected(db.w.ExecContext(ctx, db.d.SQL(`DELETE FROM idempotency_keys WHERE created_at < ?`), store.NormTime(cutoff)))
	return n, wrap("purge idempotency keys", err)
}
