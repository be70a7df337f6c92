package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sanmian/hub/auth"
	"sanmian/hub/evidence"
	"sanmian/hub/store"
)

// HouseholdView is one household (户) as the district platform holds it, released for a
// purpose. Member ID numbers are full: they are for loading the members through People (which
// authorises and records each one) and must never be shown as they are.
type HouseholdView struct {
	ID         string
	Village    string // 12-digit village code (district roll)
	HukouType  string // of the household head
	Members    []HouseholdMember
	Provenance *evidence.Provenance // the district household record, when it was obtained
}

// HouseholdMember is one member with the relation to the household head.
type HouseholdMember struct {
	IDNumber string
	Relation string
}

// Household releases one household's membership for a purpose. The household is found in the
// resident snapshot, authorised like a person (action graphql.person on its village) before
// any platform is asked, and its live membership is taken from the assembled evidence of one
// member (one batched call per platform, shared with the members' People lookups through the
// evidence cache). The lookup is audited; the members' own data is released and recorded only
// through People. A household the snapshot does not know is ErrNotFound.
func (h *Hub) Household(ctx context.Context, c auth.Caller, householdID, purpose string) (_ *HouseholdView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	purpose, err = checkPurpose(purpose)
	if err != nil {
		return nil, err
	}
	householdID = strings.TrimSpace(householdID)
	if householdID == "" || len(householdID) > 64 {
		return nil, &InvalidError{Field: "household_id", Detail: "a household number of 1-64 characters is required"}
	}
	rows, _, err := h.store.ScanResidents(ctx, store.ResidentQuery{Where: "residents.household_id = ?", Args: []any{householdID}, Limit: 200})
	if err != nil {
		return nil, fmt.Errorf("service: household snapshot: %w", err)
	}
	if len(rows) == 0 {
		return nil, &NotFoundError{What: "household"}
	}
	rep := rows[0]
	for _, r := range rows {
		if r.Relation == "head" {
			rep = r
			break
		}
	}
	subject := h.subjectOf(rep.IDNumber)
	if _, err := h.authorize(ctx, c, actionPerson, Resource{Village: rep.Village}, subject); err != nil {
		return nil, err
	}
	b, err := h.evidence.Assemble(ctx, rep.IDNumber, evidence.AssembleOptions{})
	if err != nil {
		return nil, evidenceErr(err)
	}
	v := &HouseholdView{ID: householdID, Village: rep.Village, HukouType: rep.HukouType}
	if b.Applicant.Village != "" {
		v.Village = b.Applicant.Village
	}
	if b.Applicant.HouseholdID != "" && b.Applicant.HouseholdID != householdID {
		// The live district record moved the representative elsewhere: the snapshot is behind.
		return nil, &NotFoundError{What: "household"}
	}
	if v.Village != rep.Village {
		// Authorise again on the live village: access follows the authoritative roll.
		if _, err := h.authorize(ctx, c, actionPerson, Resource{Village: v.Village}, subject); err != nil {
			return nil, err
		}
	}
	if pv, ok := b.Provenance["applicant.rolls.land_mu"]; ok {
		v.Provenance = &pv
	}
	all := append([]evidence.Person{b.Applicant}, b.Household...)
	for _, p := range all {
		if p.HouseholdID != "" && p.HouseholdID != householdID {
			continue
		}
		v.Members = append(v.Members, HouseholdMember{IDNumber: p.IDNumber, Relation: p.Relation})
		if p.Relation == "head" && p.HukouType != "" {
			v.HukouType = p.HukouType
		}
	}
	slices.SortStableFunc(v.Members, func(a, b HouseholdMember) int {
		switch {
		case a.Relation == "head" && b.Relation != "head":
			return -1
		case b.Relation == "head" && a.Relation != "head":
			return 1
		}
		return 0
	})
	err = h.store.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditLookup,
		Subject: subject, Purpose: purpose, Details: mustJSON(map[string]any{
			"via": "household", "members": len(v.Members), "missing": b.Missing, "stale": b.Stale})})
	if err != nil {
		return nil, fmt.Errorf("service: audit household lookup: %w", err)
	}
	return v, nil
}
