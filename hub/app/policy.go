package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/evidence"
	"sanmian/hub/policy"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// policyPort adapts the OPA engine to what the hub service needs.
type policyPort struct{ e *policy.Engine }

var _ service.Policy = policyPort{}

func itemOf(it policy.Item) service.Item {
	out := service.Item{Code: it.Code, NameZH: it.ZH, NameEN: it.EN, Category: it.Category, LegalBasis: it.Basis.ZH,
		Levels: it.ReviewLevels, Instant: it.Instant, Proactive: it.Proactive, StaleAllowed: it.StaleAllowed, StaleKinds: it.StaleKinds, Repeatable: it.Repeatable,
		BenefitSubject: it.BenefitSubject, Needs: it.Needs}
	if d, ok := it.Params["validity_days"].(float64); ok {
		out.ValidityDays = int(d)
	}
	if d, ok := it.Params["claim_window_days"].(float64); ok {
		out.ClaimWindowDays = int(d)
	}
	for _, f := range it.Form {
		out.Fields = append(out.Fields, service.FieldSpec{Name: f.Name, Label: f.ZH, Path: f.Path, Autofill: f.Autofill, Mask: f.Mask})
	}
	return out
}

func (p policyPort) Item(code string) (service.Item, bool) {
	for _, it := range p.e.Items() {
		if it.Code == code {
			return itemOf(it), true
		}
	}
	return service.Item{}, false
}

func (p policyPort) ReasonText(code string) (service.Reason, bool) {
	r, ok := p.e.ReasonText(code)
	return service.Reason{Code: r.Code, ZH: r.ZH, EN: r.EN}, ok
}

func (p policyPort) Items() []service.Item {
	items := p.e.Items()
	out := make([]service.Item, 0, len(items))
	for _, it := range items {
		out = append(out, itemOf(it))
	}
	return out
}

func (p policyPort) Decide(ctx context.Context, item string, b *evidence.Bundle, now time.Time, requestedBy string) (service.Decision, error) {
	d, err := p.e.Decide(ctx, item, b, now, policy.RequestedBy(requestedBy))
	if err != nil {
		return service.Decision{}, err
	}
	out := service.Decision{ID: d.DecisionID, Revision: d.Revision, InputDigest: d.InputDigest, Eligible: d.Eligible,
		Missing: d.Missing, Autofill: d.Autofill, Unmasked: d.Unmasked, Instant: d.Instant, Proactive: d.Proactive, At: now}
	for _, r := range d.Reasons {
		out.Reasons = append(out.Reasons, service.Reason{Code: r.Code, Rule: r.Rule, ZH: r.ZH, EN: r.EN})
	}
	if d.Record != nil {
		out.Path, out.Input, out.Result, out.At = d.Record.Path, d.Record.Input, d.Record.Result, d.Record.Timestamp
	}
	return out, nil
}

func (p policyPort) Replay(ctx context.Context, rec store.Decision) (service.Replay, error) {
	r, err := p.e.Replay(ctx, &policy.Record{
		DecisionID: rec.ID, Bundles: map[string]policy.BundleRevision{policy.BundleName: {Revision: rec.Revision}},
		Path: rec.Path, Input: rec.Input, InputDigest: rec.InputDigest, Result: rec.Result,
		RequestedBy: rec.RequestedBy, Timestamp: rec.At,
	})
	if errors.Is(err, policy.ErrDigestMismatch) {
		return service.Replay{}, fmt.Errorf("%w: %s", service.ErrRecordAltered, rec.ID)
	}
	if err != nil {
		return service.Replay{}, err
	}
	return service.Replay{Result: r.Result, Revision: r.Revision, SameRevision: r.SameRevision, Identical: r.Identical}, nil
}

func (p policyPort) Authorize(ctx context.Context, c auth.Caller, action string, r service.Resource) (service.Authorization, error) {
	d, err := p.e.Authorize(ctx, policy.Caller{Sub: c.Subject, Role: c.Role, Jurisdiction: c.Jurisdiction, Scope: c.Scope},
		action, policy.Resource{Village: r.Village, Division: r.Division, Item: r.Item, Level: r.Level})
	if d == nil {
		return service.Authorization{}, err
	}
	return service.Authorization{Allow: d.Allow && err == nil, UnmaskID: d.UnmaskID,
		Reason: service.Reason{Code: d.Reason.Code, ZH: d.Reason.ZH, EN: d.Reason.EN}}, err
}
