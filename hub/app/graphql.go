package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"sanmian/hub/api"
	"sanmian/hub/auth"
	"sanmian/hub/evidence"
	"sanmian/hub/service"
	"sanmian/hub/store"
	"sanmian/schema"
)

// mountGraphQL serves the GraphQL door at /graphql over the same hub service as the REST API:
// POST (and GET with a query) behind the same bearer-token authentication, and the explorer
// page, which carries no data, to a browser's GET without a token.
func mountGraphQL(s *api.Server, hub *service.Hub, authn api.Authenticator, log *slog.Logger) {
	gql := schema.Handler(graphQLService{hub: hub},
		schema.WithCallerFunc(api.CallerFrom),
		schema.WithErrorCode(graphQLErrorCode),
		schema.WithLogger(log))
	authed := api.Authenticate(authn, gql)
	s.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Authorization") == "" {
			q := r.URL.Query()
			if !q.Has("query") && !q.Has("extensions") {
				gql.ServeHTTP(w, r) // the explorer page (or a problem document): no data
				return
			}
		}
		authed.ServeHTTP(w, r)
	}))
}

// graphQLErrorCode maps the hub service's errors to GraphQL error codes.
func graphQLErrorCode(err error) string {
	var den *service.DeniedError
	var inv *service.InvalidError
	switch {
	case errors.As(err, &den):
		return schema.CodeForbidden
	case errors.As(err, &inv):
		return schema.CodeBadUserInput
	case errors.Is(err, service.ErrNotFound):
		return schema.CodeNotFound
	case errors.Is(err, service.ErrState), errors.Is(err, service.ErrConcurrent), errors.Is(err, service.ErrIdempotencyMismatch),
		errors.Is(err, service.ErrAlreadyHeld):
		return schema.CodeConflict
	case errors.Is(err, service.ErrEvidenceUnavailable):
		return schema.CodeUnavailable
	}
	return ""
}

// graphQLService implements schema.Service over the hub service: every call goes through the
// hub's authorisation, audit and data-use path, exactly as the REST handlers do. Safe for
// concurrent use.
type graphQLService struct{ hub *service.Hub }

var _ schema.Service = graphQLService{}

func (g graphQLService) People(ctx context.Context, c auth.Caller, ids []string, purpose string) ([]service.PersonResult, error) {
	return g.hub.People(ctx, c, ids, purpose)
}

func (g graphQLService) Household(ctx context.Context, c auth.Caller, householdID, purpose string) (*service.HouseholdView, error) {
	return g.hub.Household(ctx, c, householdID, purpose)
}

func (g graphQLService) Eligibility(ctx context.Context, c auth.Caller, idNumber, item, purpose string) (*service.DecisionDetail, error) {
	return ptr(g.hub.Eligibility(ctx, c, idNumber, item, purpose))
}

// ptr returns &v, or the error alone.
func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (g graphQLService) Items(ctx context.Context) ([]schema.Item, error) {
	items := g.hub.Items()
	out := make([]schema.Item, 0, len(items))
	for _, it := range items {
		si := schema.Item{Code: it.Code, Name: it.NameZH, NameEN: it.NameEN, Category: it.Category, LegalBasis: it.LegalBasis,
			ReviewLevels: it.Levels, Instant: it.Instant, Proactive: it.Proactive}
		for _, f := range it.Fields {
			si.Fields = append(si.Fields, schema.ItemField{Name: f.Name, Label: f.Label, Evidence: f.Path, Autofill: f.Autofill})
		}
		out = append(out, si)
	}
	return out, nil
}

func (g graphQLService) Division(ctx context.Context, code string) (*service.DivisionView, error) {
	return ptr(g.hub.Division(ctx, code))
}

