// Package postgres is the PostgreSQL backend of the hub store (pgx), for several hub
// replicas sharing one database. Uniqueness (one permit per application, one active key per
// office, status-list indexes) is enforced by the database, audit entries are queued by each
// transaction and chained after its commit under a locked chain-head row, and
// migrations take a session advisory lock so replicas starting together migrate once.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"sanmian/hub/store"
	"sanmian/hub/store/internal/sqlstore"
	"sanmian/hub/store/migrations"
)

// Store is the PostgreSQL store. It is safe for concurrent use, also by several processes.
type Store struct {
	*sqlstore.DB
}

var _ store.Store = (*Store)(nil)

func init() {
	store.RegisterOpener("postgres", store.IsPostgresDSN, Open)
}

func uniqueViolation(err error) (string, bool) {
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "23505" {
		return e.ConstraintName + " " + e.Detail, true
	}
	return "", false
}

func migrationsFS() fs.FS {
	f, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		panic(err)
	}
	return f
}

// Open connects to the PostgreSQL database named by dsn (a postgres:// URL) and runs the
// migrations. With store.WithSchema the store lives in that schema (created if missing).
func Open(ctx context.Context, dsn string, opts ...store.Option) (*Store, error) {
	o := store.ApplyOptions(opts...)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres dsn: %v", store.ErrInvalid, err)
	}
	if o.Schema != "" {
		cfg.RuntimeParams["search_path"] = o.Schema
	}
	// No JIT compilation unless the DSN asks for it: the hub's queries are short, and a scan
	// pass is one query of some 60 KB of expressions. Once the planner had the tables'
	// statistics, its cost passed the JIT threshold, and compiling it took 14.1 s of a 14.2 s
	// pass over 100,000 residents (BENCHMARKS.md).
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	db := stdlib.OpenDB(*cfg)
	n := o.MaxOpenConns
	if n <= 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if o.Schema != "" {
		if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{o.Schema}.Sanitize()); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: create schema: %w", err)
		}
	}
	// One advisory lock per schema: replicas migrating the same schema wait for each other.
	h := fnv.New64a()
	h.Write([]byte("sanmian.store.migrate." + o.Schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	d := &sqlstore.Dialect{
		Name:            "postgres",
		Goose:           goose.DialectPostgres,
		Migrations:      migrationsFS(),
		SessionLocker:   locker,
		Dollar:          true,
		ArrayBind:       true,
		ForUpdate:       " FOR UPDATE",
		SkipLocked:      " FOR UPDATE SKIP LOCKED",
		NextStatusIndex: `SELECT nextval('permit_status_index_seq')`,
		MaxStatusIndex:  `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM permit_status_index_seq`,
		MaxParams:       65535,
		UniqueViolation: uniqueViolation,
		Snapshot:        sql.LevelRepeatableRead,
		ChainRound:      chainRound,
	}
	s, err := sqlstore.New(ctx, d, db, db, o)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{DB: s}, nil
}
