package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/evidence"
	"sanmian/hub/store"
)

// Benefit subjects (Item.BenefitSubject): whom an item's benefit is for, and so what one of
// its applications holds (policies/README.md "Once per subject").
const (
	SubjectApplicant = "applicant" // the applicant in person
	SubjectHousehold = "household" // the applicant's household (户): once per household
	SubjectDeceased  = "deceased"  // one person's death: once per deceased, to a relative
)

// SubjectRef names the person an application is for when it is not the applicant: the
// deceased of a funeral subsidy.
type SubjectRef struct {
	IDNumber string `json:"id_number"`
}

// householdKey is the subject key of a household: the keyed digest of its district household
// number, in a namespace of its own so it cannot equal a resident's digest.
func (h *Hub) householdKey(householdID string) string {
	return h.store.SubjectDigest("household:" + householdID)
}

// holdKeyAfterEvidence is the subject key of an application whose subject is only known from
// the evidence: the applicant's household for household items (the applicant's own digest
// when the district's household number could not be read), and for the deceased items
// without a named subject the one death the claim can be for. ok is false when the claim
// names no deceased and the household records several unpaid deaths within the claim window.
func (h *Hub) holdKeyAfterEvidence(item Item, b *evidence.Bundle, applicantID string, now time.Time) (key string, ok bool) {
	switch item.BenefitSubject {
	case SubjectHousehold:
		if b.Applicant.HouseholdID != "" {
			return h.householdKey(b.Applicant.HouseholdID), true
		}
		return h.subjectOf(applicantID), true
	case SubjectDeceased:
		if b.Applicant.Deceased { // the claim made in the deceased's name
			return h.subjectOf(applicantID), true
		}
		var deaths []string
		for _, m := range b.Household {
			if m.Deceased && m.IDNumber != "" && !paidDeath(m) && withinDays(m.DeathDate, now, item.ClaimWindowDays) {
				deaths = append(deaths, m.IDNumber)
			}
		}
		switch len(deaths) {
		case 0: // no death to claim: the decision says so, nothing is held
			return "", true
		case 1:
			return h.subjectOf(deaths[0]), true
		}
		return "", false
	}
	return h.subjectOf(applicantID), true
}

// paidDeath reports whether the district's funeral subsidy roll names the deceased.
func paidDeath(p evidence.Person) bool {
	if p.Rolls == nil {
		return false
	}
	for _, c := range p.Rolls.Enrolled {
		if c == "funeral_subsidy" {
			return true
		}
	}
	return false
}

// withinDays reports whether date ("YYYY-MM-DD") lies at most days before now's calendar date
// in China Standard Time (the decision clock); an unknown date or window counts as within.
func withinDays(date string, now time.Time, days int) bool {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil || days <= 0 {
		return true
	}
	today, _ := time.Parse(time.DateOnly, now.In(division.Zone).Format(time.DateOnly))
	n := int(today.Sub(d).Hours() / 24)
	return n >= 0 && n <= days
}

// claimantView is the evidence as the form of a claim for a named deceased reads it: the
// claimant as the applicant (their record from the deceased's household or children, when the
// platforms link them) and the deceased as the one household member, with the provenance
// paths moved along. The policy reads the bundle as assembled (the deceased as applicant).
func claimantView(b *evidence.Bundle, claimant string) *evidence.Bundle {
	v := &evidence.Bundle{Applicant: evidence.Person{IDNumber: claimant}, Household: []evidence.Person{b.Applicant},
		Provenance: make(map[string]evidence.Provenance, len(b.Provenance)), Missing: b.Missing, Stale: b.Stale}
	from := ""
	for i, m := range b.Household {
		if m.IDNumber == claimant {
			v.Applicant, from = m, "household."+strconv.Itoa(i)+"."
		}
	}
	if from == "" {
		for i, c := range b.Children {
			if c.IDNumber == claimant {
				v.Applicant, from = c.Person, "children."+strconv.Itoa(i)+"."
			}
		}
	}
	for k, p := range b.Provenance {
		switch {
		case strings.HasPrefix(k, "applicant."):
			v.Provenance["household.0."+strings.TrimPrefix(k, "applicant.")] = p
		case from != "" && strings.HasPrefix(k, from):
			v.Provenance["applicant."+strings.TrimPrefix(k, from)] = p
		}
	}
	return v
}

// claimantForm is item with its form read from claimantView: the household paths (the
// deceased's fields) point at the one household member of that view.
func claimantForm(item Item) Item {
	fields := make([]FieldSpec, len(item.Fields))
	for i, f := range item.Fields {
		if rest, ok := strings.CutPrefix(f.Path, "household."); ok {
			f.Path = "household.0." + rest
		}
		fields[i] = f
	}
	item.Fields = fields
	return item
}

// checkHeld returns the already-held refusal when an open application or an active permit
// holds (item, key), nil when the subject is free. It spares the later work; the store's
// unique index is what enforces the rule.
func (h *Hub) checkHeld(ctx context.Context, item Item, key string) error {
	holder, err := h.store.GetHoldingApplication(ctx, item.Code, key)
	if err == nil {
		return heldError(&store.HeldError{Item: item.Code, ApplicationID: holder.ID, Status: holder.Status, PermitID: holder.PermitID}, item.BenefitSubject)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
