package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// DecisionDetail is one recorded policy decision as callers may read it: the decision as an
// application shows it (verdict, reasons, id, revision) and what the record adds, never the
// evaluated input (which holds personal data).
type DecisionDetail struct {
	DecisionView
	Item          string
	ApplicationID string // "" for an eligibility check
	InputDigest   string
	At            time.Time
}

// Eligibility evaluates an item's eligibility rule for one resident without creating an
// application (what the proactive scan does for one person). It is authorised like a person
// lookup on the resident's village (action graphql.person, with the item), assembles the
// evidence, asks the policy, and stores the decision together with its lookup and decision
// audit entries and the resident's data-use record in one transaction.
func (h *Hub) Eligibility(ctx context.Context, c auth.Caller, idNumber, itemCode, purpose string) (_ DecisionDetail, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.eligibility(ctx, c, idNumber, itemCode, purpose)
}

func (h *Hub) eligibility(ctx context.Context, c auth.Caller, idNumber, itemCode, purpose string) (DecisionDetail, error) {
	purpose, err := checkPurpose(purpose)
	if err != nil {
		return DecisionDetail{}, err
	}
	item, ok := h.policy.Item(itemCode)
	if !ok {
		return DecisionDetail{}, &InvalidError{Field: "item", Detail: fmt.Sprintf("unknown item %q", itemCode)}
	}
	id := store.NormalizeIDNumber(idNumber)
	if _, err := ident.ParseIDNumber(id); err != nil {
		return DecisionDetail{}, &InvalidError{Field: "id_number", Detail: err.Error()}
	}
	village, _, err := h.locate(ctx, id)
	if err != nil {
		return DecisionDetail{}, err
	}
	subject := h.subjectOf(id)
	if _, err := h.authorize(ctx, c, actionPerson, Resource{Village: village, Item: item.Code}, subject); err != nil {
		return DecisionDetail{}, err
	}
	b, err := h.assembleFor(ctx, id, item)
	if err != nil {
		return DecisionDetail{}, evidenceErr(err)
	}
	dec, err := h.policy.Decide(ctx, item.Code, b, h.now(), c.Subject)
	if err != nil {
		return DecisionDetail{}, fmt.Errorf("service: policy: %w", err)
	}
	purpose = redact(purpose, b.Applicant.Name)
	err = h.store.Tx(ctx, func(tx store.Txn) error {
		if err := tx.InsertDecision(ctx, &store.Decision{ID: dec.ID, Item: item.Code, Path: dec.Path, Revision: dec.Revision,
			InputDigest: dec.InputDigest, Input: dec.Input, Result: dec.Result, RequestedBy: c.Subject, At: dec.At}); err != nil {
			return err
		}
		if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: id, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
			Item: item.Code, Purpose: purpose}); err != nil {
			return err
		}
		for _, e := range []*store.AuditEntry{
			{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditLookup, Subject: subject, Item: item.Code, Purpose: purpose,
				Details: mustJSON(map[string]any{"via": "eligibility", "platforms": platformsUsed(b), "missing": b.Missing, "stale": b.Stale})},
			{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditDecision, Subject: subject, Item: item.Code, Purpose: purpose,
				Details: mustJSON(map[string]any{"decision_id": dec.ID, "revision": dec.Revision, "eligible": dec.Eligible,
					"instant": dec.Instant, "village": village})},
		} {
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return DecisionDetail{}, fmt.Errorf("service: record eligibility: %w", err)
	}
	return DecisionDetail{DecisionView: decisionView(dec, b), Item: item.Code, InputDigest: dec.InputDigest, At: dec.At}, nil
}

// decisionResult decodes the part of a stored policy result callers may see (eligible,
// reasons, missing, autofill, instant).
func decisionResult(result json.RawMessage) (DecisionView, error) {
	var v DecisionView
	if len(result) == 0 {
		return v, nil
	}
	err := json.Unmarshal(result, &v)
	return DecisionView{Eligible: v.Eligible, Reasons: v.Reasons, Missing: v.Missing, Autofill: v.Autofill, Instant: v.Instant}, err
}

// GetDecision returns one recorded decision (action decision.read on the village it concerns:
// the application's, or for an eligibility check the resident's, from the recorded input; the
// district when neither is known, so only district-wide callers may read it). The evaluated
// input is never returned.
func (h *Hub) GetDecision(ctx context.Context, c auth.Caller, id string) (_ DecisionDetail, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.getDecision(ctx, c, id)
}

func (h *Hub) getDecision(ctx context.Context, c auth.Caller, id string) (DecisionDetail, error) {
	rec, _, err := h.decisionFor(ctx, c, id, "decision.read")
	if err != nil {
		return DecisionDetail{}, err
	}
	v, err := decisionResult(rec.Result)
	if err != nil {
		return DecisionDetail{}, fmt.Errorf("service: stored decision result of %s: %w", rec.ID, err)
	}
	v.DecisionID, v.Revision = rec.ID, rec.Revision
	return DecisionDetail{DecisionView: v, Item: rec.Item, ApplicationID: rec.ApplicationID, InputDigest: rec.InputDigest, At: rec.At}, nil
}

