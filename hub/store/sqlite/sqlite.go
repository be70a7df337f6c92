// Package sqlite is the embedded SQLite backend of the hub store (pure Go, no cgo): the
// default, needing no setup. One writer connection (BEGIN IMMEDIATE) serialises writes,
// including across processes sharing the file; a pool of query-only connections reads
// concurrently under WAL. synchronous=FULL makes every committed transaction durable when
// the call returns. Transactions that arrive while a commit is in progress share the next one
// (group commit: one fsync for many, each transaction in its own savepoint, rolled back alone
// when it fails; none returns before the shared commit has).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"sanmian/hub/store"
	"sanmian/hub/store/internal/sqlstore"
	"sanmian/hub/store/migrations"
)

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	*sqlstore.DB
}

var _ store.Store = (*Store)(nil)

func init() {
	store.RegisterOpener("sqlite", func(dsn string) bool { return !store.IsPostgresDSN(dsn) }, Open)
}

var dialect = &sqlstore.Dialect{
	Name:            "sqlite",
	Goose:           goose.DialectSQLite3,
	Migrations:      mustSub(migrations.SQLite, "sqlite"),
	NextStatusIndex: `UPDATE counters SET value = value + 1 WHERE name = 'permit_status_index' RETURNING value`,
	MaxStatusIndex:  `SELECT value FROM counters WHERE name = 'permit_status_index'`,
	MaxParams:       32766,
	UniqueViolation: uniqueViolation,
	Snapshot:        sql.LevelDefault, // a read transaction in WAL mode is a snapshot
	GroupCommit:     true,             // one writer connection: share commits (and fsyncs)
	CacheStatements: true,             // the driver compiles every query on every call otherwise
	ScanTable:       true,             // a pass reads one B-tree instead of three joined (migration 00017)
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

func uniqueViolation(err error) (string, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return e.Error(), true
	}
	return "", false
}

// dsn builds the driver DSN for path.
// busyTimeout is how long a connection waits for a lock another connection holds.
const busyTimeout = 10 * time.Second

// writerCacheKiB is the writer connection's page cache (SQLite's default is 2 MiB).
const writerCacheKiB = 256 << 10

// walCheckpointPages is the WAL size (pages of 4 KiB, about 80 MiB) that triggers a checkpoint.
const walCheckpointPages = 20000

func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_time_format", "sqlite")
	if writer {
		// Bulk syncs write a million rows into several B-trees in ID-number order, which is
		// random for every index: with the default 2 MiB page cache nearly every insert reads
		// pages back through a system call. The cache only grows as far as it is used.
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
		// Each transaction of a group commit runs in a savepoint, whose sub-journal keeps the
		// original of every page it changes: in memory, not through a temporary file.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Checkpoint the WAL every walCheckpointPages pages instead of SQLite's 1000: a bulk
		// sync rewrites the same B-tree pages in every transaction, and each checkpoint copies
		// them back into the database file again.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// pingWriter opens the writer connection, which creates the file and switches it to WAL.
// That switch needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without its
// busy handler, when another process or Store opens the same new file at the same moment;
// so a busy answer is retried, with growing pauses, for as long as the busy timeout.
func pingWriter(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		err := w.PingContext(ctx)
		var e *sqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Open opens (creating if needed) the SQLite database file at path and runs the migrations.
func Open(ctx context.Context, path string, opts ...store.Option) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" {
		return nil, fmt.Errorf("%w: sqlite path %q (a file path without ? or #)", store.ErrInvalid, path)
	}
	o := store.ApplyOptions(opts...)
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := pingWriter(ctx, w); err != nil { // creates the file and switches it to WAL
		_ = w.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	n := o.MaxOpenConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db, err := sqlstore.New(ctx, dialect, w, r, o)
	if err != nil {
		_ = w.Close()
		_ = r.Close()
		return nil, err
	}
	return &Store{DB: db}, nil
}
