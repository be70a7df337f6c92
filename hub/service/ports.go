package service

import (
	"context"
	"encoding/json"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/evidence"
	"sanmian/hub/store"
)

// Item is what the service needs to know of one catalogue item.
type Item struct {
	Code         string      `json:"code"`
	NameZH       string      `json:"name_zh"`
	NameEN       string      `json:"name_en"`
	Category     string      `json:"category"`
	LegalBasis   string      `json:"legal_basis"`
	Fields       []FieldSpec `json:"fields"`
	Levels       []string    `json:"levels"` // review levels in order: village, work_area, town
	Instant      bool        `json:"instant"`
	Proactive    bool        `json:"proactive"`
	StaleAllowed bool        `json:"stale_allowed"`
	// StaleKinds, with StaleAllowed, are the evidence kinds that may be served stale (empty:
	// every kind); the policy's choice (catalogue stale_kinds).
	StaleKinds []string `json:"stale_kinds,omitempty"`
	// Repeatable items may be applied for again while an earlier application is open or its
	// permit active (assistance granted per event, certificates issued on demand). For the
	// others an open application or an active permit holds the benefit subject (see
	// BenefitSubject and store.Application.SubjectKey) and a second application is refused
	// with *HeldError.
	Repeatable bool `json:"repeatable"`
	// BenefitSubject is whom the benefit is for (SubjectApplicant, SubjectHousehold,
	// SubjectDeceased): an application holds that subject, so a household item is granted
	// once per household and a deceased item once per death, whoever applies.
	BenefitSubject string `json:"benefit_subject"`
	// ClaimWindowDays is how long after a death a deceased item may be claimed (0: no window).
	ClaimWindowDays int `json:"-"`
	ValidityDays    int `json:"validity_days,omitempty"` // permit validity; 0 = no expiry
	// Needs is the evidence the item's rule reads: kind ("province.licences") -> paths. The
	// service asks the platforms for that (plus what the form is filled from) and no more.
	Needs map[string][]string `json:"needs,omitempty"`
}

// FieldSpec is one form field of an item: its name, Chinese label, and the evidence path it
// is filled from (empty for fields the applicant always enters).
type FieldSpec struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Path     string `json:"path,omitempty"`
	Autofill bool   `json:"autofill"`
	// Mask is "id" for identity numbers, shown masked unless the decision unmasks the field.
	Mask string `json:"mask,omitempty"`
}

// Reason is one reason for a decision or a refusal, in Chinese and English.
type Reason struct {
	Code string `json:"code"`
	Rule string `json:"rule,omitempty"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// Decision is the policy's answer for one application.
type Decision struct {
	ID          string
	Revision    string
	Path        string
	InputDigest string
	Eligible    *bool // nil = undetermined
	Reasons     []Reason
	Missing     []string
	Autofill    []string
	Unmasked    map[string]bool // per form field: may this caller see it unmasked
	Instant     bool
	Proactive   bool
	// Values are field values the policy derived (age, tier, amount), by field name.
	Values map[string]any
	// Input is the minimised input and Result the full result, kept for the decision record.
	Input  json.RawMessage
	Result json.RawMessage
	At     time.Time
}

// Resource is what an access decision is about.
type Resource struct {
	Village  string `json:"village,omitempty"`
	Item     string `json:"item,omitempty"`
	Level    string `json:"level,omitempty"`
	Division string `json:"division,omitempty"`
}

// Authorization is the access policy's answer.
type Authorization struct {
	Allow    bool
	Reason   Reason
	UnmaskID bool
}

// Policy is the policy engine as the service uses it. Implementations are safe for
// concurrent use.
type Policy interface {
	// Item returns a catalogue item by code.
	Item(code string) (Item, bool)
	// Items returns the catalogue in a stable order.
	Items() []Item
	// ReasonText returns the catalogue's Chinese and English texts of a reason code (Rule
	// empty), as the scan's findings carry codes only.
	ReasonText(code string) (Reason, bool)
	// Decide evaluates item for the evidence at the pinned time now.
	Decide(ctx context.Context, item string, b *evidence.Bundle, now time.Time, requestedBy string) (Decision, error)
	// Authorize decides whether c may do action on r.
	Authorize(ctx context.Context, c auth.Caller, action string, r Resource) (Authorization, error)
	// Replay evaluates a stored decision record again on its recorded input and clock with
	// the bundle in use now. A record whose input does not match its digest is refused with
	// an error wrapping ErrRecordAltered.
	Replay(ctx context.Context, rec store.Decision) (Replay, error)
}

// Replay is the outcome of Policy.Replay: the replayed result (canonical JSON), the revision
// it was replayed under, whether that is the recorded one, and whether the result equals the
// recorded one byte for byte.
type Replay struct {
	Result       json.RawMessage
	Revision     string
	SameRevision bool
	Identical    bool
}

// Evidence is the evidence assembler as the service uses it.
type Evidence interface {
	// Locate returns the village code of the resident (from the local snapshot when it has
	// the resident, else from the district platform), so access can be decided before any
	// personal data is fetched. ErrNotFound-like errors mean the district does not know the
	// resident.
	Locate(ctx context.Context, idNumber string) (village string, err error)
	// Assemble fetches and reconciles what the platforms hold on the resident (and, unless
	// opts narrow it, the household). opts.AllowStale permits cached values after a platform
	// failure; the zero options ask for everything.
	Assemble(ctx context.Context, idNumber string, opts evidence.AssembleOptions) (*evidence.Bundle, error)
}

// Sealer seals permits with the issuing office's key and verifies them.
type Sealer interface {
	// OfficeSealer makes sure the office has an active sealing key (creating its first one)
	// and returns what seals with it. The service calls it before the transaction that may
	// seal: creating a key writes to the store, and reading the keys inside the transaction
	// would wait for a second pool connection while holding the first.
	OfficeSealer(ctx context.Context, office string) (PermitSealer, error)
	// Verify checks a permit token against the published keys and the status list.
	Verify(ctx context.Context, token string) (Verification, error)
}

// PermitSealer seals permits for one office with the key chosen when it was made; it does not
// touch the store. Safe for concurrent use.
type PermitSealer interface {
	// Office is the office it seals for.
	Office() string
	// Seal signs the claims and returns the compact JWS and kid.
	Seal(c PermitClaims) (token, kid string, err error)
}

// PermitClaims is what a permit says. HolderID is the full ID number: the sealer binds it
// (keyed digest) and never puts it in the token.
type PermitClaims struct {
	ID             string
	Item           string
	Office         string
	HolderID       string
	HolderMasked   string
	IssuedAt       time.Time
	ExpiresAt      time.Time // zero: no expiry
	Reviews        []ReviewClaim
	Evidence       []EvidenceDigest
	PolicyRevision string
	DecisionID     string
	StatusIndex    int64
}

// EvidenceDigest names one evidence record a permit rests on by kind, platform and digest
// (never the record id, which may carry personal data).
type EvidenceDigest struct {
	Kind     string
	Platform string
	Digest   string
}

// ReviewClaim is one step of the review chain as sealed into the permit.
type ReviewClaim struct {
	Level    string    `json:"level"`
	Division string    `json:"division"`
	Action   string    `json:"action"`
	Reviewer string    `json:"reviewer"`
	At       time.Time `json:"at"`
}

// Verification is the outcome of verifying a permit token.
type Verification struct {
	Valid  bool   `json:"valid"`
	Status string `json:"status"` // active, revoked, invalid, expired
	Claims any    `json:"claims,omitempty"`
	KID    string `json:"kid,omitempty"`
	Reason string `json:"reason,omitempty"`
}
