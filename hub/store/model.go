package store

import (
	"encoding/json"
	"time"
)

// ApplicationStatus is where an application is in its life.
type ApplicationStatus string

// Application statuses (part of the external contract).
const (
	StatusDraft     ApplicationStatus = "draft"
	StatusConfirmed ApplicationStatus = "confirmed"
	StatusInReview  ApplicationStatus = "in_review"
	StatusApproved  ApplicationStatus = "approved"
	StatusRejected  ApplicationStatus = "rejected"
	StatusReturned  ApplicationStatus = "returned"
)

// Valid reports whether s is one of the defined statuses.
func (s ApplicationStatus) Valid() bool {
	switch s {
	case StatusDraft, StatusConfirmed, StatusInReview, StatusApproved, StatusRejected, StatusReturned:
		return true
	}
	return false
}

// Application is one resident's application for one item.
type Application struct {
	ID          string // NewID(); time-sortable
	Item        string
	ApplicantID string // applicant's ID number
	Village     string // applicant's village division code (12 digits), for jurisdiction filters
	Status      ApplicationStatus
	// Form and Decision are JSON documents; they come back semantically equal, not byte for
	// byte (PostgreSQL keeps them as jsonb, queryable).
	Form     json.RawMessage // pre-filled form with provenance
	Decision json.RawMessage // decision summary as shown to callers
	// AwaitingLevel and AwaitingDivision name the review step while Status is in_review.
	AwaitingLevel    string
	AwaitingDivision string
	PermitID         string // set once approved
	// SubjectKey is the keyed digest (SubjectDigest) of whom the application is for: the
	// applicant by default. While it is set the application holds (Item, SubjectKey): no
	// other application may hold the same pair (CreateApplication refuses it with a
	// *HeldError). Empty for repeatable items; the store clears it when the application is
	// rejected or its permit revoked, which frees the subject for a new application.
	SubjectKey string
	CreatedBy  string // caller sub
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version is the optimistic-concurrency counter: 1 on create, +1 on every update.
	Version int64
}

// ApplicationFilter selects applications; zero fields do not filter.
type ApplicationFilter struct {
	Status           []ApplicationStatus
	Item             string
	ApplicantID      string
	DivisionPrefix   string   // village code prefix, e.g. a town's 9 leading digits
	Villages         []string // exact village codes (OR), e.g. a work area's villages
	AwaitingDivision string
}

// Page asks for one page of a list. After is the opaque cursor returned with the previous page
// ("" for the first page); Limit defaults to 50 and is capped at 1000.
type Page struct {
	After string
	Limit int
}

// ReviewAction is what a reviewer did.
type ReviewAction string

// Review actions.
const (
	ReviewApprove ReviewAction = "approve"
	ReviewReject  ReviewAction = "reject"
	ReviewReturn  ReviewAction = "return"
)

// Review is one reviewer's action on an application at one level.
type Review struct {
	ID            int64 // assigned by the store
	ApplicationID string
	Level         string // village | work_area | town
	Division      string
	Action        ReviewAction
	Comment       string
	Reviewer      string // reviewer sub
	At            time.Time
}

// Confirmation is the applicant's signature over the previewed form.
type Confirmation struct {
	ID              int64 // assigned by the store
	ApplicationID   string
	DeclinedFields  []string
	SignatureDigest string
	At              time.Time
}

// Decision is one policy evaluation, shaped like an OPA decision-log entry.
type Decision struct {
	ID            string // decision id
	ApplicationID string // may be empty (a decision without an application, e.g. a refusal)
	Item          string
	Path          string // policy path queried
	Revision      string // bundle revision
	InputDigest   string
	Input         json.RawMessage // minimised input, stored byte for byte
	Result        json.RawMessage // stored byte for byte
	RequestedBy   string
	At            time.Time
	// Outcome is derived by the store from Result's "eligible" on insert: OutcomeEligible,
	// OutcomeIneligible or OutcomeUndetermined (null or absent).
	Outcome string
}

// Decision outcomes (Decision.Outcome).
const (
	OutcomeEligible     = "eligible"
	OutcomeIneligible   = "ineligible"
	OutcomeUndetermined = "undetermined"
)

// DecisionFilter selects decisions; zero fields do not filter. DivisionPrefix and Villages
// select decisions of applications in those villages (a decision without an application is
// then left out); From and To bound At (From inclusive, To exclusive).
type DecisionFilter struct {
	ApplicationID  string
	Item           string
	Revision       string
	Outcome        string
	DivisionPrefix string
	Villages       []string
	From, To       time.Time
}

// PermitStatus is a permit's revocation status.
type PermitStatus string

// Permit statuses.
const (
	PermitActive  PermitStatus = "active"
	PermitRevoked PermitStatus = "revoked"
)

