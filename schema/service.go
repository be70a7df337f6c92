package schema

import (
	"context"
	"time"

	"sanmian/hub/evidence"
)

// Service is what the GraphQL layer needs from the hub. The hub's application service
// implements it; the REST handlers call the same service, so both doors share one
// authorisation, audit and data-use path.
//
// Contract for every method:
//   - the service authorises c through policy before it touches data, and returns an error
//     wrapping ErrForbidden (or ErrNotFound when existence must not be revealed) otherwise;
//   - person data is released only for the stated purpose and is written to the audit log and
//     to the resident's data-use record by the service, not by the schema;
//   - errors wrap the sentinels in errors.go (or are mapped with WithErrorCode); their text is
//     never shown to the client;
//   - implementations are safe for concurrent use: the schema calls them from several
//     goroutines during one request.
type Service interface {
	// People looks up residents for one purpose. It returns exactly one PersonResult per ID
	// number, in the order given (duplicates allowed). A resident the caller may not see is a
	// per-entry Err (wrapping ErrForbidden or ErrNotFound) and never stops the other entries;
	// the returned error is for the failure of the whole call. Every person the schema shows,
	// whether asked for directly, reached through a household or through an application, comes
	// from this method.
	People(ctx context.Context, c Caller, idNumbers []string, purpose string) ([]PersonResult, error)

	// Household returns one household (户) with its member list, for a purpose.
	Household(ctx context.Context, c Caller, householdID, purpose string) (*Household, error)

	// Eligibility evaluates the item's eligibility rule for one resident without creating an
	// application (what the proactive scan does for one person).
	Eligibility(ctx context.Context, c Caller, idNumber, item, purpose string) (*Decision, error)

	// Items returns the small-power item catalogue (小微权力清单), ordered by code.
	Items(ctx context.Context) ([]Item, error)

	// Division returns one administrative division by its GB/T 2260 or 12-digit statistical
	// code; ErrNotFound for an unknown code.
	Division(ctx context.Context, code string) (*Division, error)

	// Application returns one application the caller may see.
	Application(ctx context.Context, c Caller, id string) (*Application, error)

	// Applications lists the applications the caller may see that match filter, newest
	// first, starting after the opaque cursor after ("" for the first page), at most first
	// (1..100) of them.
	Applications(ctx context.Context, c Caller, filter ApplicationFilter, after string, first int) (*Page[Application], error)

	// Apply creates an application (POST /v1/applications): assembles evidence, pre-fills the
	// form and decides. Repeating a request with the same IdempotencyKey returns the first
	// result.
	Apply(ctx context.Context, c Caller, req ApplyRequest) (*Application, error)

	// Confirm records the applicant's preview and signature (POST /v1/applications/{id}/confirm).
	Confirm(ctx context.Context, c Caller, req ConfirmRequest) (*Application, error)

	// Review records a review at the application's current level and moves it on
	// (POST /v1/applications/{id}/review); the last level, or instant approval, issues the permit.
	Review(ctx context.Context, c Caller, req ReviewRequest) (*Application, error)

	// Permit returns one permit (GET /v1/permits/{id}).
	Permit(ctx context.Context, c Caller, id string) (*Permit, error)

	// Revoke revokes a permit and updates the status list (POST /v1/permits/{id}/revoke).
	Revoke(ctx context.Context, c Caller, req RevokeRequest) (*Permit, error)

	// Decision returns one policy decision by its decision id.
	Decision(ctx context.Context, c Caller, id string) (*Decision, error)

	// ReplayDecision evaluates a recorded decision again on its recorded input and clock with
	// the policy in use now (auditors: action decision.replay) and writes the replay to the
	// audit log. An altered record is reported (InputIntact false), not an error.
	ReplayDecision(ctx context.Context, c Caller, id string) (*DecisionReplay, error)

	// DataUse lists who looked at a resident's data (GET /v1/residents/{id_number}/data-use),
	// newest first, after the opaque cursor after, at most first (1..100) records.
	DataUse(ctx context.Context, c Caller, idNumber, after string, first int) (*Page[DataUse], error)
}

// Caller is the authenticated identity a request acts for. Its fields match the hub's
// auth.Caller one for one, so the HTTP layer can convert with schema.Caller(authCaller).
type Caller struct {
	Subject      string   // token sub
	Issuer       string   // token iss
	Role         string   // counter, reviewer, department, auditor, admin
	Jurisdiction string   // division code the caller acts in
	Scope        []string // item codes (department apps) or other grants
	TokenID      string   // token jti, for the audit log
}

type callerKey struct{}

// ContextWithCaller returns a context carrying c, for the default caller accessor. The hub's
// authentication middleware calls it (or the hub passes its own accessor with WithCallerFunc).
func ContextWithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFromContext returns the caller stored by ContextWithCaller.
func CallerFromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// PersonResult is one entry of a People answer: Person, or Err when that resident may not be
// shown (or does not exist).
type PersonResult struct {
	Person *Person
	Err    error
}

// Person is one resident as the hub released it to a caller for a purpose.
type Person struct {
	// Record is the merged record. Record.IDNumber is the full number (the schema masks it
	// unless Unmasked); fields named in Withheld are zero and shown as null.
	Record evidence.Person
	// Unmasked is true when policy lets this caller see full ID numbers of this resident.
	Unmasked bool
	// Withheld lists the evidence.Person JSON field names ("birth_date", "licences", "rolls",
	// ...) that policy withheld for this caller and purpose (data minimisation).
	Withheld []string
	// Provenance maps a field path inside Record ("name", "licences.0", "rolls") to its source.
	Provenance map[string]evidence.Provenance
	// Conflicts are disagreements between platforms about this resident's fields.
	Conflicts []evidence.Conflict
	// Stale is true when any part was served from cache after a platform failed.
	Stale bool
}

