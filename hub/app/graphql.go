package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
		schema.WithCallerFunc(graphQLCaller),
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

// graphQLCaller reads the caller api.Authenticate put in the request context.
func graphQLCaller(ctx context.Context) (schema.Caller, bool) {
	c, ok := api.CallerFrom(ctx)
	return schema.Caller(c), ok
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

func authCaller(c schema.Caller) auth.Caller { return auth.Caller(c) }

func (g graphQLService) People(ctx context.Context, c schema.Caller, ids []string, purpose string) ([]schema.PersonResult, error) {
	res, err := g.hub.People(ctx, authCaller(c), ids, purpose)
	if err != nil {
		return nil, err
	}
	out := make([]schema.PersonResult, len(res))
	for i, r := range res {
		if r.Err != nil {
			out[i].Err = r.Err
			continue
		}
		p := r.Person
		out[i].Person = &schema.Person{Record: p.Record, Unmasked: p.Unmasked, Withheld: p.Withheld,
			Provenance: p.Provenance, Conflicts: p.Conflicts, Stale: p.Stale}
	}
	return out, nil
}

func (g graphQLService) Household(ctx context.Context, c schema.Caller, householdID, purpose string) (*schema.Household, error) {
	h, err := g.hub.Household(ctx, authCaller(c), householdID, purpose)
	if err != nil {
		return nil, err
	}
	out := &schema.Household{ID: h.ID, Village: h.Village, HukouType: h.HukouType, Provenance: h.Provenance}
	for _, m := range h.Members {
		out.Members = append(out.Members, schema.Member{IDNumber: m.IDNumber, Relation: m.Relation})
	}
	return out, nil
}

func (g graphQLService) Eligibility(ctx context.Context, c schema.Caller, idNumber, item, purpose string) (*schema.Decision, error) {
	d, err := g.hub.Eligibility(ctx, authCaller(c), idNumber, item, purpose)
	if err != nil {
		return nil, err
	}
	return decisionOf(d), nil
}

func (g graphQLService) Items(ctx context.Context) ([]schema.Item, error) {
	items := g.hub.Items()
	out := make([]schema.Item, 0, len(items))
	for _, it := range items {
		si := schema.Item{Code: it.Code, Name: it.NameZH, NameEN: it.NameEN, Category: it.Category, LegalBasis: it.LegalBasis,
			ReviewLevels: it.Levels, Instant: it.Instant, Proactive: it.Proactive, BenefitSubject: it.BenefitSubject}
		for _, f := range it.Fields {
			si.Fields = append(si.Fields, schema.ItemField{Name: f.Name, Label: f.Label, Evidence: f.Path, Autofill: f.Autofill})
		}
		out = append(out, si)
	}
	return out, nil
}

func (g graphQLService) Division(ctx context.Context, code string) (*schema.Division, error) {
	d, err := g.hub.Division(ctx, code)
	if err != nil {
		return nil, err
	}
	return &schema.Division{Code: d.Code, Name: d.Name, Level: d.Level, Parent: d.Parent}, nil
}

func (g graphQLService) Application(ctx context.Context, c schema.Caller, id string) (*schema.Application, error) {
	d, err := g.hub.ApplicationDetail(ctx, authCaller(c), id)
	if err != nil {
		return nil, err
	}
	return applicationOf(d), nil
}

func (g graphQLService) Applications(ctx context.Context, c schema.Caller, f schema.ApplicationFilter, after string, first int) (*schema.Page[schema.Application], error) {
	ds, next, err := g.hub.ApplicationDetails(ctx, authCaller(c), service.ListFilter{Status: f.Status, Division: f.Division,
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

func (g graphQLService) Apply(ctx context.Context, c schema.Caller, req schema.ApplyRequest) (*schema.Application, error) {
	var cr service.CreateRequest
	cr.Item, cr.Applicant.IDNumber, cr.Purpose = req.Item, req.ApplicantIDNumber, req.Purpose
	if req.SubjectIDNumber != "" {
		cr.Subject = &service.SubjectRef{IDNumber: req.SubjectIDNumber}
	}
	res, err := g.hub.CreateApplication(ctx, authCaller(c), cr, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return g.applicationResult(ctx, c, res)
}

func (g graphQLService) Confirm(ctx context.Context, c schema.Caller, req schema.ConfirmRequest) (*schema.Application, error) {
	res, err := g.hub.Confirm(ctx, authCaller(c), req.ApplicationID,
		service.ConfirmRequest{Signature: req.Signature, Declined: req.Declined, Notes: req.Notes, Values: req.Values}, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return g.applicationResult(ctx, c, res)
}

func (g graphQLService) Review(ctx context.Context, c schema.Caller, req schema.ReviewRequest) (*schema.Application, error) {
	res, err := g.hub.Review(ctx, authCaller(c), req.ApplicationID,
		service.ReviewRequest{Action: req.Action, Comment: req.Comment}, req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return g.applicationResult(ctx, c, res)
}

// applicationResult turns a state-changing call's result (the body REST sends) into the
// GraphQL application: the body's view, plus the applicant, the reviews and the unmask flag
// from an authorised read of the application.
func (g graphQLService) applicationResult(ctx context.Context, c schema.Caller, res service.Result) (*schema.Application, error) {
	var v service.ApplicationView
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return nil, fmt.Errorf("app: graphql: decode application result: %w", err)
	}
	d, err := g.hub.ApplicationDetail(ctx, authCaller(c), v.ID)
	if err != nil {
		return nil, err
	}
	d.View = v
	return applicationOf(d), nil
}

func (g graphQLService) Permit(ctx context.Context, c schema.Caller, id string) (*schema.Permit, error) {
	p, err := g.hub.GetPermit(ctx, authCaller(c), id)
	if err != nil {
		return nil, err
	}
	return permitOf(p), nil
}

func (g graphQLService) Revoke(ctx context.Context, c schema.Caller, req schema.RevokeRequest) (*schema.Permit, error) {
	res, err := g.hub.Revoke(ctx, authCaller(c), req.PermitID, service.RevokeRequest{Reason: req.Reason}, "")
	if err != nil {
		return nil, err
	}
	var p service.PermitView
	if err := json.Unmarshal(res.Body, &p); err != nil {
		return nil, fmt.Errorf("app: graphql: decode permit result: %w", err)
	}
	return permitOf(p), nil
}

func (g graphQLService) Decision(ctx context.Context, c schema.Caller, id string) (*schema.Decision, error) {
	d, err := g.hub.GetDecision(ctx, authCaller(c), id)
	if err != nil {
		return nil, err
	}
	return decisionOf(d), nil
}

func (g graphQLService) ReplayDecision(ctx context.Context, c schema.Caller, id string) (*schema.DecisionReplay, error) {
	r, err := g.hub.ReplayDecision(ctx, authCaller(c), id)
	if err != nil {
		return nil, err
	}
	return &schema.DecisionReplay{DecisionID: r.DecisionID, RecordedRevision: r.RecordedRevision, Revision: r.Revision,
		SameRevision: r.SameRevision, InputIntact: r.InputIntact, Identical: r.Identical, Eligible: r.Eligible,
		Reasons: reasonText(r.Reasons), ReplayedAt: r.ReplayedAt}, nil
}

func (g graphQLService) DataUse(ctx context.Context, c schema.Caller, idNumber, after string, first int) (*schema.Page[schema.DataUse], error) {
	recs, next, err := g.hub.DataUseRecords(ctx, authCaller(c), idNumber, after, first)
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

func reasonText(rs []service.Reason) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		switch {
		case r.ZH != "" && r.EN != "":
			out = append(out, r.ZH+" ("+r.EN+")")
		case r.ZH != "":
			out = append(out, r.ZH)
		default:
			out = append(out, cmp.Or(r.EN, r.Code))
		}
	}
	return out
}

func decisionOf(d service.DecisionDetail) *schema.Decision {
	return &schema.Decision{ID: d.ID, Item: d.Item, ApplicationID: d.ApplicationID, Eligible: d.Eligible,
		Reasons: reasonText(d.Reasons), Missing: d.Missing, Autofill: d.Autofill, Instant: d.Instant,
		Revision: d.Revision, InputDigest: d.InputDigest, DecidedAt: d.At}
}

func applicationOf(d service.ApplicationDetail) *schema.Application {
	v := d.View
	a := &schema.Application{ID: v.ID, Item: v.Item, ApplicantIDNumber: d.ApplicantID, Status: v.Status, Division: v.Village,
		PermitID: v.PermitID, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Unmasked: d.Unmasked,
		Decision: &schema.Decision{ID: v.Decision.DecisionID, Item: v.Item, ApplicationID: v.ID, Eligible: v.Decision.Eligible,
			Reasons: reasonText(v.Decision.Reasons), Missing: v.Decision.Missing, Autofill: v.Decision.Autofill,
			Instant: v.Decision.Instant, Revision: v.Decision.Revision}}
	if v.Awaiting != nil {
		a.Awaiting = &schema.Awaiting{Level: v.Awaiting.Level, Division: v.Awaiting.Division}
	}
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

func permitOf(p service.PermitView) *schema.Permit {
	return &schema.Permit{ID: p.ID, ApplicationID: p.ApplicationID, Item: p.Item, Token: p.Token, Status: p.Status,
		Issuer: p.Issuer, Kid: p.KID, IssuedAt: p.IssuedAt, ExpiresAt: p.ExpiresAt, RevokedAt: p.RevokedAt, Reason: p.Reason}
}