// Permit is a sealed approval. At most one exists per application.
type Permit struct {
	ID               string
	ApplicationID    string
	Token            string // compact JWS
	KID              string
	Item             string
	Issuer           string // issuing office code
	IssuedAt         time.Time
	ExpiresAt        time.Time // zero: no expiry
	Status           PermitStatus
	RevokedAt        time.Time // zero unless revoked
	RevocationReason string
	// StatusListIndex is the permit's bit in the status list; allocate it with
	// AllocateStatusIndex before signing (the token carries it). Unique.
	StatusListIndex int64
}

// Caller names who made a request: the issuer of the caller's token and its subject, which
// is unique only within that issuer. Idempotency records are kept per Caller.
type Caller struct {
	Issuer  string
	Subject string
}

// IdempotencyRecord is the stored outcome of a request made with an Idempotency-Key.
type IdempotencyRecord struct {
	Caller      Caller
	Key         string
	RequestHash string
	Completed   bool // false while the reserving transaction has not completed it
	Status      int  // response status code
	Body        []byte
	CreatedAt   time.Time
}

// AuditAction names what an audit entry records.
type AuditAction string

// Audit actions.
const (
	AuditLookup       AuditAction = "lookup"
	AuditDecision     AuditAction = "decision"
	AuditRefusal      AuditAction = "refusal"
	AuditConfirmation AuditAction = "confirmation"
	AuditReview       AuditAction = "review"
	AuditPermit       AuditAction = "permit"
	AuditRevocation   AuditAction = "revocation"
	AuditKey          AuditAction = "key"
	AuditSync         AuditAction = "sync"
	AuditReplay       AuditAction = "replay"  // an auditor replayed a recorded decision
	AuditWebhook      AuditAction = "webhook" // an administrator changed a webhook subscription or redelivered
	AuditVerify       AuditAction = "verify"  // an auditor verified the chain and its checkpoints
	AuditPolicy       AuditAction = "policy"  // a policy what-if was run, or a bundle revision activated
)

// AuditEntry is one link of the hash-chained audit log. AppendAudit fills Seq, PrevHash, Hash
// and (if zero) At; the rest is the caller's.
type AuditEntry struct {
	Seq       int64
	At        time.Time
	ActorSub  string
	ActorRole string
	Action    AuditAction
	// Subject is the resident as SubjectDigest or a masked ID number; AppendAudit refuses a
	// raw ID number (the log cannot be scrubbed later).
	Subject       string
	Item          string
	Purpose       string
	ApplicationID string
	Details       json.RawMessage // stored and hashed byte for byte; empty means {}
	PrevHash      string          // hex SHA-256
	Hash          string          // hex SHA-256 over EntryHashInput
}

// Checkpoint is a signed statement of the audit chain's head at one moment.
type Checkpoint struct {
	Seq       int64
	HeadHash  string
	At        time.Time
	KID       string
	Signature []byte // ed25519 over CheckpointMessage
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Intact      bool
	Entries     int64 // entries walked
	Checkpoints int   // checkpoints verified
	HeadSeq     int64
	HeadHash    string
	// FirstBadSeq is the first entry that does not verify (0 when the problem is not an
	// entry, e.g. a checkpoint signature); Problem says what is wrong.
	FirstBadSeq int64
	Problem     string
}

// DataUse records that someone used a resident's data: what the resident may be shown.
type DataUse struct {
	ID            int64  // assigned by the store
	IDNumber      string // input only: the store keeps SubjectDigest(IDNumber), never the ID
	SubjectDigest string
	Sub           string
	Role          string
	Org           string
	Item          string
	Purpose       string
	ApplicationID string
	At            time.Time
}

// KeyStatus is an office key's life-cycle status.
type KeyStatus string

// Office key statuses.
const (
	KeyActive  KeyStatus = "active"
	KeyRetired KeyStatus = "retired"
	KeyRevoked KeyStatus = "revoked" // compromised: leaves the JWKS at once
)

// OfficeKey is an issuing office's sealing key. The private key is encrypted by the caller;
// the store only keeps the bytes.
type OfficeKey struct {
	KID                 string
	Office              string
	Algorithm           string // e.g. EdDSA
	PublicKey           []byte
	EncryptedPrivateKey []byte
	CreatedAt           time.Time
	NotAfter            time.Time // zero: no end
	Status              KeyStatus
}

// ResidentQuery selects residents for a scan; zero fields do not filter.
type ResidentQuery struct {
	VillagePrefix string
	NotEnrolledIn string // item code the resident must not be enrolled in
	// Where is an optional trusted SQL condition over the residents table (columns such as
	// residents.birth_date, residents.hukou_type, residents.dibao; enrolments in
	// resident_enrolments(id_number, item)), e.g. compiled from a Rego rule, with ?
	// placeholders bound to Args and no ? anywhere else. Never build it from request input.
	Where string
	Args  []any
	After string // id_number cursor (exclusive)
	Limit int    // default 1000, max 10000
}
