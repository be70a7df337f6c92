package service

import (
	"context"
	"errors"

	"sanmian/hub/auth"
	"sanmian/hub/store"
)

// ApplicationDetail is an application as the GraphQL door needs it: the REST view, the
// applicant's full ID number (never shown as it is: callers mask it and load the applicant
// through People, which authorises and records the lookup), the review steps, and whether the
// access policy lets this caller see full ID numbers.
type ApplicationDetail struct {
	View        ApplicationView
	ApplicantID string
	Reviews     []store.Review
	Unmasked    bool
}

// actionApplication is the access-policy action for reading an application through GraphQL.
const actionApplication = "graphql.application"

// ApplicationDetail returns one application the caller may read (action graphql.application
// on its village and item; a refusal is audited).
func (h *Hub) ApplicationDetail(ctx context.Context, c auth.Caller, id string) (_ ApplicationDetail, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.applicationDetail(ctx, c, id)
}

func (h *Hub) applicationDetail(ctx context.Context, c auth.Caller, id string) (ApplicationDetail, error) {
	app, err := h.store.GetApplication(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ApplicationDetail{}, &NotFoundError{What: "application", ID: id}
	}
	if err != nil {
		return ApplicationDetail{}, err
	}
	res := Resource{Village: app.Village, Item: app.Item, Level: app.AwaitingLevel, Division: app.AwaitingDivision}
	a, err := h.authorize(ctx, c, actionApplication, res, h.subjectOf(app.ApplicantID))
	if err != nil {
		return ApplicationDetail{}, err
	}
	return h.detailOf(ctx, app, a.UnmaskID)
}

func (h *Hub) detailOf(ctx context.Context, app store.Application, unmask bool) (ApplicationDetail, error) {
	v, err := viewOf(app)
	if err != nil {
		return ApplicationDetail{}, err
	}
	d := ApplicationDetail{View: v, ApplicantID: app.ApplicantID, Unmasked: unmask}
	if app.Status == store.StatusDraft {
		// A draft has never been reviewed (a returned application stays "returned" until it is
		// confirmed again): skip the read.
		return d, nil
	}
	if d.Reviews, err = h.store.ListReviews(ctx, app.ID); err != nil {
		return ApplicationDetail{}, err
	}
	return d, nil
}

// ApplicationDetails lists applications like ListApplications (same authorisation and
// filters, newest first) with their details; ID numbers stay masked (listing never unmasks).
func (h *Hub) ApplicationDetails(ctx context.Context, c auth.Caller, f ListFilter) (_ []ApplicationDetail, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	views, next, err := h.listApplications(ctx, c, f)
	if err != nil {
		return nil, "", err
	}
	out := make([]ApplicationDetail, 0, len(views))
	for _, v := range views {
		app, err := h.store.GetApplication(ctx, v.ID)
		if err != nil {
			return nil, "", err
		}
		d, err := h.detailOf(ctx, app, false)
		if err != nil {
			return nil, "", err
		}
		d.View = v
		out = append(out, d)
	}
	return out, next, nil
}
