package store

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Reader is the read side of the store. Inside a transaction (Txn) reads see the
// transaction's own writes.
type Reader interface {
	ClientReader
	FollowUpReader
	// GetResident returns one snapshot row with its enrolments, or ErrNotFound.
	GetResident(ctx context.Context, idNumber string) (Resident, error)
	// ScanResidents returns residents matching q ordered by id_number, and the cursor for the
	// next page ("" when done).
	ScanResidents(ctx context.Context, q ResidentQuery) ([]Resident, string, error)
	// SyncCursor returns the saved cursor of a snapshot feed ("" if never synced).
	SyncCursor(ctx context.Context, feed string) (string, error)

	// GetApplication returns an application or ErrNotFound.
	GetApplication(ctx context.Context, id string) (Application, error)
	// GetHoldingApplication returns the application that holds (item, subjectKey) (see
	// Application.SubjectKey) or ErrNotFound.
	GetHoldingApplication(ctx context.Context, item, subjectKey string) (Application, error)
	// ListApplications returns applications newest first and the cursor of the next page.
	ListApplications(ctx context.Context, f ApplicationFilter, p Page) ([]Application, string, error)
	// ListReviews returns an application's reviews in the order they were made.
	ListReviews(ctx context.Context, applicationID string) ([]Review, error)
	// LatestConfirmation returns the application's latest confirmation or ErrNotFound.
	LatestConfirmation(ctx context.Context, applicationID string) (Confirmation, error)

	// GetDecision returns a decision by id or ErrNotFound.
	GetDecision(ctx context.Context, id string) (Decision, error)
	// ListDecisions returns decisions newest first and the cursor of the next page.
	ListDecisions(ctx context.Context, f DecisionFilter, p Page) ([]Decision, string, error)

	// GetPermit returns a permit by id or ErrNotFound.
	GetPermit(ctx context.Context, id string) (Permit, error)
	// GetPermitByApplication returns the application's permit or ErrNotFound.
	GetPermitByApplication(ctx context.Context, applicationID string) (Permit, error)
	// RevokedStatusIndexes returns the status-list indexes of revoked permits (ascending) and
	// the highest index allocated so far, for building the status list.
	RevokedStatusIndexes(ctx context.Context) (revoked []int64, maxIndex int64, err error)

	// GetIdempotency returns the record for (caller, key) or ErrNotFound.
	GetIdempotency(ctx context.Context, caller Caller, key string) (IdempotencyRecord, error)

	// ListAudit returns up to limit audit entries with seq > afterSeq, ascending.
	ListAudit(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error)
	// LatestCheckpoint returns the newest signed checkpoint or ErrNotFound.
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)

	// ListDataUse returns the data-use records of the resident with this ID number, newest
	// first, and the cursor of the next page.
	ListDataUse(ctx context.Context, idNumber string, p Page) ([]DataUse, string, error)

	// GetOfficeKey returns a key by kid or ErrNotFound.
	GetOfficeKey(ctx context.Context, kid string) (OfficeKey, error)
	// ListOfficeKeys returns the keys of an office ("" for every office), oldest first.
	ListOfficeKeys(ctx context.Context, office string) ([]OfficeKey, error)
}

