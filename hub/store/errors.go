package store

import (
	"errors"
	"fmt"
)

var (
	// ErrLeaseLost is returned by FinishDelivery when the delivery's lease expired and another
	// worker claimed it since: the attempt is logged, its outcome is not applied.
	ErrLeaseLost = errors.New("store: delivery lease lost")

	// ErrNotFound is returned when the requested row (application, decision, permit,
	// idempotency record, key, resident, checkpoint) does not exist.
	ErrNotFound = errors.New("store: not found")

	// ErrConflict is returned by UpdateApplication when the expected version is stale (another
	// writer updated the application first), and by inserts whose primary key already exists.
	ErrConflict = errors.New("store: conflict")

	// ErrDuplicatePermit is returned by InsertPermit when the application already has a permit.
	// The database enforces it (a unique constraint on permits.application_id), so it holds
	// across hub processes sharing one PostgreSQL.
	ErrDuplicatePermit = errors.New("store: application already has a permit")

	// ErrSubjectHeld is returned (as a *HeldError) by CreateApplication when another
	// application already holds the same (item, subject key): it is open, or approved with its
	// permit still active. The database enforces it (a unique index on applications (item,
	// subject_key)), so it holds across hub processes sharing one PostgreSQL.
	ErrSubjectHeld = errors.New("store: the subject already holds or applies for this item")

	// ErrActiveKeyExists is returned by PutOfficeKey and SetOfficeKeyStatus when the change
	// would give an office a second active key. The database enforces one active key per
	// office (a unique index), so it holds across hub processes sharing one PostgreSQL.
	ErrActiveKeyExists = errors.New("store: office already has an active key")

	// ErrIdempotencyMismatch is returned by ReserveIdempotency when the caller reuses an
	// idempotency key with a different request (a different request hash).
	ErrIdempotencyMismatch = errors.New("store: idempotency key reused with a different request")

	// ErrIdempotencyIncomplete is returned by ReserveIdempotency when a record for the key was
	// committed without a response (CompleteIdempotency was not called in that transaction).
	ErrIdempotencyIncomplete = errors.New("store: idempotency record has no response")

	// ErrPermitRevoked is returned by RevokePermit when the permit is already revoked.
	ErrPermitRevoked = errors.New("store: permit already revoked")

	// ErrAuditTampered is returned (wrapped, with a filled AuditReport) by VerifyAudit when the
	// chain or a checkpoint does not verify.
	ErrAuditTampered = errors.New("store: audit log does not verify")

	// ErrInvalid is returned when an argument violates the store's contract (an empty id, an
	// unknown status, a malformed JSON document).
	ErrInvalid = errors.New("store: invalid argument")

	// ErrUnknownBackend is returned by Open when no registered backend accepts the DSN
	// (the backend package was not imported).
	ErrUnknownBackend = errors.New("store: no backend registered for this DSN")
)

// HeldError is the ErrSubjectHeld refusal with the application that holds the subject.
type HeldError struct {
	Item          string
	ApplicationID string            // the holding application
	Status        ApplicationStatus // its status
	PermitID      string            // its active permit, when approved
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("store: item %s: the subject is held by application %s (%s)", e.Item, e.ApplicationID, e.Status)
}

// Unwrap returns ErrSubjectHeld.
func (e *HeldError) Unwrap() error { return ErrSubjectHeld }