func (g graphQLService) Application(ctx context.Context, c auth.Caller, id string) (*schema.Application, error) {
	d, err := g.hub.ApplicationDetail(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return applicationOf(d), nil
}

func (g graphQLService) Applications(ctx context.Context, c auth.Caller, f schema.ApplicationFilter, after string, first int) (*schema.Page[schema.Application], error) {
	ds, next, err := g.hub.ApplicationDetails(ctx, c, service.ListFilter{Status: f.Status, Division: f.Division,
		Item: f.Item, After: after, Limit: first})
	if err != nil {
		return nil, err
	}
	pg := &schema.Page[schema.Application]{HasNextPage: next != ""}
	for _, d := range ds {
		// Application ids are time-sortable and are the store's own paging cursor.
		pg.Edges = append(pg.Edges, schema.Edge[schema.Application]{Cursor: d.View.ID, Node: *applicationOf(d)})
	}
	return pg, nil
}

func (g graphQLService) Apply(ctx context.Context, c auth.Caller, req schema.ApplyRequest) (*schema.Application, error) {
	var cr service.CreateRequest
	cr.Item, cr.Applicant.IDNumber, cr.Purpose = req.Item, req.ApplicantIDNumber, req.Purpose
	res, err := g.hub.CreateApplication(ctx, c, cr, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return g.applicationResult(ctx, c, res)
}

func (g graphQLService) Confirm(ctx context.Context, c auth.Caller, req schema.ConfirmRequest) (*schema.Application, error) {
	res, err := g.hub.Confirm(ctx, c, req.ApplicationID,
		service.ConfirmRequest{Signature: req.Signature, Declined: req.Declined, Notes: req.Notes, Values: req.Values}, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return g.applicationResult(ctx, c, res)
}

func (g graphQLService) Review(ctx context.Context, c auth.Caller, req schema.ReviewRequest) (*schema.Application, error) {
	res, err := g.hub.Review(ctx, c, req.ApplicationID,
		service.ReviewRequest{Action: req.Action, Comment: req.Comment}, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return g.applicationResult(ctx, c, res)
}

// applicationResult turns a state-changing call's outcome into the GraphQL application: the
// outcome's view, plus the applicant, the reviews and the unmask flag from an authorised read
// of the application.
func (g graphQLService) applicationResult(ctx context.Context, c auth.Caller, res service.Outcome[service.ApplicationView]) (*schema.Application, error) {
	d, err := g.hub.ApplicationDetail(ctx, c, res.View.ID)
	if err != nil {
		return nil, err
	}
	d.View = res.View
	return applicationOf(d), nil
}

func (g graphQLService) Permit(ctx context.Context, c auth.Caller, id string) (*service.PermitView, error) {
	return ptr(g.hub.GetPermit(ctx, c, id))
}

func (g graphQLService) Revoke(ctx context.Context, c auth.Caller, req schema.RevokeRequest) (*service.PermitView, error) {
	res, err := g.hub.Revoke(ctx, c, req.PermitID, service.RevokeRequest{Reason: req.Reason}, "")
	if err != nil {
		return nil, err
	}
	return &res.View, nil
}

func (g graphQLService) Decision(ctx context.Context, c auth.Caller, id string) (*service.DecisionDetail, error) {
	return ptr(g.hub.GetDecision(ctx, c, id))
}

func (g graphQLService) ReplayDecision(ctx context.Context, c auth.Caller, id string) (*service.DecisionReplay, error) {
	return ptr(g.hub.ReplayDecision(ctx, c, id))
}

func (g graphQLService) DataUse(ctx context.Context, c auth.Caller, idNumber, after string, first int) (*schema.Page[schema.DataUse], error) {
	recs, next, err := g.hub.DataUseRecords(ctx, c, idNumber, after, first)
	if err != nil {
		return nil, err
	}
	pg := &schema.Page[schema.DataUse]{HasNextPage: next != ""}
	for _, r := range recs {
		action := "lookup"
		if r.ApplicationID != "" {
			action = "application"
		}
		pg.Edges = append(pg.Edges, schema.Edge[schema.DataUse]{Cursor: r.ID, Node: schema.DataUse{ID: r.ID, At: r.At,
			Actor: r.Who, Role: r.Role, Action: action, Item: r.Item, Purpose: r.Purpose}})
	}
	return pg, nil
}

// --- mapping ----------------------------------------------------------------------------------

func applicationOf(d service.ApplicationDetail) *schema.Application {
	v := d.View
	a := &schema.Application{ID: v.ID, Item: v.Item, ApplicantIDNumber: d.ApplicantID, Status: v.Status, Division: v.Village,
		PermitID: v.PermitID, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Unmasked: d.Unmasked,
		Decision: &service.DecisionDetail{ID: v.Decision.DecisionID, Item: v.Item, ApplicationID: v.ID, Eligible: v.Decision.Eligible,
			Reasons: v.Decision.Reasons, Missing: v.Decision.Missing, Autofill: v.Decision.Autofill,
			Instant: v.Decision.Instant, Revision: v.Decision.Revision},
		Awaiting: v.Awaiting}
	for _, f := range v.Form.Fields {
		ff := schema.FormField{Name: f.Name, Label: f.Label, Value: formValue(f.Value), Declined: f.Declined}
		if f.Source != nil {
			ff.Source = &evidence.Provenance{Platform: evidence.Platform(f.Source.Platform), Endpoint: f.Source.Endpoint,
				Record: f.Source.Record, FetchedAt: f.Source.FetchedAt, Stale: f.Source.Stale}
		}
		a.Form = append(a.Form, ff)
	}
	for _, r := range d.Reviews {
		a.Reviews = append(a.Reviews, reviewOf(r))
	}
	return a
}

func reviewOf(r store.Review) schema.Review {
	return schema.Review{Level: r.Level, Division: r.Division, Action: string(r.Action), Comment: r.Comment, Reviewer: r.Reviewer, At: r.At}
}

// formValue renders a form value as text: strings as they are, other values as JSON.
func formValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