// Writer is the write side of the store. On a Store each call is its own transaction; inside
// Store.Tx all calls commit together.
type Writer interface {
	ClientWriter
	FollowUpWriter
	// CreateApplication inserts a new application (ID from NewID if empty; Version set to 1;
	// timestamps set if zero). ErrConflict if the id exists; a *HeldError (ErrSubjectHeld)
	// naming the holder if a.SubjectKey is set and another application holds (a.Item,
	// a.SubjectKey). A concurrent creation for the same pair waits for the first to commit.
	CreateApplication(ctx context.Context, a *Application) error
	// UpdateApplication replaces the mutable fields of a (status, form, decision, awaiting,
	// permit id) if its stored version equals expectedVersion, and sets a.Version and
	// a.UpdatedAt. Moving to rejected releases the subject key (a.SubjectKey becomes empty);
	// the subject key is never set by an update. ErrConflict when stale, ErrNotFound when
	// absent.
	UpdateApplication(ctx context.Context, a *Application, expectedVersion int64) error
	// AddReview appends a review (sets ID, and At if zero).
	AddReview(ctx context.Context, r *Review) error
	// AddConfirmation appends an applicant confirmation (sets ID, and At if zero).
	AddConfirmation(ctx context.Context, c *Confirmation) error
	// InsertDecision stores a decision. ErrConflict if the id exists.
	InsertDecision(ctx context.Context, d *Decision) error

	// AllocateStatusIndex returns a fresh, never reused status-list index.
	AllocateStatusIndex(ctx context.Context) (int64, error)
	// InsertPermit stores a permit (status active; a status index is allocated if zero).
	// ErrDuplicatePermit if the application already has one.
	InsertPermit(ctx context.Context, p *Permit) error
	// RevokePermit marks a permit revoked and releases the subject key of its application.
	// ErrNotFound, or ErrPermitRevoked if already revoked.
	RevokePermit(ctx context.Context, id, reason string) error

	// ReserveIdempotency claims (caller, key) for a request with this hash, inside the
	// transaction that makes the change. It returns (nil, nil) when the key is new: the caller
	// proceeds and calls CompleteIdempotency in the same transaction. It returns the stored
	// record when the same request was already completed: the caller replays it and makes no
	// change. ErrIdempotencyMismatch when the key was used for a different request. A
	// concurrent request with the same key waits for the first one to commit.
	ReserveIdempotency(ctx context.Context, caller Caller, key, requestHash string) (*IdempotencyRecord, error)
	// CompleteIdempotency stores the response for a reserved key.
	CompleteIdempotency(ctx context.Context, caller Caller, key string, status int, body []byte) error

	// AppendAudit appends e to the hash chain (fills At if zero, then Seq, PrevHash and Hash).
	// The chain is one sequence across connections and processes. Inside Store.Tx the entry
	// is checked at once and written with the transaction, never holding the chain-head lock
	// across the transaction's work: SQLite (one writer) chains it as the transaction's last
	// step; PostgreSQL queues it with the transaction and chains it after the commit, in a
	// short chaining transaction shared with the other transactions that committed meanwhile
	// (an entry committed but not chained, after a crash, is chained by the next append or
	// checkpoint of any process). Seq, PrevHash and Hash are set once Tx returns nil; reads
	// inside the transaction do not see its entries.
	AppendAudit(ctx context.Context, e *AuditEntry) error

	// RecordDataUse stores a data-use record keyed by SubjectDigest(u.IDNumber) (or by
	// u.SubjectDigest if IDNumber is empty); the ID number itself is not stored.
	RecordDataUse(ctx context.Context, u *DataUse) error

	// PutOfficeKey inserts a key (status active if empty). ErrConflict if the kid exists,
	// ErrActiveKeyExists if the key is active and its office already has an active key (when
	// both hold, ErrConflict on a Store, either inside Tx).
	PutOfficeKey(ctx context.Context, k *OfficeKey) error
	// EnsureActiveOfficeKey stores k as its office's active key unless the office already has
	// one, and returns the office's active key: k (status set to active) when it was stored,
	// the existing key otherwise. Concurrent calls for one office, also from several
	// processes, store exactly one key. ErrConflict if k's kid exists.
	EnsureActiveOfficeKey(ctx context.Context, k *OfficeKey) (OfficeKey, error)
	// SetOfficeKeyStatus changes a key's status and not_after (zero: none). ErrNotFound if
	// absent, ErrActiveKeyExists when activating a key of an office that has an active one.
	SetOfficeKeyStatus(ctx context.Context, kid string, status KeyStatus, notAfter time.Time) error

	// EnqueueEvent writes e to the event outbox (ID from NewID and OccurredAt set if empty) and
	// creates a pending delivery, due at e.OccurredAt, for every subscription active and
	// matching it now (see Webhooks). Inside Store.Tx the event commits with the change it
	// reports, or not at all. ErrConflict if the id exists.
	EnqueueEvent(ctx context.Context, e *Event) error
}

// Txn is the view of the store inside one transaction.
type Txn interface {
	Reader
	Writer
}