// decisionFor loads a recorded decision and authorises action on it: on the village it
// concerns (the application's, or for an eligibility check the resident's, from the recorded
// input), or on the district when neither is known, so only district-wide callers may act on
// it. It also returns the resident as the audit log names them ("" when unknown).
func (h *Hub) decisionFor(ctx context.Context, c auth.Caller, id, action string) (store.Decision, string, error) {
	rec, err := h.store.GetDecision(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Decision{}, "", &NotFoundError{What: "decision", ID: id}
	}
	if err != nil {
		return store.Decision{}, "", err
	}
	res := Resource{Item: rec.Item}
	subject := ""
	if rec.ApplicationID != "" {
		app, err := h.store.GetApplication(ctx, rec.ApplicationID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.Decision{}, "", err
		}
		if err == nil {
			res.Village, subject = app.Village, h.subjectOf(app.ApplicantID)
		}
	}
	if res.Village == "" {
		// An eligibility check: the resident's village as the input recorded it, else where
		// the resident the input names lives now.
		village, idNumber := inputApplicant(rec.Input)
		if village == "" && idNumber != "" {
			if v, _, err := h.locate(ctx, idNumber); err == nil {
				village = v
			}
		}
		res.Village = village
		if idNumber != "" {
			subject = h.subjectOf(idNumber)
		}
	}
	if res.Village == "" {
		res.Division = division.DistrictCode
	}
	if _, err := h.authorize(ctx, c, action, res, subject); err != nil {
		return store.Decision{}, "", err
	}
	return rec, subject, nil
}

// DecisionReplay is a recorded decision evaluated again, on its recorded input and clock,
// with the policy bundle in use now (OPA's reference evaluator).
type DecisionReplay struct {
	DecisionID       string
	RecordedRevision string
	Revision         string // the revision it was replayed under
	SameRevision     bool
	// InputIntact is false when the recorded input no longer matches its digest: the record
	// was altered, and it is not replayed (Identical is then false and the verdict unset).
	InputIntact bool
	// Identical: the replayed result equals the recorded one byte for byte.
	Identical bool
	// Eligible and Reasons are the verdict of the replay.
	Eligible   *bool
	Reasons    []Reason
	ReplayedAt time.Time
}

// ReplayDecision replays one recorded decision for an auditor (action decision.replay, on the
// village the decision concerns as for GetDecision) and writes the replay to the audit log.
// The evaluated input is never returned.
func (h *Hub) ReplayDecision(ctx context.Context, c auth.Caller, id string) (_ DecisionReplay, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.replayDecision(ctx, c, id)
}

func (h *Hub) replayDecision(ctx context.Context, c auth.Caller, id string) (DecisionReplay, error) {
	rec, subject, err := h.decisionFor(ctx, c, id, "decision.replay")
	if err != nil {
		return DecisionReplay{}, err
	}
	out := DecisionReplay{DecisionID: rec.ID, RecordedRevision: rec.Revision, ReplayedAt: h.now(), InputIntact: true}
	rp, err := h.policy.Replay(ctx, rec)
	switch {
	case errors.Is(err, ErrRecordAltered):
		out.InputIntact = false
	case err != nil:
		return DecisionReplay{}, fmt.Errorf("service: replay decision %s: %w", rec.ID, err)
	default:
		out.Revision, out.SameRevision, out.Identical = rp.Revision, rp.SameRevision, rp.Identical
		r, err := decisionResult(rp.Result)
		if err != nil {
			return DecisionReplay{}, fmt.Errorf("service: replayed result of %s: %w", rec.ID, err)
		}
		out.Eligible, out.Reasons = r.Eligible, r.Reasons
	}
	entry := &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditReplay, Subject: subject, Item: rec.Item,
		Details: mustJSON(map[string]any{"decision_id": rec.ID, "recorded_revision": rec.Revision, "revision": out.Revision,
			"input_intact": out.InputIntact, "identical": out.Identical})}
	if err := h.store.AppendAudit(ctx, entry); err != nil {
		return DecisionReplay{}, fmt.Errorf("service: audit replay: %w", err)
	}
	return out, nil
}

// inputApplicant reads the applicant's village and ID number from a stored policy input, as
// far as the item's minimised input kept them.
func inputApplicant(input json.RawMessage) (village, idNumber string) {
	var in struct {
		Evidence struct {
			Applicant struct {
				Village  string `json:"village"`
				IDNumber string `json:"id_number"`
			} `json:"applicant"`
		} `json:"evidence"`
	}
	if len(input) == 0 || json.Unmarshal(input, &in) != nil {
		return "", ""
	}
	return in.Evidence.Applicant.Village, in.Evidence.Applicant.IDNumber
}

// DivisionView is an administrative division or party-building work area.
type DivisionView struct {
	Code   string
	Name   string
	Level  string // district, town, work_area, village
	Parent string // "" for the district
}

// Division returns one division by its GB/T 2260 or 12-digit code; ErrNotFound otherwise.
// Divisions are public: no caller is needed.
func (h *Hub) Division(_ context.Context, code string) (DivisionView, error) {
	d, ok := division.Lookup(strings.TrimSpace(code))
	if !ok {
		return DivisionView{}, &NotFoundError{What: "division", ID: code}
	}
	return DivisionView{Code: d.Code, Name: d.Name, Level: d.Level.String(), Parent: d.Parent}, nil
}
