package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// PurposeDecisionList is the purpose recorded in the data-use record of every applicant a
// decision list shows (masked) to an auditor.
const PurposeDecisionList = "判定审计"

// DecisionQuery selects a page of recorded decisions for the auditor console: an item, a
// division (district, town, work area or village: decisions of applications there; default
// every decision), an outcome (eligible, ineligible, undetermined), a date range (YYYY-MM-DD
// in China Standard Time, both inclusive), a policy revision, a cursor and a page size.
type DecisionQuery struct {
	Item, Division, Outcome, From, To, Revision string
	After                                       string
	Limit                                       int
}

// DecisionSummary is one recorded decision as the list shows it: the applicant's ID number
// masked, the village of the application ("" for an eligibility check without one).
type DecisionSummary struct {
	DecisionID    string    `json:"decision_id"`
	Item          string    `json:"item"`
	ItemName      string    `json:"item_name"`
	ApplicationID string    `json:"application_id"`
	Village       string    `json:"village"`
	VillageName   string    `json:"village_name"`
	Applicant     string    `json:"applicant"`
	Outcome       string    `json:"outcome"`
	Reasons       []string  `json:"reasons"`
	Revision      string    `json:"revision"`
	DecidedAt     time.Time `json:"decided_at"`
}

// ListDecisions returns a page of recorded decisions, newest first (decision.list: auditors
// and administrators). Every applicant shown gets a data-use record.
func (h *Hub) ListDecisions(ctx context.Context, c auth.Caller, q DecisionQuery) (_ []DecisionSummary, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if q.Item != "" {
		if _, ok := h.policy.Item(q.Item); !ok {
			return nil, "", &InvalidError{Field: "item", Detail: "not an item code of the catalogue"}
		}
	}
	switch q.Outcome {
	case "", store.OutcomeEligible, store.OutcomeIneligible, store.OutcomeUndetermined:
	default:
		return nil, "", &InvalidError{Field: "outcome", Detail: "must be eligible, ineligible or undetermined"}
	}
	if err := checkSeqCursor(q.After); err != nil {
		return nil, "", err
	}
	if len(q.Revision) > 200 {
		return nil, "", &InvalidError{Field: "revision", Detail: "too long"}
	}
	f := store.DecisionFilter{Item: q.Item, Outcome: q.Outcome, Revision: q.Revision}
	for _, d := range []struct {
		field, value string
		dst          *time.Time
		add          int
	}{{"from", q.From, &f.From, 0}, {"to", q.To, &f.To, 1}} {
		if d.value == "" {
			continue
		}
		t, perr := time.ParseInLocation(time.DateOnly, d.value, division.Zone)
		if perr != nil {
			return nil, "", &InvalidError{Field: d.field, Detail: "want YYYY-MM-DD"}
		}
		*d.dst = t.AddDate(0, 0, d.add)
	}
	scope := q.Division
	if scope == "" {
		scope = division.DistrictCode
	}
	prefix, villages, derr := divisionFilter(scope)
	if derr != nil {
		return nil, "", &InvalidError{Field: "division", Detail: "not a division code of the district"}
	}
	if q.Division != "" {
		f.DivisionPrefix, f.Villages = prefix, villages
	}
	if _, err := h.authorize(ctx, c, "decision.list", Resource{Item: q.Item, Division: scope}, ""); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, next, err := h.store.ListDecisions(ctx, f, store.Page{After: q.After, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]DecisionSummary, 0, len(rows))
	var uses []store.DataUse
	for _, d := range rows {
		s := DecisionSummary{DecisionID: d.ID, Item: d.Item, ApplicationID: d.ApplicationID, Outcome: d.Outcome,
			Revision: d.Revision, DecidedAt: d.At, Reasons: []string{}}
		if it, ok := h.policy.Item(d.Item); ok {
			s.ItemName = it.NameZH
		}
		var res struct {
			Reasons []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		}
		if json.Unmarshal(d.Result, &res) == nil {
			for _, r := range res.Reasons {
				s.Reasons = append(s.Reasons, r.Code)
			}
		}
		if d.ApplicationID != "" {
			a, aerr := h.store.GetApplication(ctx, d.ApplicationID)
			switch {
			case aerr == nil:
				s.Village, s.VillageName, s.Applicant = a.Village, divisionName(a.Village), ident.MaskIDNumber(a.ApplicantID)
				uses = append(uses, store.DataUse{IDNumber: a.ApplicantID, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
					Item: d.Item, Purpose: PurposeDecisionList, ApplicationID: a.ID})
			case !errors.Is(aerr, store.ErrNotFound):
				return nil, "", aerr
			}
		}
		out = append(out, s)
	}
	if len(uses) > 0 {
		err = h.store.Tx(ctx, func(tx store.Txn) error {
			for k := range uses {
				if err := tx.RecordDataUse(ctx, &uses[k]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}
