package schema

import (
	"context"

	"sanmian/hub/auth"
	"sanmian/hub/service"
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
	People(ctx context.Context, c auth.Caller, idNumbers []string, purpose string) ([]service.PersonResult, error)

	// Household returns one household (户) with its member list, for a purpose.
	Household(ctx context.Context, c auth.Caller, householdID, purpose string) (*service.HouseholdView, error)

	// Eligibility evaluates the item's eligibility rule for one resident without creating an
	// application (what the proactive scan does for one person).
	Eligibility(ctx context.Context, c auth.Caller, idNumber, item, purpose string) (service.DecisionDetail, error)

	// Items returns the small-power item catalogue (小微权力清单).
	Items(ctx context.Context) ([]service.Item, error)

	// Division returns one administrative division by its GB/T 2260 or 12-digit statistical
	// code; ErrNotFound for an unknown code.
	Division(ctx context.Context, code string) (service.DivisionView, error)

	// ApplicationDetail returns one application the caller may see, with its reviews.
	ApplicationDetail(ctx context.Context, c auth.Caller, id string) (service.ApplicationDetail, error)

	// ApplicationDetails lists the applications the caller may see that match the filter,
	// newest first, after f.After, at most f.Limit of them, and the cursor of the next page
	// ("" at the end).
	ApplicationDetails(ctx context.Context, c auth.Caller, f service.ListFilter) ([]service.ApplicationDetail, string, error)

	// CreateApplication creates an application (POST /v1/applications): assembles evidence,
	// pre-fills the form and decides. Repeating a request with the same idempotency key
	// returns the first result.
	CreateApplication(ctx context.Context, c auth.Caller, req service.CreateRequest, idemKey string) (service.Outcome[service.ApplicationView], error)

	// Confirm records the applicant's preview and signature (POST /v1/applications/{id}/confirm).
	Confirm(ctx context.Context, c auth.Caller, id string, req service.ConfirmRequest, idemKey string) (service.Outcome[service.ApplicationView], error)

	// Review records a review at the application's current level and moves it on
	// (POST /v1/applications/{id}/review); the last level, or instant approval, issues the permit.
	Review(ctx context.Context, c auth.Caller, id string, req service.ReviewRequest, idemKey string) (service.Outcome[service.ApplicationView], error)

	// GetPermit returns one permit (GET /v1/permits/{id}).
	GetPermit(ctx context.Context, c auth.Caller, id string) (service.PermitView, error)

	// Revoke revokes a permit and updates the status list (POST /v1/permits/{id}/revoke).
	Revoke(ctx context.Context, c auth.Caller, id string, req service.RevokeRequest, idemKey string) (service.Outcome[service.PermitView], error)

	// GetDecision returns one policy decision by its decision id.
	GetDecision(ctx context.Context, c auth.Caller, id string) (service.DecisionDetail, error)

	// ReplayDecision evaluates a recorded decision again on its recorded input and clock with
	// the policy in use now (auditors: action decision.replay) and writes the replay to the
	// audit log. An altered record is reported (InputIntact false), not an error.
	ReplayDecision(ctx context.Context, c auth.Caller, id string) (service.DecisionReplay, error)

	// DataUseRecords lists who looked at a resident's data (GET /v1/residents/{id_number}/data-use),
	// newest first, after the cursor after, at most limit records, and the cursor of the next
	// page ("" at the end).
	DataUseRecords(ctx context.Context, c auth.Caller, idNumber, after string, limit int) ([]service.DataUseRecord, string, error)

	// Worklists returns a page of the latest scan's proactive candidates in the caller's
	// jurisdiction (GET /v1/worklists), ID numbers masked, and the cursor of the next page.
	Worklists(ctx context.Context, c auth.Caller, q service.FindingQuery) ([]service.FindingView, string, error)

	// Alerts returns a page of the latest scan's supervision alerts (GET /v1/alerts;
	// auditors and admins), ID numbers masked, and the cursor of the next page.
	Alerts(ctx context.Context, c auth.Caller, q service.FindingQuery) ([]service.FindingView, string, error)

	// ContactLog returns a worklist candidate's contact log, newest first
	// (GET /v1/worklists/{id}/contacts).
	ContactLog(ctx context.Context, c auth.Caller, findingID string) ([]service.ContactView, error)

	// AddContact logs a contact with a worklist candidate (POST /v1/worklists/{id}/contacts).
	AddContact(ctx context.Context, c auth.Caller, findingID string, req service.ContactRequest) (service.ContactView, error)

	// ResolveAlert resolves a supervision alert with a note (POST /v1/alerts/{id}/resolve).
	ResolveAlert(ctx context.Context, c auth.Caller, findingID string, req service.ResolveRequest) (service.FindingView, error)
}

type callerKey struct{}

// ContextWithCaller returns a context carrying c, for the default caller accessor. The hub's
// authentication middleware calls it (or the hub passes its own accessor with WithCallerFunc).
func ContextWithCaller(ctx context.Context, c auth.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFromContext returns the caller stored by ContextWithCaller.
func CallerFromContext(ctx context.Context) (auth.Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(auth.Caller)
	return c, ok
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
