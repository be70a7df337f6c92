package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"sanmian/hub/auth"
	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// This file is the person read side used by the GraphQL door (and open to any other): purpose-
// bound lookups of residents and households, each authorised per resident by the access policy,
// recorded in the audit log and the resident's data-use record before anything is released.

// actionPerson is the access-policy action for releasing one resident's record.
const actionPerson = "graphql.person"

// maxPeople caps one People call (the GraphQL list limit).
const maxPeople = 100

// PersonView is one resident as released to a caller for a purpose.
type PersonView struct {
	// Record is the merged evidence record; Record.IDNumber is the full number. Callers show it
	// masked unless Unmasked.
	Record evidence.Person
	// Unmasked is true when the access policy lets this caller see the full ID number.
	Unmasked bool
	// Withheld lists evidence.Person JSON field names the policy withheld (zero in Record).
	Withheld []string
	// Provenance maps a field path relative to the person ("name", "licences.0", "rolls") to
	// its source.
	Provenance map[string]evidence.Provenance
	// Conflicts are platform disagreements about this person; Field is relative ("deceased").
	Conflicts []evidence.Conflict
	// Stale is true when any part of the record was served from cache after a platform failed.
	Stale bool
}

// PersonResult is one entry of People: Person, or Err (a *DeniedError, ErrNotFound,
// *InvalidError or ErrEvidenceUnavailable) when that resident is not released.
type PersonResult struct {
	Person *PersonView
	Err    error
}

// People releases residents' records for one purpose, one result per ID number in the order
// given. Each resident is authorised separately (action graphql.person on the resident's
// village, decided before any personal data is fetched); a refusal is audited and is that
// entry's error, never the whole call's. Evidence is assembled once per household: the
// assembler fetches a whole household in one batched call per platform, so members asked for
// together cost one assembly. Every released resident gets an audit entry (lookup) and a
// data-use record, written in one transaction before anything is returned; the call fails as a
// whole only when the purpose is missing, too many IDs are given, or that transaction fails.
func (h *Hub) People(ctx context.Context, c auth.Caller, ids []string, purpose string) ([]PersonResult, error) {
	purpose, err := checkPurpose(purpose)
	if err != nil {
		return nil, err
	}
	if len(ids) > maxPeople {
		return nil, &InvalidError{Field: "id_numbers", Detail: fmt.Sprintf("at most %d ID numbers", maxPeople)}
	}
	out := make([]PersonResult, len(ids))
	// Distinct, valid IDs; duplicates share one lookup.
	type target struct {
		id, village, household string
		unmask                 bool
		err                    error
		view                   *PersonView
		bundle                 *evidence.Bundle
	}
	byID := map[string]*target{}
	var order []*target
	for _, raw := range ids {
		id := store.NormalizeIDNumber(raw)
		if _, ok := byID[id]; ok {
			continue
		}
		t := &target{id: id}
		byID[id] = t
		order = append(order, t)
		if _, err := ident.ParseIDNumber(id); err != nil {
			t.err = &InvalidError{Field: "id_number", Detail: err.Error()}
		}
	}
	// Locate and authorise each resident before any platform is asked about them.
	for _, t := range order {
		if t.err != nil {
			continue
		}
		t.village, t.household, t.err = h.locate(ctx, t.id)
		if t.err != nil {
			continue
		}
		a, err := h.authorize(ctx, c, actionPerson, Resource{Village: t.village}, h.subjectOf(t.id))
		if err != nil {
			// A refusal is this entry's error, not the call's: audited here.
			t.err = h.auditDenied(ctx, c, err)
			continue
		}
		t.unmask = a.UnmaskID
	}
	// Assemble once per household (as the snapshot knows it): one member's bundle carries
	// every member. Households are assembled concurrently; a member the bundle lacks (the
	// snapshot was behind) is assembled on its own afterwards.
	groups := map[string][]*target{}
	var reps []string
	for _, t := range order {
		if t.err != nil {
			continue
		}
		key := t.household
		if key == "" {
			key = "person:" + t.id
		}
		if _, ok := groups[key]; !ok {
			reps = append(reps, key)
		}
		groups[key] = append(groups[key], t)
	}
	assemble := func(members []*target) {
		b, err := h.evidence.Assemble(ctx, members[0].id, evidence.AssembleOptions{})
		if err != nil {
			for _, t := range members {
				t.err = evidenceErr(err)
			}
			return
		}
		for _, t := range members {
			if v, ok := personFromBundle(b, t.id); ok {
				v.Unmasked = t.unmask
				t.view, t.bundle = v, b
			}
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, k := range reps {
		members := groups[k]
		if len(reps) == 1 {
			assemble(members)
			break
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			assemble(members)
		})
	}
	wg.Wait()
	for _, t := range order {
		if t.err == nil && t.view == nil {
			assemble([]*target{t})
			if t.err == nil && t.view == nil {
				t.err = &NotFoundError{What: "resident"}
			}
		}
	}
	// Record every release in one transaction, then release.
	var released []*target
	for _, t := range order {
		if t.err == nil {
			released = append(released, t)
		}
	}
	if len(released) > 0 {
		names := make([]string, 0, len(released))
		for _, t := range released {
			names = append(names, t.bundle.Applicant.Name)
		}
		purpose := redact(purpose, names...)
		err := h.store.Tx(ctx, func(tx store.Txn) error {
			for _, t := range released {
				if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: t.id, Sub: c.Subject, Role: c.Role,
					Org: c.Issuer, Purpose: purpose}); err != nil {
					return err
				}
			}
			for _, t := range released {
				if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditLookup,
					Subject: h.subjectOf(t.id), Purpose: purpose, Details: mustJSON(map[string]any{
						"via": "person", "platforms": platformsOf(t.view.Provenance), "missing": t.bundle.Missing, "stale": t.view.Stale})}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("service: record person lookups: %w", err)
		}
	}
	for i, raw := range ids {
		t := byID[store.NormalizeIDNumber(raw)]
		if t.err != nil {
			out[i].Err = t.err
			continue
		}
		out[i].Person = t.view
	}
	return out, nil
}