// Store is the hub's whole persistence. Implementations are safe for concurrent use.
type Store interface {
	Reader
	Writer
	BackflowStore
	EnrolmentStore
	ScanDataReader
	StatsReader
	ScanResults
	FollowUpStats
	ScanDelta
	BulkLoader
	Webhooks
	WhatIfJobs
	CompiledSQLCache

	// Tx runs fn in one transaction: committed if fn returns nil, rolled back otherwise (and on
	// panic). Inside fn use tx only: a write through the Store (or a nested Tx) would wait for
	// the connection fn holds (SQLite has a single writer). fn must not keep tx after
	// returning. fn must not wait for another connection of the store's pool (a read through
	// the Store instead of tx): with every connection held by such transactions the pool
	// deadlocks; read before Tx or through tx. Audit entries are chained at or after commit
	// (see AppendAudit): no transaction holds the chain-head lock while it works.
	Tx(ctx context.Context, fn func(tx Txn) error) error

	// ApplySnapshot applies rows in order and saves nextCursor for feed, all in one
	// transaction: a row upserts its resident (replacing the enrolments), a row with Deleted
	// set removes the resident and their enrolments (nothing to remove is not an error). When
	// an ID number occurs more than once, its last row decides the outcome. Applying the same
	// batch twice leaves the same state.
	ApplySnapshot(ctx context.Context, feed string, rows []Resident, nextCursor string) error

	// PurgeIdempotency deletes idempotency records created before cutoff and returns how many.
	PurgeIdempotency(ctx context.Context, cutoff time.Time) (int64, error)

	// Checkpoint signs the current head of the audit chain with signer (ed25519) and stores it.
	Checkpoint(ctx context.Context, signer crypto.Signer, kid string) (Checkpoint, error)
	// VerifyAudit walks the whole chain and every checkpoint. When something does not verify
	// it returns the report (Intact false, FirstBadSeq and Problem set) and an error wrapping
	// ErrAuditTampered; other errors are storage failures.
	VerifyAudit(ctx context.Context, pub map[string]crypto.PublicKey) (AuditReport, error)

	// SubjectDigest is the key under which data-use records of a resident are kept: HMAC-SHA256
	// of the normalised ID number with the store's subject key (or SHA-256 without one).
	SubjectDigest(idNumber string) string

	// Backend names the backend: "sqlite" or "postgres".
	Backend() string
	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database handles.
	Close() error
}

// Options are the settings shared by the backends; set them with Option functions.
type Options struct {
	// SubjectKey keys SubjectDigest (HMAC-SHA256). Without it the digest is plain SHA-256,
	// which an attacker with the database can reverse by enumerating ID numbers.
	SubjectKey []byte
	// Logger receives migration and backend messages; slog.Default() if nil.
	Logger *slog.Logger
	// Schema is the PostgreSQL schema (search_path) to use, created if missing; ignored by
	// SQLite.
	Schema string
	// MaxOpenConns caps the connection pool (readers for SQLite); 0 chooses a default.
	MaxOpenConns int
}

// Option sets one of the Options.
type Option func(*Options)

// WithSubjectKey sets the HMAC key for SubjectDigest.
func WithSubjectKey(key []byte) Option {
	return func(o *Options) { o.SubjectKey = append([]byte(nil), key...) }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithSchema selects the PostgreSQL schema (search_path).
func WithSchema(name string) Option { return func(o *Options) { o.Schema = name } }

// WithMaxOpenConns caps the connection pool.
func WithMaxOpenConns(n int) Option { return func(o *Options) { o.MaxOpenConns = n } }

// ApplyOptions folds opts into Options with defaults filled in.
func ApplyOptions(opts ...Option) Options {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Backend opens a store; backends register one with Register.
type Backend struct {
	Name string
	// Accepts reports whether the backend handles dsnOrPath.
	Accepts func(dsnOrPath string) bool
	Open    func(ctx context.Context, dsnOrPath string, opts ...Option) (Store, error)
}

var (
	backendsMu sync.RWMutex
	backends   []Backend
)

// Register makes a backend available to Open. Backend packages call it from init; the
// PostgreSQL backend is consulted before the SQLite one, which accepts any path.
func Register(b Backend) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	backends = append(backends, b)
}

// RegisterOpener registers a backend whose Open returns its concrete store type.
func RegisterOpener[S Store](name string, accepts func(dsnOrPath string) bool, open func(ctx context.Context, dsnOrPath string, opts ...Option) (S, error)) {
	Register(Backend{Name: name, Accepts: accepts, Open: func(ctx context.Context, dsnOrPath string, opts ...Option) (Store, error) {
		s, err := open(ctx, dsnOrPath, opts...)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return s, nil
	}})
}

// IsPostgresDSN reports whether dsn selects PostgreSQL ("postgres://" or "postgresql://").
func IsPostgresDSN(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Open opens the store named by dsnOrPath: a postgres:// or postgresql:// URL selects
// PostgreSQL, anything else is an SQLite file path. Migrations run before it returns. The
// chosen backend package must be imported (see the package comment), else ErrUnknownBackend.
func Open(ctx context.Context, dsnOrPath string, opts ...Option) (Store, error) {
	backendsMu.RLock()
	bs := append([]Backend(nil), backends...)
	backendsMu.RUnlock()
	// Specific backends first: the SQLite backend accepts every non-URL path.
	for pass := 0; pass < 2; pass++ {
		for _, b := range bs {
			specific := b.Name != "sqlite"
			if (pass == 0) == specific && b.Accepts(dsnOrPath) {
				return b.Open(ctx, dsnOrPath, opts...)
			}
		}
	}
	kind := "sqlite"
	if IsPostgresDSN(dsnOrPath) {
		kind = "postgres"
	}
	return nil, fmt.Errorf("%w (%s)", ErrUnknownBackend, kind)
}