// Household is one household (户) from the district platform.
type Household struct {
	ID         string
	Village    string // 12-digit village code
	HukouType  string // evidence.HukouAgricultural or evidence.HukouNonAgricultural
	Members    []Member
	Provenance *evidence.Provenance
}

// Member is one household member. IDNumber is the full number and is never shown by the
// schema: the member's person is loaded through Service.People.
type Member struct {
	IDNumber string
	Relation string // to the head: head, spouse, son, daughter, ... (evidence.Person.Relation)
}

// Item is one small-power item (小微权力事项) of the catalogue.
type Item struct {
	Code         string
	Name         string // Chinese name
	NameEN       string
	Category     string
	LegalBasis   string
	Fields       []ItemField
	Evidence     []string // required evidence, as "<platform>.<kind>"
	ReviewLevels []string // village, work_area, town
	Instant      bool     // instant approval (秒批) allowed
	Proactive    bool     // proactive scanning (免申即享) allowed
	// BenefitSubject is whom the benefit is for: "applicant", "household" (once per
	// household) or "deceased" (once per death, claimed by a relative).
	BenefitSubject string
}

// ItemField is one form field of an item.
type ItemField struct {
	Name     string
	Label    string // Chinese label
	Evidence string // evidence path that fills it, e.g. "applicant.birth_date"
	Autofill bool   // may be pre-filled from evidence
	Required bool
}

// Division is an administrative division or party-building work area.
type Division struct {
	Code   string
	Name   string
	Level  string // district, town, work_area, village
	Parent string // parent code; "" for the district
}

// ApplicationFilter narrows Applications; empty fields do not filter.
type ApplicationFilter struct {
	Status   string // draft, confirmed, in_review, approved, rejected, returned
	Division string
	Item     string
}

// Application is one resident's application for one item (the REST application shape).
type Application struct {
	ID                string
	Item              string
	ApplicantIDNumber string // full; the schema masks it and loads the applicant through People
	Purpose           string
	Status            string // draft, confirmed, in_review, approved, rejected, returned
	Division          string // the applicant's village when the application was made
	Form              []FormField
	Decision          *Decision
	Awaiting          *Awaiting // while in review
	PermitID          string    // once approved
	Reviews           []Review
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// Unmasked is true when policy lets this caller see full ID numbers in form values.
	Unmasked bool
}

// FormField is one pre-filled form field with its provenance.
type FormField struct {
	Name     string
	Label    string
	Value    string
	Source   *evidence.Provenance // nil when entered by hand
	Declined bool                 // the applicant declined the pre-filled value
}

// Awaiting names the review level an application waits for.
type Awaiting struct {
	Level    string // village, work_area, town
	Division string
}

// Review is one recorded review step.
type Review struct {
	Level    string
	Division string
	Action   string // approve, reject, return
	Comment  string
	Reviewer string // reviewer subject
	At       time.Time
}

// Decision is the policy result for an application or an eligibility check.
type Decision struct {
	ID            string
	Item          string
	ApplicationID string // "" for an eligibility check
	Eligible      *bool  // nil = undetermined
	Reasons       []string
	Missing       []string
	Autofill      []string
	Instant       bool
	Revision      string // policy bundle revision
	InputDigest   string // SHA-256 of the policy input
	DecidedAt     time.Time
}

// DecisionReplay is a recorded decision evaluated again (Service.ReplayDecision).
type DecisionReplay struct {
	DecisionID       string
	RecordedRevision string
	Revision         string // "" when not replayed (altered record)
	SameRevision     bool
	InputIntact      bool
	Identical        bool
	Eligible         *bool // the replay's verdict; nil = undetermined or not replayed
	Reasons          []string
	ReplayedAt       time.Time
}

// Permit is an issued approval (a sealed compact JWS).
type Permit struct {
	ID            string
	ApplicationID string
	Item          string
	Token         string // compact JWS
	Status        string // active, revoked
	Issuer        string // issuing office code
	Kid           string
	IssuedAt      time.Time
	ExpiresAt     *time.Time
	RevokedAt     *time.Time
	Reason        string // revocation reason
}

// DataUse is one data-use record: who used a resident's data, when and why.
type DataUse struct {
	ID         string
	At         time.Time
	Actor      string // caller subject
	Role       string
	Division   string // the caller's jurisdiction
	Action     string // lookup, decision, refusal, review, permit, revocation
	Item       string
	Purpose    string
	Fields     []string
	DecisionID string
}

// Page is one page of a cursor-paginated list.
type Page[T any] struct {
	Edges       []Edge[T]
	HasNextPage bool
}

// Edge is one element of a Page with its opaque cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// ApplyRequest is the body of POST /v1/applications.
type ApplyRequest struct {
	Item              string
	ApplicantIDNumber string
	Purpose           string
	// SubjectIDNumber names the deceased of a funeral subsidy claimed by a relative ("" when
	// the benefit is the applicant's or the household's).
	SubjectIDNumber string
	IdempotencyKey  string
}

// ConfirmRequest is the applicant's confirmation: declined field names and a signature.
type ConfirmRequest struct {
	ApplicationID string
	Declined      []string
	Signature     string
	// Notes says, per declined field, what evidence the applicant brought instead.
	Notes map[string]string
	// Values are entered at the counter for fields no platform filled (bank account, phone).
	Values map[string]string
	// IdempotencyKey makes a retried confirmation return the first result.
	IdempotencyKey string
}

// ReviewRequest is one review action: approve, reject or return.
type ReviewRequest struct {
	ApplicationID  string
	Action         string
	Comment        string
	IdempotencyKey string // a retried review returns the first result
}

// RevokeRequest revokes a permit with a reason.
type RevokeRequest struct {
	PermitID string
	Reason   string
}