// locate returns the resident's village and household number: from the local snapshot when
// it has the resident, else the village from Evidence.Locate (household unknown). An unknown
// resident is ErrNotFound; a platform failure ErrEvidenceUnavailable.
func (h *Hub) locate(ctx context.Context, id string) (village, household string, err error) {
	r, err := h.store.GetResident(ctx, id)
	if err == nil && r.Village != "" {
		return r.Village, r.HouseholdID, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", "", err
	}
	village, err = h.evidence.Locate(ctx, id)
	if err != nil {
		return "", "", evidenceErr(err)
	}
	return village, "", nil
}

// evidenceErr classifies an evidence failure, for every path that reads a resident (REST
// and GraphQL alike): no platform could answer → ErrEvidenceUnavailable; a valid ID number
// unknown to the district roll (and every platform that answered) → ErrResidentNotFound; an
// invalid ID number → *InvalidError; any other failure → ErrEvidenceUnavailable.
func evidenceErr(err error) error {
	var inv *InvalidError
	switch {
	case errors.Is(err, ErrResidentNotFound), errors.Is(err, ErrEvidenceUnavailable), errors.As(err, &inv):
		return err // classified already
	case errors.Is(err, evidence.ErrNoEvidence):
		return evidenceUnavailable(err)
	case errors.Is(err, evidence.ErrUnknownResident), errors.Is(err, evidence.ErrNotFound):
		return ErrResidentNotFound
	case errors.Is(err, evidence.ErrInvalidIDNumber):
		return &InvalidError{Field: "id_number", Detail: "not a valid ID number"}
	}
	return evidenceUnavailable(err)
}

// personFromBundle extracts one person (the applicant or a household member) from a bundle,
// with provenance and conflicts made relative to the person.
func personFromBundle(b *evidence.Bundle, id string) (*PersonView, bool) {
	var p evidence.Person
	prefix := ""
	switch {
	case b.Applicant.IDNumber == id:
		p, prefix = b.Applicant, "applicant."
	default:
		for i, m := range b.Household {
			if m.IDNumber == id {
				p, prefix = m, "household."+strconv.Itoa(i)+"."
				break
			}
		}
	}
	if prefix == "" {
		return nil, false
	}
	v := &PersonView{Record: p, Provenance: map[string]evidence.Provenance{}}
	for k, pv := range b.Provenance {
		if rel, ok := strings.CutPrefix(k, prefix); ok {
			v.Provenance[rel] = pv
			if pv.Stale {
				v.Stale = true
			}
		}
	}
	for _, cf := range b.Conflicts {
		if rel, ok := strings.CutPrefix(cf.Field, prefix); ok {
			cf.Field = rel
			cf.Values = slices.Clone(cf.Values)
			v.Conflicts = append(v.Conflicts, cf)
		}
	}
	return v, true
}

func platformsOf(prov map[string]evidence.Provenance) []string {
	var out []string
	for _, p := range prov {
		if !slices.Contains(out, string(p.Platform)) {
			out = append(out, string(p.Platform))
		}
	}
	slices.Sort(out)
	return out
}
